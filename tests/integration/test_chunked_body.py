"""A chunked token request over the size limit is refused through gunicorn, not truncated."""

from __future__ import annotations

import base64
import http.client
import json
from urllib.parse import urlsplit


def test_chunked__oversized_token_request_is_refused_with_413(stack):
    basic = stack.basic_clients["it-authlib-basic"]
    credentials = base64.b64encode(f"{basic.client_id}:{basic.secret}".encode()).decode()
    # Past the default 16 KiB: the trailing scope= used to be cut off, and every
    # allowed scope granted instead of the one asked for.
    chunks = [b"grant_type=client_credentials&pad=", b"x" * 20_000, b"&scope=projects:read"]
    parts = urlsplit(stack.auth.base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(
            "POST",
            "/oauth/token",
            body=iter(chunks),
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            encode_chunked=True,
        )
        response = connection.getresponse()
        status, headers, body = response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()
    assert status == 413
    assert headers["Cache-Control"] == "no-store"
    assert json.loads(body)["error"] == "invalid_request"
