"""Benchmark: from the layers' coverage data files to the pull-request comment, end to end.

Three pipelines start from the same five layer data files of the synthetic project
(benchmarks/synthetic_project.py: 2,000 files, ~300k statements, a 20,000-line diff),
each step a whole process, each pipeline run ``--runs`` times (median, and the peak RSS
of the largest process of the step) after one untimed first run that lets every tool
compile and cache its bytecode, as the second process of a CI job finds it (the first
run's wall time is printed apart):

* ci-metrics, the path CI runs: ``ci-metrics collect --combine`` (combine the layers,
  one analysis of every file by coverage.py, test results -> snapshot), then
  ``ci-metrics report`` (git diff, diff coverage, the comment, summary, figures);
* (a) ``coverage combine --keep`` + ``coverage report``: the bare minimum any project pays;
* (b) ``coverage combine --keep`` + ``coverage xml`` + ``diff-cover`` (JSON output).

It then checks that the figures agree: project totals with ``coverage report``'s, and
diff coverage with diff-cover's, counted line by line (diff-cover's convention) and by
statement (ours: a changed continuation line counts as its statement).

    python benchmarks/diff_coverage.py [--runs 5] [--files 2000] [--changed-lines 20000]
                                       [--keep DIR]

The same pipelines run on a real project measured by the corpus check
(``python -m tests.corpus check --keep DIR`` keeps, per project, the repository, its
``layers/`` data and the ``ci-metrics.toml`` settings):

    python benchmarks/diff_coverage.py --project DIR/idna/idna --layers DIR/idna/layers \
        --pyproject DIR/idna/ci-metrics.toml

Needs diff-cover (the ``bench`` dependency group). The machine's load average is printed
before and after: re-measure on a quiet machine for figures to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.synthetic_project import generate  # noqa: E402
from ci_metrics.inputs.gitdiff import diff_from_git  # noqa: E402
from ci_metrics.model.diff_coverage import diff_coverage  # noqa: E402
from ci_metrics.model.snapshot import load_snapshot  # noqa: E402
from ci_metrics.settings import load_settings  # noqa: E402

COMBINED = "results/coverage/.coverage"
LAYERS = "results/coverage/layers"


@dataclass(frozen=True)
class Target:
    """The measured repository, its layers' data files and its ci-metrics settings."""

    root: Path
    layers: Path
    combined: Path
    pyproject: Path


@dataclass
class Step:
    """One command of a pipeline and what each run of it cost."""

    name: str
    argv: list[str]
    seconds: list[float] = field(default_factory=list)
    peak_kb: list[int] = field(default_factory=list)


def run_step(step: Step, cwd: Path, env: dict[str, str]) -> None:
    """Run the step as its own process; record wall time and that process's peak RSS."""
    with tempfile.TemporaryFile() as output:
        start = time.perf_counter()
        proc = subprocess.Popen(step.argv, cwd=cwd, env=env, stdout=output, stderr=output)
        # wait4 returns the rusage of this child alone (and of what it waited for).
        _pid, status, usage = os.wait4(proc.pid, 0)
        step.seconds.append(time.perf_counter() - start)
        step.peak_kb.append(usage.ru_maxrss)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            output.seek(0)
            raise SystemExit(f"{step.name} failed:\n{output.read().decode()[-2500:]}")


