"""The sticky comment: find it by marker and author, update it in place or create it.

With a read-only token (pull requests from forks) the comment and the pull request's
metadata go to a JSON file instead, uploaded as an artifact; a ``workflow_run``
workflow then validates that untrusted file and posts it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.ci_metrics.errors import InputError
from scripts.ci_metrics.fileio import write_json_atomic
from scripts.ci_metrics.github import CommentTooLarge, GitHubClient

ARTIFACT_SCHEMA = "ci-metrics-comment"
_SHA = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class CommentPayload:
    """What the artifact carries: the target pull request, its head and the body."""

    pr_number: int
    head_sha: str
    body: str


def find_sticky(client: GitHubClient, number: int, marker: str, author: str) -> int | None:
    """The id of the first comment carrying ``marker`` by ``author``, across all pages."""
    for comment in client.issue_comments(number):
        user = comment.get("user") or {}
        if marker in (comment.get("body") or "") and user.get("login") == author:
            return int(comment["id"])
    return None


def too_large_body(marker: str) -> str:
    """The short comment used when GitHub still finds the body too long."""
    return (
        f"{marker}\n## Coverage and test metrics\n\n"
        "The report is too large for a comment; see the job summary of this run.\n"
    )


def post_sticky(
    client: GitHubClient, number: int, body: str, marker: str, author: str
) -> tuple[str, int]:
    """Update the sticky comment or create it; returns (``updated``|``created``, comment id)."""
    existing = find_sticky(client, number, marker, author)
    for attempt_body in (body, too_large_body(marker)):
        try:
            if existing is not None:
                client.update_comment(existing, attempt_body)
                return "updated", existing
            created = client.create_comment(number, attempt_body)
            return "created", int(created["id"])
        except CommentTooLarge:
            if attempt_body != body:
                raise
    raise CommentTooLarge("unreachable")  # pragma: no cover  (the loop always returns or raises)


def write_artifact(path: Path, payload: CommentPayload) -> Path:
    """Write the comment and pull-request metadata for a later ``post --from-artifact``."""
    if not _SHA.match(payload.head_sha):
        raise InputError("the comment artifact needs the head commit: pass --head-sha")
    return write_json_atomic(
        path,
        {
            "schema": ARTIFACT_SCHEMA,
            "pr_number": payload.pr_number,
            "head_sha": payload.head_sha,
            "body": payload.body,
        },
    )


def load_artifact(path: Path, marker: str, max_chars: int) -> CommentPayload:
    """Read an artifact file as untrusted input: size, shape, PR number, SHA and marker."""
    try:
        size = path.stat().st_size
    except OSError:
        raise InputError(f"comment artifact not found: {path}") from None
    if size > 4 * max_chars + 4096:
        raise InputError(f"comment artifact {path} is too large ({size} bytes)")
    try:
        doc: Any = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"comment artifact {path} is not valid JSON") from None
    if not isinstance(doc, dict) or doc.get("schema") != ARTIFACT_SCHEMA:
        raise InputError(f"comment artifact {path}: not a ci-metrics comment")
    number, sha, body = doc.get("pr_number"), doc.get("head_sha"), doc.get("body")
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise InputError(f"comment artifact {path}: pr_number must be a positive integer")
    if not isinstance(sha, str) or not _SHA.match(sha):
        raise InputError(f"comment artifact {path}: head_sha must be 40 hex digits")
    if not isinstance(body, str) or len(body) > max_chars:
        raise InputError(f"comment artifact {path}: body missing or over {max_chars} characters")
    if not body.startswith(marker):
        raise InputError(f"comment artifact {path}: body does not start with the marker")
    return CommentPayload(number, sha, body)


def head_moved(client: GitHubClient, payload: CommentPayload) -> str | None:
    """The pull request's current head SHA when it differs from the payload's, else ``None``."""
    head = str((client.pull_request(payload.pr_number).get("head") or {}).get("sha", ""))
    return head if head != payload.head_sha else None
