"""A request body sent the way a chunked request reaches a WSGI app: a stream, no length.

    response = client.post("/v1/projects", **chunked(body, "application/json", headers))

A server hands the app a chunked body as ``wsgi.input`` with no ``Content-Length``
and ``wsgi.input_terminated`` set: the app can only learn the body's size by
reading it, which is what a body-size limit must survive.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any


def chunked(body: bytes, content_type: str, headers: Mapping[str, str]) -> dict[str, Any]:
    """Keyword arguments of a Flask test client's ``post``, ``patch``...: ``body`` as a
    chunked request, with ``headers`` (the caller's credentials) and ``content_type``."""
    return {
        "input_stream": io.BytesIO(body),
        "environ_overrides": {"wsgi.input_terminated": True},
        "headers": {**headers, "Content-Type": content_type, "Transfer-Encoding": "chunked"},
    }