def pipelines(target: Target, out: Path) -> dict[str, list[Step]]:
    py = sys.executable
    diff_cover = shutil.which("diff-cover", path=str(Path(py).parent)) or "diff-cover"
    combine = [py, "-m", "coverage", "combine", "--keep", "-q", str(target.layers)]
    ci_metrics = [py, "-m", "ci_metrics"]
    settings = ["--pyproject", str(target.pyproject)]
    return {
        "ci-metrics": [
            Step("collect --combine", [*ci_metrics, "collect", *settings, "--combine",
                 str(target.layers), "--coverage-file", str(target.combined),
                 "--results-dir", str(out / "no-results"),
                 "--output", str(out / "snapshot.json")]),
            Step("report", [*ci_metrics, "report", *settings, "--snapshot",
                 str(out / "snapshot.json"), "--base", "main", "--baseline",
                 str(out / "none.json"), "--output-dir", str(out / "report")]),
        ],
        "(a) combine + report": [
            Step("coverage combine", combine),
            Step("coverage report", [py, "-m", "coverage", "report"]),
        ],
        "(b) combine + xml + diff-cover": [
            Step("coverage combine", combine),
            Step("coverage xml", [py, "-m", "coverage", "xml", "-q", "-o",
                 str(out / "coverage.xml")]),
            Step("diff-cover", [diff_cover, str(out / "coverage.xml"), "--compare-branch=main",
                 "--format", f"json:{out / 'diff-cover.json'}"]),
        ],
    }  # fmt: skip


