"""What every verb shares: its collaborators, where it works, its settings, its outputs.

:class:`Context` holds everything a verb touches outside its arguments (the
environment, the clocks, the output streams, ``git`` and the HTTP client
factory); tests pass fakes. The helpers below are the plumbing the verbs have
in common: the project folder found from a sub-folder (:func:`find_root`), the work
tree (:func:`locate`), the settings with the command line's overrides
(:func:`settings_for`), the GitHub client (:func:`github_client`),
the workflow files a verb appends to (:func:`append_to`), and the one answer to
"which pull request, at which commit" (:func:`resolve_pull_request`).

Nothing heavy is imported here: the verbs import the pipeline they run when
they run it, so ``--help`` and the short verbs start fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ci_metrics.errors import GitError, InputError
from ci_metrics.inputs.gitdiff import GitRunner, run_git

if TYPE_CHECKING:  # httpx is imported only by the verbs that talk to GitHub
    import httpx

    from ci_metrics.github.client import GitHubClient
    from ci_metrics.model.report import PullRequest
    from ci_metrics.settings import Settings

#: Where the verbs read and write by default, relative to the current directory.
RESULTS = Path("results")
SNAPSHOT = RESULTS / "ci_metrics" / "snapshot.json"
BASELINE = RESULTS / "baseline" / "baseline.json"
#: The base snapshot ``plan`` saves beside its plan, for ``collect --carry`` and ``report``.
BASE_SNAPSHOT = RESULTS / "plan" / "base-snapshot.json"
REPORT_DIR = RESULTS / "report"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _http_client(token: str | None, api_url: str, timeout: float) -> httpx.Client:
    from ci_metrics.github.http import make_http_client

    return make_http_client(token, api_url, timeout)


@dataclass
class Context:
    """Everything a verb touches outside its arguments; tests pass fakes."""

    environ: Mapping[str, str]
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    now: Callable[[], datetime] = _utcnow
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    git: GitRunner = run_git
    http_factory: Callable[[str | None, str, float], httpx.Client] = _http_client

    @property
    def token(self) -> str | None:
        """``GITHUB_TOKEN`` (never printed: see :meth:`redact`)."""
        return self.environ.get("GITHUB_TOKEN") or None

    def redact(self, text: str) -> str:
        """``text`` with the token, if any, masked."""
        return text.replace(self.token, "***") if self.token else text

    def say(self, message: str) -> None:
        """Progress and results for humans, on stderr."""
        print(self.redact(message), file=self.stderr, flush=True)

    def repository(self, override: str | None = None) -> str:
        """``owner/name`` from the flag or ``GITHUB_REPOSITORY``."""
        repo = override or self.environ.get("GITHUB_REPOSITORY", "")
        if "/" not in repo:
            raise InputError("no repository: set GITHUB_REPOSITORY or pass --repository")
        return repo

    def github(self, repository: str, *, time_limit: float, request_timeout: float) -> GitHubClient:
        """A client for ``repository`` whose calls all end within ``time_limit`` seconds.

        The token and ``GITHUB_API_URL`` are checked first: a malformed value is bad
        input (exit 2) at once, not a network failure retried until the limit.
        """
        if not self.token:
            raise InputError("GITHUB_TOKEN is not set")
        from ci_metrics.github.client import GitHubClient
        from ci_metrics.github.http import check_api_url, check_token

        check_token(self.token)
        api = check_api_url(self.environ.get("GITHUB_API_URL") or "https://api.github.com")
        return GitHubClient(
            self.http_factory(self.token, api, request_timeout),
            repository,
            time_limit=time_limit,
            sleep=self.sleep,
            clock=self.clock,
            monotonic=self.monotonic,
            log=self.say,
        )

    def event(self) -> dict[str, Any]:
        """The workflow event payload (``GITHUB_EVENT_PATH``), or ``{}`` locally."""
        path = self.environ.get("GITHUB_EVENT_PATH")
        if not path:
            return {}
        try:
            payload = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            raise InputError(f"cannot read the event payload {path}") from None
        return payload if isinstance(payload, dict) else {}

    def pull_request(self) -> dict[str, Any]:
        """The event's ``pull_request`` object, or ``{}``."""
        pr = self.event().get("pull_request")
        return pr if isinstance(pr, dict) else {}


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


def find_root(args: argparse.Namespace, ctx: Context) -> None:
    """Set ``args.root`` when ``--root`` was not given: the current folder, or the nearest
    folder above it, up to the top of the git work tree, whose ``pyproject.toml`` holds
    ``[tool.ci_metrics]`` (as tox and coverage.py's users expect when they run from a
    sub-folder). Found above, the verb's default paths (``results/...``, listed in
    ``args.path_defaults``) are the project's too; paths given as flags stay relative
    to the current folder, as any command's."""
    from ci_metrics.inputs.pyproject import find_project

    if args.root is not None:
        return
    args.root = Path(".")
    if args.pyproject is not None:
        return
    here = Path.cwd().resolve()
    try:
        top = Path(ctx.git(["rev-parse", "--show-toplevel"], here).strip())
    except GitError:
        return
    found = find_project(here, top)
    if found is None or found == here:
        return
    args.root = found
    for dest, default in getattr(args, "path_defaults", {}).items():
        if getattr(args, dest) is default:
            setattr(args, dest, found / default)
    ctx.say(f"project folder: {shown(found)} (the nearest above with [tool.ci_metrics])")


