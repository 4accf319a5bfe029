"""Run ci-metrics on real releases of other projects and compare it with coverage.py and diff-cover.

    python -m tests.corpus fetch     download the pinned sdists into the cache (pip; PyPI)
    python -m tests.corpus check     build, measure and compare, offline; exit 1 on any
                                     disagreement, naming every file and figure that differs

The cache lives outside git: ``$CI_METRICS_CORPUS_CACHE``, else
``$XDG_CACHE_HOME/ci-metrics-corpus``, else ``~/.cache/ci-metrics-corpus``. Each sdist is
checked against the sha256 in ``manifest.toml`` when fetched and again before use.
``tox -e corpus`` runs both steps.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ci_metrics.inputs.gitdiff import diff_from_git
from tests.corpus.compare import Agreement, compare_with_coverage, compare_with_diff_cover
from tests.corpus.example import ExampleError, contexts, run_example, worked_example

MANIFEST = Path(__file__).with_name("manifest.toml")
IDENTITY = {
    "GIT_AUTHOR_NAME": "corpus",
    "GIT_AUTHOR_EMAIL": "corpus@example.invalid",
    "GIT_COMMITTER_NAME": "corpus",
    "GIT_COMMITTER_EMAIL": "corpus@example.invalid",
}


class CorpusError(Exception):
    """A step of the check could not run (not a disagreement: those are listed)."""


@dataclass(frozen=True)
class Release:
    """One pinned sdist."""

    name: str
    version: str
    sha256: str

    @property
    def filename(self) -> str:
        return f"{self.name}-{self.version}.tar.gz"


@dataclass(frozen=True)
class Project:
    """A project of the manifest: its package, two releases and its two layers;
    ``example``: measured by the docs' worked example instead of :func:`measure`."""

    name: str
    package: str
    base: Release
    head: Release
    layers: dict[str, list[str]]
    example: bool = False


def load_manifest(path: Path = MANIFEST) -> list[Project]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    projects = []
    for entry in data["project"]:
        base, head = (Release(entry["name"], **entry[side]) for side in ("base", "head"))
        projects.append(
            Project(
                entry["name"],
                entry["package"],
                base,
                head,
                entry["layers"],
                entry.get("example", False),
            )
        )
    return projects


def cache_dir() -> Path:
    explicit = os.environ.get("CI_METRICS_CORPUS_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "ci-metrics-corpus"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verified(release: Release, cache: Path) -> Path | None:
    """The cached sdist if present; a file with another digest is an error."""
    candidates = [cache / release.filename, cache / release.filename.replace("-", "_", 1)]
    for path in candidates:
        if path.is_file():
            digest = _sha256(path)
            if digest != release.sha256:
                raise CorpusError(
                    f"{path}: sha256 {digest} does not match the manifest's {release.sha256}"
                )
            return path
    return None


def fetch(projects: Sequence[Project], cache: Path) -> None:
    """Download every sdist missing from the cache with pip, then verify it."""
    cache.mkdir(parents=True, exist_ok=True)
    for release in (r for p in projects for r in (p.base, p.head)):
        if verified(release, cache) is not None:
            print(f"corpus: {release.filename} cached")
            continue
        print(f"corpus: downloading {release.name}=={release.version}")
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--no-binary", ":all:", "--dest", str(cache), f"{release.name}=={release.version}"],
            check=True,
        )  # fmt: skip
        if verified(release, cache) is None:
            raise CorpusError(f"pip did not leave {release.filename} in {cache}")


