"""``collect``: coverage data, test results and tox timings -> the snapshot JSON.

With ``--carry plan.json``, the layers the plan did not run are carried from its
base snapshot (:mod:`ci_metrics.model.carry`), so that ``report``, ``gate`` and
the snapshot itself see what a run of every layer would have measured. When the
plan cannot be read or names other layers than the settings, or the base's data
cannot be combined with this run's, nothing is carried: the snapshot says why
(one line), and the gate fails with it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ci_metrics.context import RESULTS, SNAPSHOT, Context, Workspace, locate, settings_for, shown
from ci_metrics.errors import EXIT_OK, GitError, InputError

if TYPE_CHECKING:
    from ci_metrics.inputs.coverage_data import CoverageReading, MissingSource
    from ci_metrics.inputs.failures import Locate
    from ci_metrics.model.outcomes import TestResult, VersionOutcome
    from ci_metrics.model.plan import Plan
    from ci_metrics.model.snapshot import Snapshot
    from ci_metrics.settings import Settings

#: At most this many notes about failures whose cause the results lack.
MAX_NOTES = 10

NAME = "collect"
HELP = "coverage + test results -> snapshot JSON"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``collect``'s flags."""
    parser.add_argument(
        "--coverage-file",
        type=Path,
        help="combined coverage data (default: the one coverage.py would read: "
        "$COVERAGE_FILE, [run] data_file, .coverage)",
    )
    parser.add_argument(
        "--combine",
        type=Path,
        action="append",
        metavar="PATH",
        help="first combine these data files or folders into --coverage-file, keeping "
        "them (as `coverage combine --keep`; repeatable)",
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=RESULTS,
        help="holds <layer>/junit.xml, report-log.jsonl, tox-result.json",
    )
    parser.add_argument(
        "--tox-json",
        type=Path,
        action="append",
        help="tox --result-json file (repeatable; default: <results>/*/tox-result*.json)",
    )
    parser.add_argument(
        "--rcfile",
        type=Path,
        help="coverage configuration file (default: coverage.py's own search: "
        "$COVERAGE_RCFILE, .coveragerc, setup.cfg, tox.ini, pyproject.toml)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=0,
        metavar="N",
        help="processes sharing the analysis of large projects (default: one per CPU)",
    )
    parser.add_argument("--sha", help="commit measured (default: $GITHUB_SHA)")
    parser.add_argument("--run-id", help="CI run id (default: $GITHUB_RUN_ID, else 'local')")
    parser.add_argument(
        "--carry",
        type=Path,
        metavar="PLAN",
        help="carry the layers this plan (ci-metrics plan's plan.json) did not run from its "
        "base snapshot, which lies beside it",
    )
    parser.add_argument("--output", type=Path, default=SNAPSHOT, help=f"default: {SNAPSHOT}")


