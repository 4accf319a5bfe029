"""Benchmark: diff coverage with ci_metrics and with diff-cover on the same project and diff.

Generates a synthetic project (benchmarks/synthetic_project.py: 2,000 files, ~300k
statements, five layer contexts, a 20,000-line diff), then in one run:

* ``ci-metrics collect`` (coverage API -> snapshot) and ``coverage xml`` (for diff-cover);
* the full ``ci-metrics report`` (git diff + diff coverage + every output) as a
  subprocess, with its wall time and peak RSS;
* ``diff-cover coverage.xml --compare-branch=main`` as a subprocess;
* the diff-coverage step alone, in process, counting multi-line statements as
  ci_metrics does and also line by line (as diff-cover does), to explain differences.

Usage: python benchmarks/diff_coverage.py [--files N] [--changed-lines N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.synthetic_project import generate  # noqa: E402
from scripts.ci_metrics.diffcov import diff_coverage  # noqa: E402
from scripts.ci_metrics.gitdiff import diff_from_git  # noqa: E402
from scripts.ci_metrics.settings import Settings  # noqa: E402
from scripts.ci_metrics.snapshot import load_snapshot  # noqa: E402

MEASURED = """\
import resource, sys
sys.path.insert(0, {repo!r})
from scripts.ci_metrics.cli import main
code = main({argv!r})
print("maxrss_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


def timed(argv: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{argv[:4]} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return elapsed, proc.stderr


def ci_metrics(argv: list[str], cwd: Path) -> tuple[float, int]:
    code = MEASURED.format(repo=str(REPO), argv=argv)
    elapsed, stderr = timed([sys.executable, "-c", code], cwd)
    rss = next(int(line.split()[1]) for line in stderr.splitlines() if line.startswith("maxrss_kb"))
    return elapsed, rss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--changed-lines", type=int, default=20000)
    parser.add_argument("--keep", type=Path, help="generate here and keep it")
    args = parser.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="diffcov-bench-"))
    root = workdir / "project"
    try:
        return run(root, args.files, args.changed_lines)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


def run(root: Path, files: int, changed_lines: int) -> int:
    diff_cover = shutil.which("diff-cover", path=str(Path(sys.executable).parent))
    if diff_cover is None:
        raise SystemExit("diff-cover is not installed: pip install diff-cover")
    start = time.perf_counter()
    project = generate(root, files=files, changed_lines=changed_lines)
    gen_s = time.perf_counter() - start
    print(f"generated {len(project.files)} files, {project.statements} statements, "
          f"{project.changed_lines} changed lines in {gen_s:.1f}s")  # fmt: skip
    snapshot = root / "out" / "snapshot.json"
    collect_s, _ = ci_metrics(
        ["collect", "--root", ".", "--coverage-file", "results/coverage/.coverage",
         "--output", str(snapshot)], root,
    )  # fmt: skip
    xml_s, _ = timed(
        [sys.executable, "-m", "coverage", "xml", "--rcfile=.coveragerc",
         "--data-file=results/coverage/.coverage", "-o", "coverage.xml", "-q"], root,
    )  # fmt: skip
    report_s, report_rss = ci_metrics(
        ["report", "--root", ".", "--snapshot", str(snapshot), "--base", "main",
         "--baseline", "none.json", "--output-dir", "out/report"], root,
    )  # fmt: skip
    dc_json = root / "out" / "diff-cover.json"
    dc_s, _ = timed(
        [diff_cover, "coverage.xml", "--compare-branch=main", "--format", f"json:{dc_json}"], root
    )
    dc = json.loads(dc_json.read_text(encoding="utf-8"))

    start = time.perf_counter()
    snap = load_snapshot(snapshot)
    diff = diff_from_git(root, "main")
    ours = diff_coverage(snap.files, diff.python_files(), Settings())
    core_s = time.perf_counter() - start
    line_only_files = {p: {**e, "multiline": []} for p, e in snap.files.items()}
    line_only = diff_coverage(line_only_files, diff.python_files(), Settings())

    figures = json.loads((root / "out" / "report" / "figures.json").read_text(encoding="utf-8"))
    print(f"diff-cover {version('diff-cover')}, coverage {version('coverage')}, "
          f"python {sys.version.split()[0]}")  # fmt: skip
    print()
    print(f"{'step':<46}{'seconds':>9}")
    print(f"{'ci-metrics collect (coverage API -> snapshot)':<46}{collect_s:>9.2f}")
    print(f"{'coverage xml (input for diff-cover)':<46}{xml_s:>9.2f}")
    print(f"{'ci-metrics report (full, subprocess)':<46}{report_s:>9.2f}")
    print(f"{'diff-cover (subprocess)':<46}{dc_s:>9.2f}")
    print(f"{'ci-metrics diff coverage step (in process)':<46}{core_s:>9.2f}")
    print()
    print(f"full report vs diff-cover: {dc_s / report_s:.1f}x faster "
          f"(report peak RSS {report_rss / 1024:.0f} MB)")  # fmt: skip
    print(f"diff step vs diff-cover:   {dc_s / core_s:.1f}x faster")
    print()
    print(f"diff-cover:              {dc['total_percent_covered']}% of {dc['total_num_lines']} "
          f"lines ({dc['total_num_violations']} uncovered)")  # fmt: skip
    print(
        f"ci-metrics (statements): {ours.lines_percent}% of {ours.statements} statements "
        f"({ours.statements - ours.covered} uncovered); report says {figures['diff_coverage']}%"
    )
    print(f"ci-metrics (line only):  {line_only.lines_percent}% of {line_only.statements} lines "
          f"({line_only.statements - line_only.covered} uncovered)")  # fmt: skip
    agree = (line_only.statements, line_only.statements - line_only.covered) == (
        dc["total_num_lines"], dc["total_num_violations"])  # fmt: skip
    print(f"line-only counts agree with diff-cover: {agree}")
    print("difference: a changed continuation line of a multi-line statement counts as that "
          "statement in ci-metrics; diff-cover ignores lines absent from the XML.")  # fmt: skip
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