def shown(path: Path) -> str:
    """``path`` relative to the current folder when that reads shorter (``../pyproject.toml``)."""
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    return relative if len(relative) < len(absolute) else absolute


def locate(root: Path, ctx: Context) -> Workspace:
    """The project at ``root`` and the git work tree holding it (or itself, outside git)."""
    project = root.resolve()
    try:
        top = ctx.git(["rev-parse", "--show-toplevel"], project).strip()
    except GitError:
        return Workspace(project, project)
    return Workspace(project, Path(top).resolve())


def settings_for(
    args: argparse.Namespace, workspace: Workspace | None = None, ctx: Context | None = None
) -> Settings:
    """Settings from ``pyproject.toml`` with the command line's overrides applied.

    With a ``workspace``, the layers must be configured, each owned path must name a
    file or folder of the work tree (relative to the ``pyproject.toml``, or to the top
    of the work tree for a settings file outside it), and owned paths are rebased onto
    the work tree. With a ``ctx``, the file read is said.
    """
    from ci_metrics.errors import SettingsError
    from ci_metrics.inputs.owned_paths import owned_path_problems
    from ci_metrics.settings import load_settings, with_overrides

    pyproject: Path = args.pyproject or args.root / "pyproject.toml"
    settings = load_settings(pyproject)
    if ctx is not None:
        state = "" if pyproject.is_file() else " (not found: the defaults)"
        ctx.say(f"settings: [tool.ci_metrics] of {shown(pyproject)}{state}")
    if workspace is not None:
        settings.require_layers()
        prefix = workspace.prefix_of(pyproject.parent)
        inside = _inside(pyproject, workspace)
        base = pyproject.parent.resolve() if inside else workspace.worktree
        problems = owned_path_problems(settings, base)
        if problems:
            raise SettingsError(f"invalid [tool.ci_metrics] in {pyproject}: " + "; ".join(problems))
        settings = settings.under(prefix)
    return with_overrides(
        settings,
        lines=getattr(args, "fail_under_lines", None),
        branches=getattr(args, "fail_under_branches", None),
        diff=getattr(args, "fail_under_diff", None),
        window=getattr(args, "window", None),
        register=getattr(args, "register", None),
    )


def _inside(path: Path, workspace: Workspace) -> bool:
    folder = path.parent.resolve()
    return folder == workspace.worktree or workspace.worktree in folder.parents


def github_client(args: argparse.Namespace, ctx: Context, settings: Settings) -> GitHubClient:
    """The GitHub client of a verb: its repository (``--repository``), time limit and
    request timeout."""
    return ctx.github(
        ctx.repository(args.repository),
        time_limit=settings.github.time_limit_seconds,
        request_timeout=settings.github.request_timeout_seconds,
    )


def append_to(ctx: Context, variable: str, text: str) -> None:
    """Append ``text`` to the file a workflow variable names (``GITHUB_OUTPUT``,
    ``GITHUB_STEP_SUMMARY``); nothing when it is not set (a local run)."""
    target = ctx.environ.get(variable)
    if target:
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write(text)


def resolve_pull_request(
    ctx: Context, *, number: int | None, head_sha: str | None, measured: str = ""
) -> PullRequest:
    """The pull request a verb reports on or posts to, and its head commit.

    ``report``, ``gate`` and ``post`` all resolve it here, in one order:

    * the number: ``--pr``, else the event's ``pull_request.number``
      (``GITHUB_EVENT_PATH``), else none;
    * the head commit: ``--head-sha``, else the event's ``pull_request.head.sha``,
      else ``GITHUB_SHA``, else the commit the snapshot measured (``measured``),
      else none (``""``).

    The event's head comes before ``GITHUB_SHA``: on a ``pull_request`` event
    ``GITHUB_SHA`` is the merge commit GitHub made for the run, which neither the
    pull request's "Files changed" view nor the comment workflow's binding knows.
    """
    from ci_metrics.model.report import PullRequest

    event = ctx.pull_request()
    if number is None and "number" in event:
        found = event["number"]
        if isinstance(found, bool) or not isinstance(found, int) or found < 1:
            raise InputError("the event's pull_request.number is not a pull request number")
        number = found
    head = event.get("head")
    event_sha = head.get("sha") if isinstance(head, dict) else None
    return PullRequest(
        head_sha=head_sha
        or (event_sha if isinstance(event_sha, str) else "")
        or ctx.environ.get("GITHUB_SHA", "")
        or measured,
        number=number,
        repository=ctx.environ.get("GITHUB_REPOSITORY", ""),
        server_url=ctx.environ.get("GITHUB_SERVER_URL", "https://github.com"),
    )
