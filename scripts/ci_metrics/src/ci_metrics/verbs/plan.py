"""``plan``: which layers a change needs, and the job matrix that runs them.

The change is the diff from the base snapshot's commit (the merge base's own
snapshot, or its nearest first-parent ancestor's) to the work tree; the rules are
:mod:`ci_metrics.model.plan`'s. Every layer runs on a push, in the merge queue,
at night, with ``--full`` (or a ``workflow_dispatch`` whose ``full`` input is
true), and whenever the base cannot be used: none within
``[tool.ci_metrics.plan] max_distance`` commits, unreadable, of an old version,
of another commit, lacking a layer, or a diff git cannot make. Each of those is
said in one line, and the plan is still written: a bad base never fails the job
and never runs fewer layers.

Writes ``plan.json`` (and the base snapshot beside it) to ``--output-dir``, the
plan's lines to stderr and the step summary, and ``matrix``, ``run`` and ``full``
to ``GITHUB_OUTPUT``.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ci_metrics.context import (
    BASE_SNAPSHOT,
    Context,
    append_to,
    github_client,
    locate,
    settings_for,
)
from ci_metrics.errors import EXIT_OK, GitError, GitHubError, InputError

if TYPE_CHECKING:
    from ci_metrics.context import Workspace
    from ci_metrics.model.plan import Base, Plan
    from ci_metrics.model.snapshot import Snapshot
    from ci_metrics.settings import Settings

NAME = "plan"
HELP = "which layers a change needs, and their job matrix"
PLAN_DIR = BASE_SNAPSHOT.parent
#: Events that run every layer, and how the plan says so.
FULL_EVENTS = {
    "push": "a push runs every layer",
    "merge_group": "the merge queue runs every layer",
    "schedule": "the nightly run runs every layer",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``plan``'s flags."""
    parser.add_argument(
        "--base",
        help="git ref the change is compared with (default: origin/$GITHUB_BASE_REF, "
        "else origin/HEAD, origin/main, main)",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--snapshots",
        type=Path,
        metavar="DIR",
        help="look for the base snapshot in DIR/<commit>.json (a local full run's)",
    )
    source.add_argument(
        "--github",
        action="store_true",
        help="fetch the base snapshot from the snapshot workflow's runs "
        "([tool.ci_metrics.github]; needs GITHUB_TOKEN with actions: read)",
    )
    parser.add_argument("--full", action="store_true", help="run every layer")
    parser.add_argument("--repository", help="owner/name (default: $GITHUB_REPOSITORY)")
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=PLAN_DIR,
        help=f"where plan.json and the base snapshot go (default: {PLAN_DIR})",
    )


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Decide, write the plan and its matrix, and say why each layer runs or is carried."""
    from ci_metrics.inputs.fileio import write_json_atomic
    from ci_metrics.inputs.pyproject import read_table
    from ci_metrics.model.plan import BASE_SNAPSHOT, PLAN_FILE, job_matrix
    from ci_metrics.render.outputs import github_output

    workspace = locate(args.root, ctx)
    settings = settings_for(args, workspace, ctx)
    tables = read_table(args.pyproject or args.root / "pyproject.toml").get("layers", {})
    out: Path = args.output_dir
    kept = out / BASE_SNAPSHOT
    kept.unlink(missing_ok=True)
    plan, base_snapshot = decide(args, ctx, workspace, settings, kept)
    plan = replace(plan, matrix=job_matrix(plan, settings, tables))
    write_json_atomic(out / PLAN_FILE, plan.to_json())
    lines = plan.lines(base_snapshot)
    for line in lines:
        ctx.say(line)
    append_to(ctx, "GITHUB_STEP_SUMMARY", "### Plan\n\n" + "".join(f"- {x}\n" for x in lines))
    matrix = json.dumps({"include": [dict(e) for e in plan.matrix]}, separators=(",", ":"))
    append_to(
        ctx,
        "GITHUB_OUTPUT",
        github_output(
            {
                "matrix": matrix,
                "run": str(bool(plan.matrix)).lower(),
                "full": str(bool(plan.full)).lower(),
            }
        ),
    )
    ctx.say(f"wrote {out / PLAN_FILE}: {len(plan.matrix)} job(s)")
    return EXIT_OK


def forced_full(args: argparse.Namespace, ctx: Context) -> str:
    """Why every layer must run whatever changed, or ``""``."""
    if args.full:
        return "--full"
    event = ctx.environ.get("GITHUB_EVENT_NAME", "")
    if event in FULL_EVENTS:
        return FULL_EVENTS[event]
    if event == "workflow_dispatch":
        inputs = ctx.event().get("inputs")
        if isinstance(inputs, dict) and inputs.get("full") in (True, "true"):
            return "workflow_dispatch with full: true"
    return ""


def decide(
    args: argparse.Namespace,
    ctx: Context,
    workspace: Workspace,
    settings: Settings,
    kept: Path,
) -> tuple[Plan, Snapshot | None]:
    """The plan, and the base snapshot it was made against (saved to ``kept``), if any."""
    from ci_metrics.inputs.gitdiff import find_merge_base, first_parents, resolve_base
    from ci_metrics.model.plan import Base, base_problem, full_plan

    forced = forced_full(args, ctx)
    if forced:
        return full_plan(settings, forced), None
    top = workspace.worktree
    requested = args.base
    if not requested and ctx.environ.get("GITHUB_BASE_REF"):
        requested = f"origin/{ctx.environ['GITHUB_BASE_REF']}"
    try:
        merge_base = find_merge_base(top, resolve_base(top, requested, ctx.git), ctx.git)
        commits = first_parents(top, merge_base, settings.plan.max_distance + 1, ctx.git)
    except GitError as exc:
        return full_plan(settings, f"no merge base: {exc}"), None
    if not args.snapshots and not args.github:
        return full_plan(settings, "no snapshot source: pass --snapshots DIR or --github"), None
    try:
        found = _find(args, ctx, settings, commits, kept)
    except InputError as exc:
        kept.unlink(missing_ok=True)
        return full_plan(settings, f"the base snapshot is unusable: {exc}"), None
    except GitHubError as exc:
        kept.unlink(missing_ok=True)
        return full_plan(settings, f"cannot fetch the base snapshot: {exc}"), None
    if found is None:
        before = len(commits) - 1
        within = (
            f"or its {before} first-parent ancestor{'s' if before != 1 else ''} " if before else ""
        )
        where = f"in {args.snapshots}" if args.snapshots else "on GitHub"
        return full_plan(
            settings, f"no base snapshot of the merge base `{merge_base[:7]}` {within}{where}"
        ), None
    snapshot, distance, run_id = found
    sha = commits[distance]
    base = Base(sha, run_id, merge_base, distance)
    problem = base_problem(settings, snapshot, sha)
    if problem:
        return full_plan(settings, problem, base), snapshot
    return _plan_against(ctx, workspace, settings, snapshot, base), snapshot


def _find(
    args: argparse.Namespace,
    ctx: Context,
    settings: Settings,
    commits: list[str],
    kept: Path,
) -> tuple[Snapshot, int, str] | None:
    """The nearest base snapshot (saved to ``kept``), its distance and run; ``None``."""
    from ci_metrics.inputs.fileio import write_text_atomic
    from ci_metrics.model.snapshot import load_snapshot

    if args.snapshots:
        for distance, sha in enumerate(commits):
            path = args.snapshots / f"{sha}.json"
            if path.is_file():
                snapshot = load_snapshot(path)
                write_text_atomic(kept, path.read_text(encoding="utf-8"))
                return snapshot, distance, snapshot.run_id
        return None
    from ci_metrics.github.snapshot_fetch import fetch_snapshot

    client = github_client(args, ctx, settings)
    with client.http:
        search = fetch_snapshot(
            client,
            workflow=settings.github.snapshot_workflow,
            artifact=settings.github.snapshot_artifact,
            commits=commits,
            dest=kept,
        )
    if search.snapshot is None:
        return None
    return search.snapshot, search.distance, search.run_id


def _plan_against(
    ctx: Context, workspace: Workspace, settings: Settings, snapshot: Snapshot, base: Base
) -> Plan:
    """The rules' plan for the change from the base's commit to the work tree."""
    from ci_metrics.inputs.gitdiff import changed_paths, python_files
    from ci_metrics.inputs.imports import build_graph
    from ci_metrics.model.plan import full_plan, plan_change

    top = workspace.worktree
    try:
        changed = changed_paths(top, base.sha, ctx.git)
        sources = python_files(top, ctx.git)
    except GitError as exc:
        return full_plan(settings, f"cannot list the changed files: {exc}", base)
    readable = {}
    for path in sources:
        try:
            readable[path] = (top / path).read_bytes()
        except OSError:
            continue  # tracked, but deleted from the work tree: a changed file
    absent = [path for path in changed if path.endswith(".py") and path not in readable]
    graph = build_graph(readable, absent)
    return plan_change(settings, changed, snapshot, base, graph.importers, graph.unreadable)
