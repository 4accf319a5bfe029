"""``baseline``: merge a snapshot into the rolling baseline, or fetch the newest one."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

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
    parser.add_argument("--repository", help="owner/name (fetch; default: $GITHUB_REPOSITORY)")
    parser.add_argument("--branch", help="branch (fetch; default: the repository's default)")
    parser.add_argument("--workflow", help="workflow file (fetch; default from settings)")
    parser.add_argument("--artifact-name", help="artifact name (fetch; default from settings)")
    parser.add_argument("--event", default="schedule", help="run event (fetch; default: schedule)")


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Merge a snapshot into the rolling baseline, or fetch the newest one from GitHub."""
    return fetch(args, ctx) if args.action == "fetch" else merge(args, ctx)


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
    """Fold the snapshot (and the night's mutation scores) into the history; write the
    pytest-split durations beside it; show the trends and the quarantine proposals."""
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
    merged = merge_snapshot(current, snapshot, settings, mutation)
    write_json_atomic(args.baseline, merged.to_json())
    durations = durations_map(merged)
    write_text_atomic(args.durations, json.dumps(durations, indent=2, sort_keys=True) + "\n")
    ctx.say(
        f"wrote {args.baseline} ({len(merged.runs)} runs) and {args.durations} "
        f"({len(durations)} tests)"
    )
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
