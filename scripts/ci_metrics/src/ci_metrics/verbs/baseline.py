"""``baseline``: merge a snapshot into the rolling baseline, or fetch the newest one."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from ci_metrics.context import (
    BASELINE,
    SNAPSHOT,
    Context,
    append_to,
    github_client,
    locate,
    settings_for,
)
from ci_metrics.errors import EXIT_OK, InputError

if TYPE_CHECKING:
    from ci_metrics.model.snapshot import Snapshot
    from ci_metrics.settings import Settings

NAME = "baseline"
HELP = "merge a snapshot into the baseline, or fetch it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``baseline``'s flags: ``merge`` (the default) and ``fetch``."""
    parser.add_argument("action", nargs="?", choices=("merge", "fetch"), default="merge")
    parser.add_argument("--snapshot", type=Path, default=SNAPSHOT, help=f"default: {SNAPSHOT}")
    parser.add_argument(
        "--baseline",
        type=Path,
        default=BASELINE,
        help=f"history file; fetch writes beside it (default: {BASELINE})",
    )
    parser.add_argument(
        "--durations",
        type=Path,
        default=Path(".test_durations"),
        help="pytest-split durations file (default: .test_durations)",
    )
    parser.add_argument("--window", type=int, help="number of runs kept")
    parser.add_argument(
        "--mutation-scores",
        type=Path,
        metavar="FILE",
        help="merge: record these mutation scores with the run (JSON: per module mutants, "
        "detected, score) and show them in the step summary",
    )
    repeat = parser.add_mutually_exclusive_group()
    repeat.add_argument(
        "--repeat",
        type=Path,
        metavar="FILE",
        help="merge: record this snapshot, another run of the snapshot's commit, as a repeat "
        "(the noise counts it as a run of that commit)",
    )
    repeat.add_argument(
        "--repeat-from-github",
        action="store_true",
        help="merge: record as a repeat the snapshot a push or merge-queue run uploaded for "
        "the snapshot's commit (the settings' snapshot_workflow and snapshot_artifact; "
        "needs GITHUB_TOKEN); none found is no error",
    )
    parser.add_argument(
        "--repository",
        help="owner/name (fetch, --repeat-from-github; default: $GITHUB_REPOSITORY)",
    )
    parser.add_argument("--branch", help="branch (fetch; default: the repository's default)")
    parser.add_argument("--workflow", help="workflow file (fetch; default from settings)")
    parser.add_argument("--artifact-name", help="artifact name (fetch; default from settings)")
    parser.add_argument("--event", default="schedule", help="run event (fetch; default: schedule)")


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Merge a snapshot into the rolling baseline, or fetch the newest one from GitHub."""
    if args.action == "fetch":
        if args.repeat is not None or args.repeat_from_github:
            raise InputError("--repeat and --repeat-from-github apply to baseline merge only")
        return fetch(args, ctx)
    return merge(args, ctx)


def fetch(args: argparse.Namespace, ctx: Context) -> int:
    """Download the newest baseline; ``found=true|false`` in ``GITHUB_OUTPUT``."""
    from ci_metrics.github.baseline_fetch import MAX_RUNS, fetch_baseline
    from ci_metrics.render.outputs import github_output

    settings = settings_for(args)
    workflow = args.workflow or settings.github.baseline_workflow
    artifact = args.artifact_name or settings.github.baseline_artifact
    client = github_client(args, ctx, settings)
    with client.http:
        search = fetch_baseline(
            client,
            workflow=workflow,
            artifact=artifact,
            dest=args.baseline.parent,
            durations=args.durations,
            branch=args.branch,
            event=args.event,
        )
    if search.path is not None:
        ctx.say(f"wrote {search.path} from run {search.run_id}")
    elif search.bounded:
        ctx.say(
            f"no baseline: none of the newest {MAX_RUNS} successful runs of {workflow} has "
            f"an unexpired {artifact} artifact (older runs were not searched)"
        )
    elif search.runs_seen == 0:
        ctx.say(f"no baseline yet: {workflow} has no successful {args.event} run here")
    else:
        ctx.say(
            f"no baseline yet: none of the {search.runs_seen} successful runs of {workflow} "
            f"has an unexpired {artifact} artifact"
        )
    # The workflows skip their baseline downloads on found=false: no red step.
    append_to(ctx, "GITHUB_OUTPUT", github_output({"found": str(search.path is not None).lower()}))
    return EXIT_OK


def merge(args: argparse.Namespace, ctx: Context) -> int:
    """Fold the snapshot (and the night's mutation scores, and a repeat of its commit) into
    the history; write the pytest-split durations beside it; show the trends and the
    quarantine proposals."""
    from ci_metrics.inputs.fileio import write_json_atomic, write_text_atomic
    from ci_metrics.inputs.mutation_scores import load_scores
    from ci_metrics.inputs.quarantine import load_quarantine
    from ci_metrics.model.baseline import (
        durations_map,
        empty_baseline,
        load_baseline,
        merge_snapshot,
        previous_scores,
    )
    from ci_metrics.model.proposals import propose
    from ci_metrics.model.repeats import add_repeat, recorded, repeat_record
    from ci_metrics.model.snapshot import load_snapshot
    from ci_metrics.render.mutation import render_scores
    from ci_metrics.render.nightly import render_nightly

    settings = settings_for(args, locate(args.root, ctx), ctx)
    snapshot = load_snapshot(args.snapshot)
    if snapshot.carried or snapshot.carry_refused:
        # Its runtime and test histories would count layers that did not run.
        raise InputError(
            f"snapshot {args.snapshot} is of a run that did not run every layer: "
            "a baseline records full runs only"
        )
    # Every input is read and checked before anything is written.
    mutation = load_scores(args.mutation_scores) if args.mutation_scores else None
    quarantine = settings.quarantine
    entries = load_quarantine(args.root / quarantine.register)
    current = (
        load_baseline(args.baseline)
        if args.baseline.is_file()
        else empty_baseline(settings.baseline_window)
    )
    # The repeat last: GitHub is asked once every local input has been read.
    repeat = _repeat(args, ctx, settings, snapshot)
    merged = merge_snapshot(current, snapshot, settings, mutation)
    if repeat is not None:
        found, source = repeat
        if recorded(merged, found):
            ctx.say(f"no repeat recorded: {source} is in the baseline already")
        else:
            merged = add_repeat(merged, repeat_record(found, settings))
            ctx.say(
                f"recorded {source} as a repeat of `{found.sha[:10]}`: project lines "
                f"{_pct(merged.repeats[-1].totals.lines)} there, "
                f"{_pct(merged.runs[-1].totals.lines)} in this run"
            )
    write_json_atomic(args.baseline, merged.to_json())
    durations = durations_map(merged)
    write_text_atomic(args.durations, json.dumps(durations, indent=2, sort_keys=True) + "\n")
    held = _count(len(merged.runs), "run")
    if merged.repeats:
        held += f", {_count(len(merged.repeats), 'repeat')}"
    ctx.say(f"wrote {args.baseline} ({held}) and {args.durations} ({len(durations)} tests)")
    proposals = propose(merged, entries, quarantine.add_after_flakes, quarantine.remove_after_runs)
    nightly = render_nightly(
        merged,
        list(settings.layers),
        proposals,
        register=quarantine.register,
        add_after=quarantine.add_after_flakes,
        remove_after=quarantine.remove_after_runs,
    )
    print(nightly, end="", file=ctx.stdout)
    append_to(ctx, "GITHUB_STEP_SUMMARY", nightly)
    ctx.say(
        f"proposed {len(proposals.add)} test(s) for the quarantine register and "
        f"{len(proposals.remove)} to take out"
    )
    if mutation is not None:
        summary = render_scores(mutation, previous_scores(current))
        print(summary, end="", file=ctx.stdout)
        append_to(ctx, "GITHUB_STEP_SUMMARY", summary)
        ctx.say(f"recorded the mutation scores of {len(mutation.modules)} module(s)")
    return EXIT_OK


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"


def _pct(value: float | None) -> str:
    return "no figure" if value is None else f"{value:.2f}%"


def _repeat(
    args: argparse.Namespace, ctx: Context, settings: Settings, snapshot: Snapshot
) -> tuple[Snapshot, str] | None:
    """The repeat to record with ``snapshot`` and what to call it, read and checked
    (``--repeat``, ``--repeat-from-github``); ``None``: no repeat."""
    from ci_metrics.model.repeats import refusal
    from ci_metrics.model.snapshot import load_snapshot

    if args.repeat is not None:
        repeat, source = load_snapshot(args.repeat), f"repeat {args.repeat}"
    elif args.repeat_from_github:
        found = _repeat_from_github(args, ctx, settings, snapshot)
        if found is None:
            return None
        repeat, source = found
    else:
        return None
    problem = refusal(snapshot, repeat)
    if problem is not None:
        raise InputError(
            f"{source} is no repeat of snapshot {args.snapshot}: {problem} "
            "(a repeat is another run of the same commit)"
        )
    return repeat, source


def _repeat_from_github(
    args: argparse.Namespace, ctx: Context, settings: Settings, snapshot: Snapshot
) -> tuple[Snapshot, str] | None:
    """The snapshot a push or merge-queue run uploaded for ``snapshot``'s commit; ``None``
    (and why, said) when no such run kept one."""
    from ci_metrics.github.snapshot_fetch import fetch_snapshot

    if not snapshot.sha:
        raise InputError(
            f"snapshot {args.snapshot} names no commit: --repeat-from-github looks its "
            "repeat up by commit"
        )
    workflow = settings.github.snapshot_workflow
    artifact = settings.github.snapshot_artifact
    sha = snapshot.sha
    ctx.say(f"looking for a repeat of `{sha[:10]}`: {workflow}'s {artifact} artifact")
    client = github_client(args, ctx, settings)
    with client.http:
        search = fetch_snapshot(
            client, workflow=workflow, artifact=artifact, commits=[sha], dest=None
        )
    if search.snapshot is None:
        runs = search.runs_seen
        if runs == 0:
            why = f"{workflow} has no push or merge-queue run of `{sha[:10]}`"
        elif runs == 1:
            why = (
                f"the push or merge-queue run of {workflow} at `{sha[:10]}` has no unexpired "
                f"{artifact} artifact"
            )
        else:
            why = (
                f"none of the {runs} push or merge-queue runs of {workflow} at `{sha[:10]}` "
                f"has an unexpired {artifact} artifact"
            )
        ctx.say(f"no repeat recorded: {why}")
        return None
    return search.snapshot, f"the snapshot of run {search.run_id}"
