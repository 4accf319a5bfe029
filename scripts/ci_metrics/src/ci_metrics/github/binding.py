"""Which pull request a comment artifact may be posted on: the triggering run's own.

``pr-comment.yml`` posts, with a write token, a comment that an untrusted
pull-request run rendered. The artifact names its pull request, but whoever
controls the run's code controls that number. So the pull request is bound to
the run through what GitHub says about both. The workflow passes the run's
values from the ``workflow_run`` event as environment variables:

``CI_METRICS_RUN_PULL_REQUESTS``
    ``toJSON(github.event.workflow_run.pull_requests)``. When it lists pull
    requests (same-repository runs), the artifact's must be one of them. GitHub
    leaves it empty for runs from forks, so it is never the only check.
``CI_METRICS_RUN_HEAD_REPOSITORY``, ``CI_METRICS_RUN_HEAD_BRANCH``, ``CI_METRICS_RUN_HEAD_SHA``
    The artifact must be for the run's head commit, and the pull request, as
    GitHub reports it now, must be open with this head repository and branch.

Any mismatch is refused (exit 2, nothing posted). When everything binds but
there is nothing to report on, the artifact is skipped with exit 0 and a line
saying why: the pull request's head is no longer the run's head commit (a newer
push moved it, and that push's own run posts its report), or the pull request
was closed or merged while its checks ran.

What the binding cannot tell apart: two open pull requests with the same head
repository and branch (one branch proposed to two base branches). Both are the
run author's own, and the artifact picks between them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ci_metrics.errors import GitHubError, InputError
from ci_metrics.github.artifact import SHA, CommentPayload
from ci_metrics.github.client import GitHubClient

PULL_REQUESTS = "CI_METRICS_RUN_PULL_REQUESTS"
HEAD_REPOSITORY = "CI_METRICS_RUN_HEAD_REPOSITORY"
HEAD_BRANCH = "CI_METRICS_RUN_HEAD_BRANCH"
HEAD_SHA = "CI_METRICS_RUN_HEAD_SHA"
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class BindingRefused(InputError):
    """The artifact's pull request is not the triggering run's own."""


@dataclass(frozen=True)
class TriggeringRun:
    """What GitHub's ``workflow_run`` event says about the run that made the artifact."""

    head_sha: str
    head_branch: str
    head_repository: str
    pull_requests: tuple[int, ...]

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> TriggeringRun:
        """Parse the four variables; one error names every missing or invalid one."""
        names = (HEAD_SHA, HEAD_BRANCH, HEAD_REPOSITORY, PULL_REQUESTS)
        missing = [name for name in names if not environ.get(name, "").strip()]
        if missing:
            raise InputError(
                f"post --from-artifact needs the triggering run's {', '.join(missing)} in the "
                "environment (pr-comment.yml passes them from the workflow_run event)"
            )
        problems = []
        sha, branch = environ[HEAD_SHA], environ[HEAD_BRANCH]
        repository = environ[HEAD_REPOSITORY]
        if not SHA.match(sha):
            problems.append(f"{HEAD_SHA} must be 40 hex digits")
        if not _REPOSITORY.match(repository):
            problems.append(f"{HEAD_REPOSITORY} must be owner/name")
        numbers = _pull_request_numbers(environ[PULL_REQUESTS])
        if numbers is None:
            problems.append(
                f"{PULL_REQUESTS} must be the JSON list of the run's pull requests "
                "(toJSON(github.event.workflow_run.pull_requests))"
            )
        if problems or numbers is None:
            raise InputError("; ".join(problems))
        return cls(sha, branch, repository, numbers)


def _pull_request_numbers(text: str) -> tuple[int, ...] | None:
    try:
        items: Any = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(items, list):
        return None
    numbers = [item.get("number") if isinstance(item, dict) else None for item in items]
    if not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in numbers):
        return None
    return tuple(int(n) for n in numbers if n is not None)


def _refuse(reason: str) -> BindingRefused:
    return BindingRefused(f"refusing to post: {reason}; nothing posted")


def check_binding(client: GitHubClient, payload: CommentPayload, run: TriggeringRun) -> str | None:
    """``None`` when ``payload`` may be posted; why it is skipped when the pull request is
    the run's but closed or moved on; raises :class:`BindingRefused` when it is not the run's."""
    number = payload.pr_number
    if payload.head_sha != run.head_sha:
        raise _refuse(
            f"the comment artifact is for {payload.head_sha[:10]}, "
            f"the run's head is {run.head_sha[:10]}"
        )
    if run.pull_requests and number not in run.pull_requests:
        listed = ", ".join(f"#{n}" for n in run.pull_requests)
        raise _refuse(f"PR #{number} is not a pull request of the workflow run (it lists {listed})")
    try:
        pull = client.pull_request(number)
    except GitHubError as exc:
        if exc.status == 404:
            raise _refuse(f"PR #{number} does not exist in {client.repository}") from None
        raise
    raw_head = pull.get("head")
    head: dict[str, Any] = raw_head if isinstance(raw_head, dict) else {}
    repo = head.get("repo")
    if pull.get("state") not in ("open", "closed"):
        raise _refuse(f"GitHub reported PR #{number} in an unknown state")
    if not isinstance(repo, dict) or not isinstance(repo.get("full_name"), str):
        raise _refuse(f"PR #{number}'s head repository is gone (a deleted fork)")
    if repo["full_name"].casefold() != run.head_repository.casefold():
        raise _refuse(
            f"PR #{number}'s head repository is {repo['full_name']!r}, "
            f"the run's is {run.head_repository!r}"
        )
    if head.get("ref") != run.head_branch:
        raise _refuse(
            f"PR #{number}'s head branch is {head.get('ref')!r}, the run's is {run.head_branch!r}"
        )
    current = head.get("sha")
    if not isinstance(current, str) or not SHA.match(current):
        raise _refuse(f"GitHub did not report PR #{number}'s head commit")
    if current != run.head_sha:
        return (
            f"the run is stale: PR #{number}'s head is now {current[:10]}, the run measured "
            f"{run.head_sha[:10]} (the newer push's run posts its report)"
        )
    if pull.get("state") == "closed":
        merged = "merged" if pull.get("merged_at") else "closed"
        return f"PR #{number} was {merged} while its checks ran: no comment to update"
    return None
