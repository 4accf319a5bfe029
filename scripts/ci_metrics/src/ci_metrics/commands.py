"""The verbs: each reads its inputs, calls the pure core and writes its outputs.

coverage.py and httpx are imported by the verbs that use them (collect; the
GitHub verbs), so ``report`` and ``gate`` start without paying for either.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ci_metrics.analysis import PullRequest, Report, build_report
from ci_metrics.baseline import (
    durations_map,
    empty_baseline,
    load_baseline,
    merge_snapshot,
)
from ci_metrics.context import Context
from ci_metrics.errors import (
    EXIT_GATE_FAILED,
    EXIT_OK,
    GitError,
    InputError,
    ReadOnlyToken,
)
from ci_metrics.fileio import write_json_atomic, write_text_atomic
from ci_metrics.gitdiff import Diff, diff_from_file, diff_from_git, resolve_base
from ci_metrics.mutation_scores import load_scores, previous_scores, render_scores
from ci_metrics.register import load_register
from ci_metrics.render import (
    github_output,
    line_annotations,
    render_comment,
    render_summary,
)
from ci_metrics.settings import Settings, Thresholds, load_settings
from ci_metrics.snapshot import build_snapshot, load_snapshot
from ci_metrics.test_results import (
    VersionOutcome,
    merge_versions,
    read_layer_runs,
    read_tox_results,
)

if TYPE_CHECKING:  # httpx is imported only by the verbs that talk to GitHub
    from ci_metrics.github import GitHubClient
    from ci_metrics.post import CommentPayload


@dataclass(frozen=True)
class Workspace:
    """Where a verb works: the project folder inside a git work tree."""

    project: Path  # where coverage.py runs and pyproject.toml is read (``--root``)
    worktree: Path  # the top of the git work tree: diffs and snapshots use paths below it

    def prefix_of(self, folder: Path) -> str:
        """``folder`` relative to the work tree, as a path prefix (``""`` or ``"sub/"``)."""
        try:
            rel = folder.resolve().relative_to(self.worktree).as_posix()
        except ValueError:
            return ""
        return "" if rel == "." else rel + "/"


def locate(root: Path, ctx: Context) -> Workspace:
    """The project at ``root`` and the git work tree holding it (or itself, outside git)."""
    project = root.resolve()
    try:
        top = ctx.git(["rev-parse", "--show-toplevel"], project).strip()
    except GitError:
        return Workspace(project, project)
    return Workspace(project, Path(top).resolve())


def settings_for(args: argparse.Namespace, workspace: Workspace | None = None) -> Settings:
    """Settings from ``pyproject.toml`` with the command line's overrides applied.

    With a ``workspace``, owned paths (relative to the ``pyproject.toml``) are rebased
    onto the work tree, and the layers must be configured.
    """
    pyproject: Path = args.pyproject or args.root / "pyproject.toml"
    settings = load_settings(pyproject)
    if workspace is not None:
        settings.require_layers()
        settings = settings.under(workspace.prefix_of(pyproject.parent))
    thresholds: Thresholds = settings.thresholds
    overrides = (
        ("fail_under_lines", "project_lines"),
        ("fail_under_branches", "project_branches"),
        ("fail_under_diff", "diff"),
    )
    for flag, name in overrides:
        value = getattr(args, flag, None)
        if value is not None:
            thresholds = replace(thresholds, **{name: value})
    settings = replace(settings, thresholds=thresholds)
    if getattr(args, "window", None):
        settings = replace(settings, baseline_window=args.window)
    if getattr(args, "register", None):
        settings = replace(settings, register_path=str(args.register))
    return settings


def github_client(args: argparse.Namespace, ctx: Context, settings: Settings) -> GitHubClient:
    """The GitHub client of a verb: its repository, time limit and request timeout."""
    return ctx.github(
        ctx.repository(args.repository),
        time_limit=settings.github_time_limit,
        request_timeout=settings.github_request_timeout,
    )


def usable_cpus() -> int:
    """CPUs this process may run on (the affinity mask where the platform has one)."""
    if hasattr(os, "sched_getaffinity"):  # Linux; macOS and Windows have none
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def cmd_collect(args: argparse.Namespace, ctx: Context) -> int:
    """Coverage + test results + tox timings -> snapshot JSON."""
    from ci_metrics.coverage_reader import (
        LayerRules,
        combine_data,
        coverage_version,
        default_data_file,
        read_coverage,
    )

    workspace = locate(args.root, ctx)
    settings = settings_for(args, workspace)
    data_file: Path = args.coverage_file or default_data_file(workspace.project, args.rcfile)
    if args.combine:
        ctx.say(f"combining {', '.join(map(str, args.combine))} into {data_file} ...")
        combine_data(data_file, args.combine, workspace.project, args.rcfile)
    ctx.say(f"analysing {data_file} with coverage.py {coverage_version()} ...")
    reading = read_coverage(
        data_file,
        project=workspace.project,
        worktree=workspace.worktree,
        rules=LayerRules(frozenset(settings.layers), settings.default_layer),
        rcfile=args.rcfile,
        jobs=args.jobs or usable_cpus(),
    )
    ctx.say(f"  {len(reading.files)} files reported")
    if reading.outside_worktree:
        ctx.say(
            f"  note: {len(reading.outside_worktree)} reported file(s) lie outside the git "
            f"work tree {workspace.worktree}, e.g. {reading.outside_worktree[0]}"
        )
    if reading.unattributed:
        examples = ", ".join(repr(c) for c in sorted(reading.unattributed)[:3])
        ctx.say(
            f"  warning: {len(reading.unattributed)} coverage context(s) name no configured "
            f"layer (e.g. {examples}): their lines count as covered but for no layer; set "
            "`default_layer` in [tool.ci_metrics] to give them one"
        )
    tests = {}
    python: dict[str, dict[str, VersionOutcome]] = {}
    for layer_dir in (
        sorted(p for p in args.results_dir.iterdir() if p.is_dir())
        if args.results_dir.is_dir()
        else []
    ):
        runs = read_layer_runs(layer_dir)
        if runs is None:
            continue
        tests[layer_dir.name] = results = merge_versions(runs)
        named = sorted(v for v in runs if v)
        if named:
            python[layer_dir.name] = {v or "unnamed": VersionOutcome.of(r) for v, r in runs.items()}
        on = f" on Python {', '.join(named)}" if named else ""
        ctx.say(f"  layer {layer_dir.name}: {len(results)} tests{on}")
    unknown = sorted(set(tests) - set(settings.layers))
    if unknown:
        ctx.say(f"  note: result folders for unconfigured layers: {', '.join(unknown)}")
    tox_files = args.tox_json or sorted(args.results_dir.glob("*/tox-result*.json"))
    timing = read_tox_results(tox_files)
    snapshot = build_snapshot(
        files=reading.files,
        tests=tests,
        timing=timing,
        now=ctx.now(),
        sha=args.sha or ctx.environ.get("GITHUB_SHA", ""),
        run_id=args.run_id or ctx.environ.get("GITHUB_RUN_ID", "local"),
        branch_data=reading.branch_data,
        python=python,
    )
    write_json_atomic(args.output, snapshot.to_json())
    ctx.say(f"wrote {args.output}")
    return EXIT_OK


def cmd_baseline(args: argparse.Namespace, ctx: Context) -> int:
    """Merge a snapshot into the rolling baseline, or fetch the newest one from GitHub."""
    if args.action == "fetch":
        from ci_metrics.baseline_fetch import MAX_RUNS, fetch_baseline

        settings = settings_for(args)

        workflow = args.workflow or settings.baseline_workflow
        artifact = args.artifact_name or settings.baseline_artifact
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
        _append(
            ctx, "GITHUB_OUTPUT", github_output({"found": str(search.path is not None).lower()})
        )
        return EXIT_OK
    settings = settings_for(args, locate(args.root, ctx))
    snapshot = load_snapshot(args.snapshot)
    # Every input is read and checked before anything is written.
    mutation = load_scores(args.mutation_scores) if args.mutation_scores else None
    current = (
        load_baseline(args.baseline)
        if args.baseline.is_file()
        else empty_baseline(settings.baseline_window)
    )
    merged = merge_snapshot(current, snapshot, settings, mutation)
    write_json_atomic(args.baseline, merged)
    durations = durations_map(merged)
    write_text_atomic(args.durations, json.dumps(durations, indent=2, sort_keys=True) + "\n")
    ctx.say(
        f"wrote {args.baseline} ({len(merged['runs'])} runs) and {args.durations} "
        f"({len(durations)} tests)"
    )
    if mutation is not None:
        summary = render_scores(mutation, previous_scores(current["runs"]))
        print(summary, end="", file=ctx.stdout)
        _append(ctx, "GITHUB_STEP_SUMMARY", summary)
        ctx.say(f"recorded the mutation scores of {len(mutation.modules)} module(s)")
    return EXIT_OK


def _diff(args: argparse.Namespace, ctx: Context) -> tuple[Diff | None, str]:
    """The pull request's changed lines, or ``None`` and why there are none."""
    if args.no_diff:
        return None, "skipped with --no-diff"
    if args.diff_file:
        return diff_from_file(args.diff_file), ""
    requested = args.base
    if not requested and ctx.environ.get("GITHUB_BASE_REF"):
        requested = f"origin/{ctx.environ['GITHUB_BASE_REF']}"
    try:
        base = resolve_base(args.root, requested, ctx.git)
    except GitError as exc:
        if requested:
            raise
        ctx.say(f"{exc}; reporting without diff coverage")
        return None, f"{exc}, or --no-diff to skip the diff gate"
    ctx.say(f"computing the diff against the merge base with {base} ...")
    return diff_from_git(args.root, base, ctx.git), ""