def usable_cpus() -> int:
    """CPUs this process may run on (the affinity mask where the platform has one)."""
    if hasattr(os, "sched_getaffinity"):  # Linux; macOS and Windows have none
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Coverage + test results + tox timings -> snapshot JSON."""
    from dataclasses import replace

    from ci_metrics.inputs.failures import WorkTree
    from ci_metrics.inputs.fileio import write_json_atomic
    from ci_metrics.inputs.results import read_tox_results
    from ci_metrics.model.carry import MISMATCH
    from ci_metrics.model.snapshot import build_snapshot

    workspace = locate(args.root, ctx)
    settings = settings_for(args, workspace, ctx)
    plan, unusable = None, ""
    if args.carry:
        try:
            plan = _read_plan(args.carry, settings)
        except InputError as exc:
            # What ran is still measured; what should have been carried is not there.
            unusable = str(exc)
    if plan is not None and not plan.run:
        ctx.say("the plan runs no layer: every layer is carried, no coverage data is read")
        files, branch_data = [], True
    else:
        reading = _read_coverage(args, ctx, workspace, settings)
        files, branch_data = reading.files, reading.branch_data
    tests, python = _layer_results(
        args.results_dir, ctx, WorkTree(workspace.project, workspace.worktree)
    )
    unknown = sorted(set(tests) - set(settings.layers))
    if unknown:
        ctx.say(f"  note: result folders for unconfigured layers: {', '.join(unknown)}")
    tox_files = args.tox_json or sorted(args.results_dir.glob("*/tox-result*.json"))
    snapshot = build_snapshot(
        files=files,
        tests=tests,
        timing=read_tox_results(tox_files),
        now=ctx.now(),
        sha=args.sha or ctx.environ.get("GITHUB_SHA", ""),
        run_id=args.run_id or ctx.environ.get("GITHUB_RUN_ID", "local"),
        branch_data=branch_data,
        python=python,
    )
    if unusable:
        ctx.say(f"  {MISMATCH}: {unusable}")
        snapshot = replace(snapshot, carry_refused=unusable)
    elif plan is not None and plan.carried:
        snapshot = _carry(snapshot, plan, args.carry.parent, ctx)
    write_json_atomic(args.output, snapshot.to_json())
    ctx.say(f"wrote {args.output}")
    return EXIT_OK


def _read_coverage(
    args: argparse.Namespace, ctx: Context, workspace: Workspace, settings: Settings
) -> CoverageReading:
    """This run's coverage data (combined first with ``--combine``), analysed once."""
    # coverage.py is imported by this verb alone.
    from ci_metrics.inputs.coverage_data import (
        LayerRules,
        MissingSource,
        combine_data,
        coverage_version,
        default_data_file,
        read_coverage,
    )

    data_file: Path = args.coverage_file or default_data_file(workspace.project, args.rcfile)
    if args.combine:
        ctx.say(f"combining {', '.join(map(str, args.combine))} into {data_file} ...")
        combine_data(data_file, args.combine, workspace.project, args.rcfile)
    ctx.say(f"analysing {data_file} with coverage.py {coverage_version()} ...")
    try:
        reading = read_coverage(
            data_file,
            project=workspace.project,
            worktree=workspace.worktree,
            rules=LayerRules(frozenset(settings.layers), settings.default_layer),
            rcfile=args.rcfile,
            jobs=args.jobs or usable_cpus(),
        )
    except MissingSource as exc:
        raise _explained(exc, workspace, ctx) from None
    read = ", ".join(shown(Path(name)) for name in reading.config_files)
    ctx.say(f"  coverage configuration: {read or 'none found, coverage.py defaults'}")
    ctx.say(f"  {len(reading.files)} files reported")
    _check_outside(reading, workspace, settings, ctx)
    if reading.unattributed:
        examples = ", ".join(repr(c) for c in sorted(reading.unattributed)[:3])
        ctx.say(
            f"  warning: {len(reading.unattributed)} coverage context(s) name no configured "
            f"layer (e.g. {examples}): their lines count as covered but for no layer; set "
            "`default_layer` in [tool.ci_metrics] to give them one"
        )
    return reading


def _read_plan(path: Path, settings: Settings) -> Plan:
    """The plan ``--carry`` names, which must name every configured layer and no other."""
    from ci_metrics.inputs.fileio import read_json
    from ci_metrics.model.plan import read_plan

    plan = read_plan(read_json(path, "plan"), f"plan {path}")
    unknown = sorted(set(plan.rules) - set(settings.layers))
    missing = [layer for layer in settings.layers if layer not in plan.rules]
    if unknown or missing:
        named = [*(f"{layer} (not a configured layer)" for layer in unknown), *missing]
        raise InputError(f"plan {path} does not match the configured layers: {', '.join(named)}")
    if plan.carried and plan.base is None:
        raise InputError(f"plan {path} is invalid: it carries layers but names no base")
    return plan