def measure(target: Target, out: Path, runs: int) -> tuple[dict[str, list[Step]], dict[str, float]]:
    """``runs`` timed runs of each pipeline, after one untimed first run of each.

    The processes write bytecode as on a CI runner (PYTHONDONTWRITEBYTECODE is
    dropped): the first run of a pipeline compiles and caches what its tools
    import, once per environment; its wall time is returned apart.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("COVERAGE_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env["COVERAGE_FILE"] = str(target.combined)
    plan = pipelines(target, out)
    first: dict[str, float] = {}
    for name, steps in plan.items():
        target.combined.unlink(missing_ok=True)
        for step in steps:
            run_step(step, target.root, env)
        first[name] = sum(step.seconds.pop() for step in steps)
        for step in steps:
            step.peak_kb.pop()
    for _ in range(runs):
        for steps in plan.values():  # interleaved, so load changes hit every pipeline
            target.combined.unlink(missing_ok=True)
            for step in steps:
                run_step(step, target.root, env)
    return plan, first


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


def print_table(plan: dict[str, list[Step]]) -> dict[str, float]:
    totals = {}
    print(f"{'pipeline / step':<44}{'median s':>10}{'min s':>8}{'max s':>8}{'peak RSS MB':>13}")
    for name, steps in plan.items():
        per_run = [sum(s.seconds[i] for s in steps) for i in range(len(steps[0].seconds))]
        totals[name] = _median(per_run)
        peak = max(max(s.peak_kb) for s in steps) / 1024
        print(f"{name:<44}{totals[name]:>10.2f}{min(per_run):>8.2f}{max(per_run):>8.2f}"
              f"{peak:>13.0f}")  # fmt: skip
        for step in steps:
            print(f"  {step.name:<42}{_median(step.seconds):>10.2f}{min(step.seconds):>8.2f}"
                  f"{max(step.seconds):>8.2f}{max(step.peak_kb) / 1024:>13.0f}")  # fmt: skip
    return totals


def check_figures(target: Target, out: Path) -> bool:
    """Our figures against coverage report's total and diff-cover's line counts."""
    root = target.root
    snapshot = load_snapshot(out / "snapshot.json")
    settings = load_settings(target.pyproject)
    changed = diff_from_git(root, "main").python_files()
    ours = diff_coverage(snapshot.files, changed, settings)
    line_only = diff_coverage(
        {p: {**e, "multiline": []} for p, e in snapshot.files.items()}, changed, settings
    )
    dc = json.loads((out / "diff-cover.json").read_text(encoding="utf-8"))
    subprocess.run(
        [sys.executable, "-m", "coverage", "json", "-q", "-o", str(out / "truth.json")],
        cwd=root, env={**os.environ, "COVERAGE_FILE": str(target.combined)}, check=True,
    )  # fmt: skip
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))["totals"]
    statements = sum(_count(e["statements"]) for e in snapshot.files.values())
    missing = sum(_count(e["missing"]) for e in snapshot.files.values())
    totals_agree = (statements, statements - missing) == (
        truth["num_statements"], truth["covered_lines"]
    )  # fmt: skip
    lines_agree = (line_only.statements, line_only.statements - line_only.covered) == (
        dc["total_num_lines"], dc["total_num_violations"]
    )  # fmt: skip
    figures = json.loads((out / "report" / "figures.json").read_text(encoding="utf-8"))
    print()
    print(f"project statements / covered: ci-metrics {statements} / {statements - missing}, "
          f"coverage.py {truth['num_statements']} / {truth['covered_lines']}: "
          f"{'agree' if totals_agree else 'DISAGREE'}")  # fmt: skip
    print(f"diff, line by line:  ci-metrics {line_only.statements} lines, "
          f"{line_only.statements - line_only.covered} uncovered; diff-cover "
          f"{dc['total_num_lines']} lines, {dc['total_num_violations']} uncovered: "
          f"{'agree' if lines_agree else 'DISAGREE'}")  # fmt: skip
    print(f"diff, by statement:  ci-metrics {ours.statements} statements, "
          f"{ours.statements - ours.covered} uncovered, {ours.lines_percent}% (the comment says "
          f"{figures['diff_coverage']}%); the {ours.statements - line_only.statements} more are "
          f"statements whose continuation lines alone changed")  # fmt: skip
    return totals_agree and lines_agree


def _count(runs: list[list[int]]) -> int:
    return sum(end - start + 1 for start, end in runs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--changed-lines", type=int, default=20000)
    parser.add_argument("--keep", type=Path, help="generate here (or reuse) and keep it")
    parser.add_argument("--project", type=Path, help="a measured repository instead")
    parser.add_argument("--layers", type=Path, help="with --project: the layers' data files")
    parser.add_argument("--pyproject", type=Path, help="with --project: ci-metrics settings")
    args = parser.parse_args(argv)
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="diffcov-bench-"))
    root = workdir / "project"
    if args.project:
        target = Target(args.project.resolve(), args.layers.resolve(),
                        args.project.resolve() / ".coverage", args.pyproject.resolve())  # fmt: skip
    else:
        target = Target(root, root / LAYERS, root / COMBINED, root / "pyproject.toml")
    out = workdir / "out"
    try:
        if not args.project and not root.exists():
            project = generate(root, files=args.files, changed_lines=args.changed_lines)
            print(f"generated {len(project.files)} files, {project.statements} statements, "
                  f"{project.changed_lines} changed lines")  # fmt: skip
        print(f"python {sys.version.split()[0]}, coverage {version('coverage')}, diff-cover "
              f"{version('diff-cover')}; {os.cpu_count()} cores; load average before "
              f"{os.getloadavg()[0]:.2f}; {args.runs} runs per pipeline, interleaved")  # fmt: skip
        plan, first = measure(target, out, args.runs)
        print(f"load average after {os.getloadavg()[0]:.2f}")
        print()
        print(
            "first run of each pipeline (its tools' bytecode compiled and cached; not timed "
            "below): " + ", ".join(f"{name} {secs:.2f}s" for name, secs in first.items())
        )
        print()
        totals = print_table(plan)
        ours = totals["ci-metrics"]
        bare = totals["(a) combine + report"]
        dc = totals["(b) combine + xml + diff-cover"]
        steps = {name: {s.name: _median(s.seconds) for s in st} for name, st in plan.items()}
        after_combine = steps["(b) combine + xml + diff-cover"]
        print()
        print(f"whole path: ci-metrics {ours:.2f}s = {ours / bare:.2f}x (a) ({bare:.2f}s); "
              f"(b) {dc:.2f}s is {dc / ours:.2f}x ci-metrics")  # fmt: skip
        xml_dc = after_combine["coverage xml"] + after_combine["diff-cover"]
        combine = after_combine["coverage combine"]
        print(f"after combining: collect + report (analysis included) ~{ours - combine:.2f}s "
              f"vs coverage xml + diff-cover {xml_dc:.2f}s: {xml_dc / (ours - combine):.2f}x; "
              f"report alone {steps['ci-metrics']['report']:.2f}s vs diff-cover alone "
              f"{after_combine['diff-cover']:.2f}s")  # fmt: skip
        return 0 if check_figures(target, out) else 1
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
