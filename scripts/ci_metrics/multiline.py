"""Multi-line statement spans, by the rule coverage.py uses.

A statement's lines run from its first token to the NEWLINE token that ends its
logical line; coverage.py maps every line of a logical line that spans several
physical lines to the first one (``multiline_map_from_tokens`` in its parser). The
same rule over the standard library's tokenizer gives the same spans without
reaching into coverage.py's internals; the tooling tests check the two agree.
"""

from __future__ import annotations

import io
import token
import tokenize


class SourceError(ValueError):
    """The source cannot be tokenized as Python."""


def statement_spans(source: bytes) -> dict[int, int]:
    """``first line -> last line`` of every logical line spanning several physical lines."""
    spans: dict[int, int] = {}
    first = 0
    try:
        for tok in tokenize.tokenize(io.BytesIO(source).readline):
            if tok.type == token.NEWLINE:
                if first and tok.end[0] != first:
                    spans[first] = tok.end[0]
                first = 0
            elif (
                not first
                and tok.string.strip()
                and tok.type not in (tokenize.COMMENT, tokenize.ENCODING)
            ):
                first = tok.start[0]
    except (SyntaxError, tokenize.TokenError) as exc:
        raise SourceError(str(exc)) from None
    return spans