def _run(args: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise CorpusError(
            f"{' '.join(args[:6])} failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
        )
    return elapsed


def _git(repo: Path, *args: str) -> None:
    _run(["git", *args], repo, {**os.environ, **IDENTITY})


def _unpack(sdist: Path, target: Path) -> None:
    with tarfile.open(sdist) as archive:
        members = archive.getmembers()
        for member in members:
            parts = Path(member.name).parts
            member.name = str(Path(*parts[1:])) if len(parts) > 1 else ""
        archive.extractall(target, members=[m for m in members if m.name], filter="data")


def build_history(project: Project, cache: Path, repo: Path) -> None:
    """``main`` holds the base release; the checked-out branch holds the head release."""
    sdists = [verified(r, cache) for r in (project.base, project.head)]
    if None in sdists:
        raise CorpusError(f"{project.name}: sdists not cached; run `python -m tests.corpus fetch`")
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _unpack(sdists[0], repo)  # type: ignore[arg-type]
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", f"{project.name} {project.base.version}")
    _git(repo, "checkout", "-q", "-b", "head")
    _git(repo, "rm", "-rq", ".")
    _unpack(sdists[1], repo)  # type: ignore[arg-type]
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", f"{project.name} {project.head.version}")


def _clean_env(repo: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COVERAGE_", "COV_CORE", "PYTEST_", "PYTHONPATH"))
    }
    env["PYTHONPATH"] = str(repo)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def measure(project: Project, repo: Path, layers: Path) -> None:
    """Each layer's tests under ``coverage run --branch --context=<layer>``, then combine.

    The layers' data files stay in ``layers`` (outside the work tree), as a CI run's
    layer jobs leave them; the combined ``.coverage`` is where coverage.py looks for it.
    """
    env = _clean_env(repo)
    layers.mkdir()
    for layer, tests in project.layers.items():
        # The project's own tests may fail on this interpreter; coverage is what counts.
        subprocess.run(
            [sys.executable, "-m", "coverage", "run", "-p", "--branch", f"--context={layer}",
             f"--data-file={layers / '.coverage'}", "-m", "pytest", "-q",
             "-p", "no:cacheprovider", *tests],
            cwd=repo, env=env, capture_output=True, check=False,
        )  # fmt: skip
    _run([sys.executable, "-m", "coverage", "combine", "--keep", str(layers)], repo, env)


def ci_metrics(project: Project, repo: Path, work: Path) -> tuple[dict[str, Any], float]:
    """``collect`` and ``report`` the documented way; returns the snapshot's files and seconds."""
    settings = work / "ci-metrics.toml"
    owned = {layer: [] for layer in project.layers}
    first = next(iter(owned))
    owned[first] = [project.package]
    table = ", ".join(f"{layer} = {json.dumps(paths)}" for layer, paths in owned.items())
    settings.write_text(
        f"[tool.ci_metrics]\nlayers = {{ {table} }}\n"
        "thresholds = { project_lines = false, project_branches = false, diff = false }\n",
        encoding="utf-8",
    )
    env = _clean_env(repo)  # ci-metrics is installed in the corpus env
    command = [sys.executable, "-m", "ci_metrics"]
    seconds = _run(
        [*command, "collect", "--pyproject", str(settings), "--output", str(work / "snap.json"),
         "--results-dir", str(work / "none")],
        repo, env,
    )  # fmt: skip
    seconds += _run(
        [*command, "report", "--pyproject", str(settings), "--snapshot", str(work / "snap.json"),
         "--base", "main", "--baseline", str(work / "none.json"),
         "--output-dir", str(work / "report")],
        repo, env,
    )  # fmt: skip
    files: dict[str, Any] = json.loads((work / "snap.json").read_text(encoding="utf-8"))["files"]
    return files, seconds


def references(project: Project, repo: Path, work: Path) -> tuple[Any, Any, Any, float]:
    """coverage.py's JSON reports (all, and per layer) and diff-cover's, on the same data."""
    env = _clean_env(repo)
    coverage = [sys.executable, "-m", "coverage"]
    _run([*coverage, "json", "--show-contexts", "-o", str(work / "truth.json")], repo, env)
    per_layer = {}
    for layer in project.layers:
        out = work / f"truth-{layer}.json"
        _run([*coverage, "json", f"--contexts=^{layer}$", "-o", str(out)], repo, env)
        per_layer[layer] = json.loads(out.read_text(encoding="utf-8"))
    seconds = _run([*coverage, "xml", "-o", str(work / "coverage.xml")], repo, env)
    seconds += _run(
        [sys.executable, "-m", "diff_cover.diff_cover_tool", str(work / "coverage.xml"),
         "--compare-branch=main", "--format", f"json:{work / 'diff-cover.json'}"],
        repo, env,
    )  # fmt: skip
    truth = json.loads((work / "truth.json").read_text(encoding="utf-8"))
    diff_cover = json.loads((work / "diff-cover.json").read_text(encoding="utf-8"))
    return truth, per_layer, diff_cover, seconds


def example(project: Project, repo: Path) -> tuple[dict[str, Any], float]:
    """The docs' worked example, as written, in ``repo``; the snapshot's files and seconds."""
    script = worked_example()
    if contexts(script) != set(project.layers):
        raise CorpusError(
            f"{project.name}: the worked example's contexts {sorted(contexts(script))} are not "
            f"the manifest's layers {sorted(project.layers)}"
        )
    start = time.perf_counter()
    try:
        proc = run_example(script, repo)
    except ExampleError as exc:
        raise CorpusError(f"{project.name}: {exc}") from None
    seconds = time.perf_counter() - start
    gate = [line for line in proc.stdout.splitlines() if line.startswith(("ok   ", "FAIL "))]
    if not gate or not (repo / "results/report/figures.json").is_file():
        raise CorpusError(
            f"{project.name}: the worked example stopped before its gate ({proc.returncode}):"
            f"\n{proc.stderr[-3000:]}"
        )
    print(f"corpus: {project.name}: the worked example ran; its gate said:")
    for line in gate:
        print(f"corpus:   {line}")
    snapshot = repo / "results/ci_metrics/snapshot.json"
    files: dict[str, Any] = json.loads(snapshot.read_text(encoding="utf-8"))["files"]
    return files, seconds


def check_project(project: Project, cache: Path, work: Path) -> Agreement:
    repo = work / project.name
    build_history(project, cache, repo)
    if project.example:
        ours, our_seconds = example(project, repo)
        report_dir = repo / "results" / "report"
    else:
        measure(project, repo, work / "layers")
        ours, our_seconds = ci_metrics(project, repo, work)
        report_dir = work / "report"
    truth, per_layer, diff_cover, their_seconds = references(project, repo, work)
    result = Agreement()
    compare_with_coverage(ours, truth, per_layer, result)
    changed = diff_from_git(repo, "main").python_files()
    compare_with_diff_cover(ours, changed, diff_cover, result)
    figures = json.loads((report_dir / "figures.json").read_text(encoding="utf-8"))
    print(
        f"corpus: {project.name} {project.base.version} -> {project.head.version}: "
        f"{result.files} files, {len(project.layers)} layers, {result.changed_files} changed "
        f"files, {result.line_level} changed lines measured line by line (as diff-cover), "
        f"{result.continuation_only} statement(s) reached only through continuation lines; "
        f"diff coverage {figures['diff_coverage'] or '-'}% (diff-cover "
        f"{diff_cover.get('total_percent_covered')}%); "
        f"{'the worked example' if project.example else 'collect+report'} {our_seconds:.2f}s, "
        f"coverage xml+diff-cover {their_seconds:.2f}s (one run each)"
    )
    return result


def check(projects: Sequence[Project], cache: Path, keep: Path | None = None) -> int:
    failures = 0
    for project in projects:
        if keep is not None:
            work = keep / project.name
            work.mkdir(parents=True)
            result = check_project(project, cache, work)
        else:
            with tempfile.TemporaryDirectory(prefix=f"corpus-{project.name}-") as tmp:
                result = check_project(project, cache, Path(tmp))
        for problem in result.problems:
            print(f"corpus: DISAGREE {project.name}: {problem}", file=sys.stderr)
        if not result.files or not result.changed_files:
            print(f"corpus: {project.name}: nothing was compared", file=sys.stderr)
            failures += 1
        failures += bool(result.problems)
    print(f"corpus: {len(projects) - failures} of {len(projects)} projects agree")
    return 1 if failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.corpus", description=__doc__)
    parser.add_argument("action", choices=("fetch", "check"))
    parser.add_argument("--cache", type=Path, default=None, help="sdist cache folder")
    parser.add_argument(
        "--keep", type=Path, help="check: build in this new folder and keep it (to investigate)"
    )
    args = parser.parse_args(argv)
    cache = args.cache or cache_dir()
    projects = load_manifest()
    try:
        if args.action == "fetch":
            fetch(projects, cache)
            return 0
        return check(projects, cache, args.keep)
    except CorpusError as exc:
        print(f"corpus: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
