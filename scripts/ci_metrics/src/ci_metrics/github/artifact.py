"""The comment artifact: a rendered comment and its pull request, for a later post.

A run whose token cannot write (pull requests from forks, Dependabot's) writes the
comment and the pull request's metadata to a JSON file, uploaded as an artifact;
``pr-comment.yml`` reads that untrusted file back (:func:`load_artifact`: size,
shape, number, commit and marker), binds it to the run that made it
(:mod:`ci_metrics.github.binding`) and posts it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ci_metrics.errors import InputError
from ci_metrics.inputs.fileio import write_json_atomic
from ci_metrics.render.size import comment_size

ARTIFACT_SCHEMA = "ci-metrics-comment"
#: A full commit SHA, as GitHub writes it.
SHA = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class CommentPayload:
    """What the artifact carries: the target pull request, its head and the body."""

    pr_number: int
    head_sha: str
    body: str


def write_artifact(path: Path, payload: CommentPayload) -> Path:
    """Write the comment and pull-request metadata for a later ``post --from-artifact``."""
    if not SHA.match(payload.head_sha):
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
    # JSON escapes a UTF-16 code unit in at most 6 bytes (\uXXXX).
    if size > 6 * max_chars + 4096:
        raise InputError(f"comment artifact {path} is too large ({size} bytes)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read comment artifact {path}: {exc.strerror}") from None
    try:
        doc: Any = json.loads(data)  # UTF-8 (or -16, -32, as JSON allows)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"comment artifact {path} is not valid JSON") from None
    if not isinstance(doc, dict) or doc.get("schema") != ARTIFACT_SCHEMA:
        raise InputError(f"comment artifact {path}: not a ci-metrics comment")
    number, sha, body = doc.get("pr_number"), doc.get("head_sha"), doc.get("body")
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise InputError(f"comment artifact {path}: pr_number must be a positive integer")
    if not isinstance(sha, str) or not SHA.match(sha):
        raise InputError(f"comment artifact {path}: head_sha must be 40 hex digits")
    if not isinstance(body, str):
        raise InputError(f"comment artifact {path}: body missing")
    if comment_size(body) > max_chars:
        raise InputError(
            f"comment artifact {path}: body is over the limit of {max_chars} characters"
        )
    if not body.startswith(marker):
        raise InputError(f"comment artifact {path}: body does not start with the marker")
    return CommentPayload(number, sha, body)