def _carry(fresh: Snapshot, plan: Plan, folder: Path, ctx: Context) -> Snapshot:
    """``fresh`` with the plan's carried layers, or ``fresh`` saying why it has none."""
    from dataclasses import replace

    from ci_metrics.model.carry import MISMATCH, CarryRefused, carry_forward
    from ci_metrics.model.plan import BASE_SNAPSHOT
    from ci_metrics.model.snapshot import load_snapshot

    base_sha = plan.base.sha if plan.base else ""
    try:
        base = load_snapshot(folder / BASE_SNAPSHOT)
        if base.sha != base_sha:
            raise CarryRefused(
                f"the base snapshot is of `{base.sha[:7]}`, the plan's base is `{base_sha[:7]}`"
            )
        distance = plan.base.distance if plan.base else 0
        snapshot = carry_forward(fresh, base, plan.carried, plan.changed, distance)
    except InputError as exc:
        ctx.say(f"  {MISMATCH}: {exc}")
        return replace(fresh, carry_refused=str(exc))
    ctx.say(f"  carried {', '.join(plan.carried)} from `{base_sha[:7]}`")
    return snapshot


def _explained(exc: MissingSource, workspace: Workspace, ctx: Context) -> MissingSource:
    """The missing file named from the work tree, and whether git ignores it (generated)."""
    from ci_metrics.inputs.coverage_data import MissingSource

    path = Path(exc.path)
    try:
        path = path.resolve().relative_to(workspace.worktree)
    except ValueError:
        return exc
    try:
        ctx.git(["check-ignore", "-q", "--", path.as_posix()], workspace.worktree)
    except GitError:  # exit 1: not ignored (or no git): recorded elsewhere
        return MissingSource(path.as_posix())
    return MissingSource(path.as_posix(), ignored=True)


def _check_outside(
    reading: CoverageReading, workspace: Workspace, settings: Settings, ctx: Context
) -> None:
    """Files outside the work tree are another project's or checkout's data: an error
    that names them, unless ``allow_outside_worktree`` (then a note)."""
    outside = reading.outside_worktree
    if not outside:
        return
    more = f" and {len(outside) - 3} more" if len(outside) > 3 else ""
    shown_files = ", ".join(outside[:3]) + more
    where = f"{len(outside)} measured file(s) outside the git work tree {workspace.worktree}"
    if settings.allow_outside_worktree:
        ctx.say(f"  note: {where} count in the figures (allow_outside_worktree): {shown_files}")
        return
    raise InputError(
        f"{where}: {shown_files}: data from another project or checkout? Map them onto this "
        "checkout with [paths] in the coverage configuration, leave them out with `omit`, "
        "or set `allow_outside_worktree = true` in [tool.ci_metrics] to count them"
    )


def _layer_results(
    results_dir: Path, ctx: Context, locate: Locate
) -> tuple[dict[str, dict[str, TestResult]], dict[str, dict[str, VersionOutcome]]]:
    """Each layer folder's tests over its Python versions, and what each named version did.

    A failure whose cause or line the results lack is named (at most :data:`MAX_NOTES`):
    the report then says the figure is missing rather than guess it.
    """
    from ci_metrics.inputs.results import read_layer_runs
    from ci_metrics.model.outcomes import VersionOutcome, merge_versions

    tests: dict[str, dict[str, TestResult]] = {}
    python: dict[str, dict[str, VersionOutcome]] = {}
    notes: list[str] = []
    folders = sorted(p for p in results_dir.iterdir() if p.is_dir()) if results_dir.is_dir() else []
    for layer_dir in folders:
        runs = read_layer_runs(layer_dir, locate)
        if runs is None:
            continue
        tests[layer_dir.name] = results = merge_versions(runs)
        named = sorted(v for v in runs if v)
        if named:
            python[layer_dir.name] = {v or "unnamed": VersionOutcome.of(r) for v, r in runs.items()}
        on = f" on Python {', '.join(named)}" if named else ""
        ctx.say(f"  layer {layer_dir.name}: {len(results)} tests{on}")
        notes += [r.failure.missing for r in results.values() if r.failure and r.failure.missing]
    for note in notes[:MAX_NOTES]:
        ctx.say(f"  note: {note}")
    if len(notes) > MAX_NOTES:
        ctx.say(f"  note: and {len(notes) - MAX_NOTES} more failures lack part of their cause")
    return tests, python
