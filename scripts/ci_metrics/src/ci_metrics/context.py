"""The collaborators a command runs with: environment, clock, output streams, clients."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ci_metrics.errors import InputError
from ci_metrics.gitdiff import GitRunner, run_git

if TYPE_CHECKING:  # httpx is imported only by the verbs that talk to GitHub
    import httpx

    from ci_metrics.github import GitHubClient


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _http_client(token: str | None, api_url: str, timeout: float) -> httpx.Client:
    from ci_metrics.github import make_http_client

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
        from ci_metrics.github import GitHubClient, check_api_url, check_token

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
