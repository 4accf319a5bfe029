"""The sticky comment: exactly one per pull request, found by author and marker.

A comment is the tool's own when its author is the login the token acts as and
its body starts with the marker; another user's comment, or another bot's that
quotes the marker, is never touched.

A write that may have happened is not repeated blindly: when a POST's answer is
lost (a 5xx, a timeout) the comments are listed again and what is there is
updated. After posting, other own sticky comments (from an old race, or a lost
answer) are deleted, keeping the oldest, so exactly one remains.

An all-clear body (nothing to act on: ``comment.when = "actionable"``) only
edits an existing comment down to its one line; it never creates one, so a
quiet pull request sends no notification.

With a read-only token the comment goes to an artifact instead
(:mod:`ci_metrics.github.artifact`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ci_metrics.errors import GitHubError, WriteOutcomeUnknown
from ci_metrics.github.client import GitHubClient
from ci_metrics.render.size import comment_size

MAX_WRITE_ROUNDS = 4


@dataclass(frozen=True)
class Posted:
    """The outcome: ``created``, ``updated``, ``unchanged`` or ``not created`` (an
    all-clear body and no comment to edit), and what was cleaned up."""

    action: str
    comment_id: int
    deleted: tuple[int, ...] = ()
    already_gone: tuple[int, ...] = ()


def is_own_sticky(comment: Any, marker: str, author: str) -> bool:
    """``comment`` was written by ``author`` and starts with the marker."""
    if not isinstance(comment, dict):
        return False
    user, body = comment.get("user"), comment.get("body")
    return (
        isinstance(user, dict)
        and user.get("login") == author
        and isinstance(body, str)
        and body.startswith(marker)
    )


def own_sticky_comments(
    client: GitHubClient, number: int, marker: str, author: str
) -> list[dict[str, Any]]:
    """Every own sticky comment of the pull request, across all pages, oldest first."""
    ours = [c for c in client.issue_comments(number) if is_own_sticky(c, marker, author)]
    return sorted(ours, key=lambda c: int(c["id"]))


def too_large_body(marker: str) -> str:
    """The short comment posted instead of a report over the size limit."""
    return (
        f"{marker}\n## Coverage and test metrics\n\n"
        "The report is too large for a comment; see the job summary of this run.\n"
    )


def fit_body(body: str, marker: str, limit: int) -> tuple[str, int | None]:
    """``body`` if it is within ``limit`` (see :func:`comment_size`), else the short
    notice and the size that was over."""
    size = comment_size(body)
    return (body, None) if size <= limit else (too_large_body(marker), size)


def is_all_clear(body: str, marker: str, all_clear: str) -> bool:
    """Whether ``body`` is the all-clear comment (its second line is the all-clear mark)."""
    return body.startswith(f"{marker}\n{all_clear}\n")


def post_sticky(
    client: GitHubClient, number: int, body: str, marker: str, author: str, *, create: bool = True
) -> Posted:
    """Make ``body`` the one own sticky comment of pull request ``number``.

    Up to :data:`MAX_WRITE_ROUNDS` creates, each only after a listing found no own
    comment; a lost answer is followed by a pause and a new listing. With ``create``
    false an existing comment is updated, and none is created.
    """
    if not create:
        ours = own_sticky_comments(client, number, marker, author)
        return _settle(client, ours, body, None) if ours else Posted("not created", 0)
    created: int | None = None
    # A look before each write, and one after the last.
    for attempt in range(MAX_WRITE_ROUNDS + 1):
        ours = own_sticky_comments(client, number, marker, author)
        if created is not None and all(int(c["id"]) != created for c in ours):
            ours.append({"id": created, "body": body})  # not listed yet: it exists all the same
        if ours:
            return _settle(client, ours, body, created)
        if attempt < MAX_WRITE_ROUNDS:
            created = _create(client, number, body, attempt)
    raise GitHubError(
        f"could not confirm the comment on PR #{number}: {MAX_WRITE_ROUNDS} writes got no "
        "answer and none of them shows in the comments"
    )


def _create(client: GitHubClient, number: int, body: str, attempt: int) -> int | None:
    """Write the comment; its id, or None when the answer was lost (the next look tells)."""
    try:
        return int(client.create_comment(number, body)["id"])
    except WriteOutcomeUnknown as exc:
        if attempt < MAX_WRITE_ROUNDS - 1:
            client.pause(f"{exc}; looking before writing again", client.backoff(attempt + 1))
        else:
            client.log(f"{exc}; looking once more")
        return None


def _settle(
    client: GitHubClient, ours: list[dict[str, Any]], body: str, created: int | None
) -> Posted:
    keep, *extra = ours
    keep_id = int(keep["id"])
    if keep.get("body") != body:
        client.update_comment(keep_id, body)
        action = "updated"
    else:
        action = "created" if keep_id == created else "unchanged"
    deleted: list[int] = []
    gone: list[int] = []
    for comment in extra:
        cid = int(comment["id"])
        (deleted if client.delete_comment(cid) else gone).append(cid)
    return Posted(action, keep_id, tuple(deleted), tuple(gone))


def describe(posted: Posted, number: int) -> list[str]:
    """Log lines for the outcome of :func:`post_sticky`."""
    if posted.action == "not created":
        return [f"nothing to act on and no comment on PR #{number} yet: none created"]
    if posted.action == "unchanged":
        lines = [f"comment {posted.comment_id} on PR #{number} is already up to date"]
    else:
        lines = [f"{posted.action} comment {posted.comment_id} on PR #{number}"]
    if posted.deleted:
        ids = ", ".join(map(str, posted.deleted))
        lines.append(f"deleted {len(posted.deleted)} older duplicate sticky comment(s): {ids}")
    if posted.already_gone:
        ids = ", ".join(map(str, posted.already_gone))
        lines.append(f"duplicate sticky comment(s) {ids} already gone")
    return lines
