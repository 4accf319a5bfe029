"""Why a test failed: its exception, the first line of its message, and where.

A :class:`Failure` is what the layers' results record about one failed (or
flaky, or quarantined) test, read by :mod:`ci_metrics.inputs.failures`: the
message is redacted and capped before it is kept, so no later stage sees more
than the comment may show. A figure the results did not record stays empty and
``missing`` says so; nothing is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: A message is cut to this many characters (and to its first line)...
MESSAGE_CHARS = 200
#: ...and its whole text, kept for the step summary, to this many.
DETAIL_CHARS = 1000
PHASES = ("setup", "call", "teardown")


@dataclass(frozen=True)
class Failure:
    """One test's failure as its results recorded it."""

    #: The exception's type (``AssertionError``); ``""`` when not recorded.
    kind: str = ""
    #: The first line of its message, secrets redacted, at most :data:`MESSAGE_CHARS`.
    message: str = ""
    #: The deepest traceback entry inside the work tree: its path and line (1-based).
    path: str = ""
    line: int = 0
    #: The phase that failed: ``setup`` (a fixture), ``call`` or ``teardown``.
    phase: str = "call"
    #: What the results did not record, naming the file (``""``: nothing missing).
    missing: str = ""
    #: The message's whole text, secrets redacted, at most :data:`DETAIL_CHARS`; ``""``
    #: when it is its first line.
    detail: str = ""

    @property
    def headline(self) -> str:
        """``ValueError: bad value`` (or what of it is known; ``""`` when nothing is)."""
        if self.kind and self.message:
            return f"{self.kind}: {self.message}"
        return self.kind or self.message

    @property
    def located(self) -> bool:
        """Whether the failing line is known."""
        return bool(self.path) and self.line > 0

    def to_json(self) -> dict[str, Any]:
        """The snapshot's form: only what is set."""
        doc: dict[str, Any] = {"phase": self.phase}
        for name in ("kind", "message", "path", "missing", "detail"):
            if getattr(self, name):
                doc[name] = getattr(self, name)
        if self.line:
            doc["line"] = self.line
        return doc

    @classmethod
    def from_json(cls, doc: Any) -> Failure:
        """A failure from the snapshot; ``ValueError`` when ``doc`` is not one."""
        if not isinstance(doc, dict):
            raise ValueError("a failure must be a table")
        names = ("kind", "message", "path", "missing", "detail")
        texts = {name: doc.get(name, "") for name in names}
        line, phase = doc.get("line", 0), doc.get("phase", "call")
        if not all(isinstance(v, str) for v in texts.values()) or phase not in PHASES:
            raise ValueError("a failure's texts must be strings, its phase a pytest phase")
        if isinstance(line, bool) or not isinstance(line, int) or line < 0:
            raise ValueError("a failure's line must be a line number")
        return cls(line=line, phase=phase, **texts)


def cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (``…`` when cut)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def first_line(text: str, limit: int = MESSAGE_CHARS) -> str:
    """The first non-blank line of ``text``, cut to ``limit`` characters (``…`` when cut)."""
    return cut(next((part.strip() for part in text.splitlines() if part.strip()), ""), limit)
