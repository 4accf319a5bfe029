"""Client records from a remote directory service, over an injected ``httpx.Client``.

``GET {base_url}/clients/{client_id}`` returns the client as a JSON object
(the same fields as a ``[[clients]]`` table) or 404. Lookups are idempotent
GETs, so transport errors and 5xx answers are retried a bounded number of
times; if the directory still cannot answer, ``RegistryUnavailable`` is
raised and the token endpoint fails closed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote

import httpx

from apps.auth_service.clients import CLIENT_ID, ClientRecord, parse_client
from apps.auth_service.errors import RegistryUnavailable

_MAX_RECORD_BYTES = 65_536


class DirectoryClientRegistry:
    """Looks clients up in the directory service; unknown ids give ``None``."""

    def __init__(
        self,
        http: httpx.Client,
        base_url: str,
        *,
        retries: int = 2,
        backoff_seconds: float = 0.05,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._retries = retries
        self._backoff = backoff_seconds
        self._sleep = sleep

    def get(self, client_id: str) -> ClientRecord | None:
        if not CLIENT_ID.fullmatch(client_id):
            return None
        url = f"{self._base_url}/clients/{quote(client_id, safe='')}"
        response = self._get_with_retries(url)
        if response.status_code == 404:
            return None
        if response.status_code != 200 or len(response.content) > _MAX_RECORD_BYTES:
            raise RegistryUnavailable(f"directory answered {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise RegistryUnavailable("directory answered with invalid JSON") from None
        problems: list[str] = []
        record = (
            parse_client(body, "directory record ", problems) if isinstance(body, dict) else None
        )
        if record is None or record.client_id != client_id:
            raise RegistryUnavailable("directory answered with an invalid client record")
        return record

    def _get_with_retries(self, url: str) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = self._http.get(url, headers={"Accept": "application/json"})
            except httpx.TransportError as exc:
                failure = f"directory unreachable: {type(exc).__name__}"
            else:
                if response.status_code < 500:
                    return response
                failure = f"directory answered {response.status_code}"
            if attempt >= self._retries:
                raise RegistryUnavailable(failure)
            self._sleep(self._backoff * 2**attempt)
            attempt += 1