def _report(args: argparse.Namespace, ctx: Context) -> tuple[Report, Settings]:
    workspace = locate(args.root, ctx)
    settings = settings_for(args, workspace)
    snapshot = load_snapshot(args.snapshot)
    baseline = load_baseline(args.baseline) if args.baseline.is_file() else None
    if baseline is None:
        ctx.say(f"no baseline at {args.baseline}: reporting without comparison")
    prefix = workspace.prefix_of(args.root)
    register = [
        replace(entry, prefix=prefix + entry.prefix)
        for entry in load_register(args.root / settings.register_path, args.root)
    ]
    pr_event = ctx.pull_request()
    number = args.pr or pr_event.get("number")
    head = args.head_sha or (pr_event.get("head") or {}).get("sha") or snapshot.sha
    pr = PullRequest(
        head_sha=str(head or ""),
        number=int(number) if number else None,
        repository=ctx.environ.get("GITHUB_REPOSITORY", ""),
        server_url=ctx.environ.get("GITHUB_SERVER_URL", "https://github.com"),
    )
    diff, no_diff = _diff(args, ctx)
    report = build_report(
        snapshot=snapshot,
        baseline=baseline,
        diff=diff,
        settings=settings,
        register=register,
        pr=pr,
        now=ctx.now(),
        no_diff=no_diff,
        diff_skipped=bool(args.no_diff),
    )
    return report, settings


