"""Atomic writes, and text and JSON reading with one clear error per problem."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ci_metrics.errors import InputError


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and a rename.

    Readers never see a half-written file, and a failed write leaves the old one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(tmp_name, 0o644)  # mkstemp creates 0600; outputs are meant to be shared
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path


def write_json_atomic(path: Path, payload: Any) -> Path:
    """Write ``payload`` as compact, key-sorted JSON, atomically."""
    return write_text_atomic(path, json.dumps(payload, sort_keys=True, separators=(",", ":")))


def read_text(path: Path, what: str = "", error: type[InputError] = InputError) -> str | None:
    """The text of ``path``, ``None`` when there is no such file; one that cannot be read
    raises ``error`` naming ``what`` (when given) and the path."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        named = f"{what} {path}" if what else str(path)
        raise error(f"cannot read {named}: {exc.strerror}") from None


def read_json(path: Path, what: str) -> Any:
    """Read a JSON file; a missing or corrupt file is an :class:`InputError` naming ``what``."""
    text = read_text(path, what)
    if text is None:
        raise InputError(f"{what} not found: {path}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{what} {path} is not valid JSON (line {exc.lineno}): {exc.msg}"
        ) from None
