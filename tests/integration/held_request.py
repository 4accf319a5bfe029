"""Reach a chosen gunicorn worker without patching anything inside it.

A gunicorn sync worker accepts one connection and serves it to completion
before it accepts the next. ``HeldRequest`` opens a connection and sends only
the first line of a request head: the worker that accepts it waits for the
rest, so every request sent meanwhile is served by the *other* worker (the
services run two). ``finish`` then completes the held request, which the
waiting worker answers. With two workers this is deterministic: the held
request and the requests sent while it is held never share a worker.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx


@dataclass(frozen=True)
class RawResponse:
    """What a held request was answered."""

    status: int
    headers: httpx.Headers
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class HeldRequest:
    """An HTTP/1.1 request whose head is sent in two parts."""

    def __init__(self, base_url: str, method: str, path: str, *, timeout: float = 10.0) -> None:
        parts = urlsplit(base_url)
        if parts.hostname is None or parts.port is None:
            raise ValueError(f"{base_url!r} must name a host and a port")
        self._sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
        # No blank line yet: the head is incomplete, so the worker keeps reading.
        self._sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n".encode())

    def finish(self, headers: Mapping[str, str], body: bytes = b"") -> RawResponse:
        """Send the rest of the head and the body; read the whole response."""
        fields = {**headers, "Content-Length": str(len(body)), "Connection": "close"}
        head = "".join(f"{name}: {value}\r\n" for name, value in fields.items())
        self._sock.sendall(head.encode("latin-1") + b"\r\n" + body)
        response = http.client.HTTPResponse(self._sock)
        try:
            response.begin()
            data = response.read()
        finally:
            response.close()
        return RawResponse(response.status, httpx.Headers(response.getheaders()), data)

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> HeldRequest:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