def cmd_report(args: argparse.Namespace, ctx: Context) -> int:
    """Render the comment, the step summary, annotations and key figures."""
    report, settings = _report(args, ctx)
    out: Path = args.output_dir
    comment = render_comment(report, settings.marker_html, settings.max_comment_chars)
    summary = render_summary(report)
    write_text_atomic(out / "comment.md", comment)
    write_text_atomic(out / "summary.md", summary)
    figures = report.key_figures()
    write_json_atomic(out / "figures.json", figures)
    if args.annotations:
        for line in line_annotations(report, settings.max_annotations):
            print(line, file=ctx.stdout)
    _append(ctx, "GITHUB_STEP_SUMMARY", summary)
    _append(ctx, "GITHUB_OUTPUT", github_output(figures))
    ctx.say(f"wrote {out / 'comment.md'} ({len(comment)} characters) and {out / 'summary.md'}")
    return EXIT_OK


def _append(ctx: Context, variable: str, text: str) -> None:
    target = ctx.environ.get(variable)
    if target:
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write(text)


def cmd_gate(args: argparse.Namespace, ctx: Context) -> int:
    """Apply the thresholds (minus the exception register); exit 1 when one fails."""
    report, _settings = _report(args, ctx)
    for gate in report.gates:
        print(("ok   " if gate.passed else "FAIL ") + gate.describe(), file=ctx.stdout)
    for entry in report.expired:
        ctx.say(
            f"warning: coverage exception {entry.module} is past its review date "
            f"{entry.review_date}"
        )
    return EXIT_OK if report.passed else EXIT_GATE_FAILED


def cmd_post(args: argparse.Namespace, ctx: Context) -> int:
    """Post or update the sticky comment; fall back to an artifact with a read-only token."""
    from ci_metrics.post import CommentPayload, fit_body, write_artifact

    settings = settings_for(args)
    marker = settings.marker_html
    if args.from_artifact:
        return _post_artifact(args, ctx, settings)
    body = _read_comment(args.comment)
    if not body.startswith(marker):
        raise InputError(f"comment file {args.comment} does not start with the marker {marker}")
    body, oversize = fit_body(body, marker, settings.max_comment_chars)
    if oversize is not None:
        ctx.say(
            f"{args.comment} is {oversize} characters, over the limit of "
            f"{settings.max_comment_chars}: posting a short notice instead (the full report "
            "is in the job summary)"
        )
    pr_event = ctx.pull_request()
    number = args.pr or pr_event.get("number")
    if not number:
        raise InputError("no pull request: pass --pr or run on a pull_request event")
    head = (
        args.head_sha
        or (pr_event.get("head") or {}).get("sha")
        or ctx.environ.get("GITHUB_SHA", "")
    )
    payload = CommentPayload(int(number), str(head), body)
    if args.artifact_only:
        write_artifact(args.artifact, payload)
        ctx.say(f"wrote {args.artifact} for the comment workflow")
        return EXIT_OK
    client = github_client(args, ctx, settings)
    try:
        with client.http:
            _post_and_say(args, ctx, settings, client, payload)
    except ReadOnlyToken:
        write_artifact(args.artifact, payload)
        ctx.say(f"read-only token: wrote {args.artifact} for the comment workflow instead")
    return EXIT_OK


def _post_artifact(args: argparse.Namespace, ctx: Context, settings: Settings) -> int:
    """``post --from-artifact``: bind the untrusted artifact to the triggering run, then post."""
    from ci_metrics.binding import TriggeringRun, check_binding
    from ci_metrics.post import load_artifact

    run = TriggeringRun.from_environ(ctx.environ)
    payload = load_artifact(args.from_artifact, settings.marker_html, settings.max_comment_chars)
    client = github_client(args, ctx, settings)
    with client.http:
        skipped = check_binding(client, payload, run)
        if skipped is not None:
            ctx.say(f"skipped: {skipped}")
            return EXIT_OK
        _post_and_say(args, ctx, settings, client, payload)
    return EXIT_OK


def _post_and_say(
    args: argparse.Namespace,
    ctx: Context,
    settings: Settings,
    client: GitHubClient,
    payload: CommentPayload,
) -> None:
    """Post the sticky comment as the token's identity and log what was done.

    The author is ``--author``, else the login GitHub gives for the token
    (``GET /user``), else ``comment.author``: installation tokens such as
    ``GITHUB_TOKEN`` cannot read ``/user``, and act as ``github-actions[bot]``.
    """
    from ci_metrics.post import describe, post_sticky

    author = args.author or client.token_login() or settings.comment_author
    ctx.say(f"sticky comment: the one by {author} that starts with {settings.marker_html}")
    posted = post_sticky(client, payload.pr_number, payload.body, settings.marker_html, author)
    for line in describe(posted, payload.pr_number):
        ctx.say(line)


def cmd_find_artifact(args: argparse.Namespace, ctx: Context) -> int:
    """Say in ``$GITHUB_OUTPUT`` whether a workflow run has an unexpired artifact."""
    settings = settings_for(args)
    client = github_client(args, ctx, settings)
    with client.http:
        found = [a for a in client.run_artifacts(args.run_id, args.name) if not a.get("expired")]
    if found:
        ctx.say(f"run {args.run_id} has the artifact {args.name}")
    else:
        ctx.say(f"run {args.run_id} has no unexpired artifact {args.name}: nothing to do")
    text = github_output({"found": "true" if found else "false"})
    print(text, end="", file=ctx.stdout)
    _append(ctx, "GITHUB_OUTPUT", text)
    return EXIT_OK


def _read_comment(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        raise InputError(f"comment file not found: {path} (run `report` first)") from None


def cmd_exceptions(args: argparse.Namespace, ctx: Context) -> int:
    """Validate the exception register; exit 1 when a review date has passed."""
    settings = settings_for(args)
    path = args.root / settings.register_path
    if not path.is_file():
        raise InputError(f"exception register not found: {path}")
    entries = load_register(path, args.root)
    today = args.today or ctx.now().date()
    expired = [e for e in entries if e.expired(today)]
    for entry in expired:
        print(
            f"{path}:{entry.line}: review date {entry.review_date} of {entry.module} has passed",
            file=ctx.stdout,
        )
    if not expired:
        print(f"{path}: {len(entries)} exception(s), all within their review date", file=ctx.stdout)
    return EXIT_GATE_FAILED if expired else EXIT_OK
