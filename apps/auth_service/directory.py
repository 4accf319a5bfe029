"""Client records from a remote directory service, over an injected ``httpx.Client``.

``GET {base_url}/clients/{client_id}`` returns the client as a JSON object
(the same fields as a ``[[clients]]`` table) or 404. Lookups are idempotent
GETs, so transport errors and 5xx answers are retried under the services'
retry policy (:mod:`logging_lib.retry`: jittered exponential backoff, bounded
attempts, a bound on the whole lookup's time); if the directory still cannot
answer, ``RegistryUnavailable`` is raised and the token endpoint fails closed.
"""

from __future__ import annotations

import time
from urllib.parse import quote

import httpx
from pydantic import ValidationError
from tenacity import retry_if_exception_type, retry_if_result

from apps.auth_service.clients import CLIENT_ID, ClientRecord, RegistryUnavailable
from apps.kernel.clock import Clock, Sleep
from logging_lib.retry import RetryPolicy

_MAX_RECORD_BYTES = 65_536
#: The wait before the first retry is at most this; each later one at most doubles.
FIRST_WAIT_SECONDS = 0.05
MAX_WAIT_SECONDS = 1.0
#: Connecting takes a round trip or two: an attempt never waits longer for that.
CONNECT_TIMEOUT_SECONDS = 1.0


def directory_retry_policy(*, retries: int, budget_seconds: float) -> RetryPolicy:
    """The retry policy of directory lookups: ``retries`` more attempts within the budget."""
    return RetryPolicy(
        attempts=retries + 1,
        first_wait=FIRST_WAIT_SECONDS,
        max_wait=MAX_WAIT_SECONDS,
        total_seconds=budget_seconds,
    )


class DirectoryClientRegistry:
    """Looks clients up in the directory service; unknown ids give ``None``.

    Each attempt's timeout is the client's, cut to what is left of the budget.
    """

    def __init__(
        self,
        http: httpx.Client,
        base_url: str,
        *,
        retry: RetryPolicy,
        timeout: float,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._retry = retry
        self._timeout = timeout
        self._sleep = sleep
        self._clock = clock

    def get(self, client_id: str) -> ClientRecord | None:
        if not CLIENT_ID.fullmatch(client_id):
            return None
        response = self._get_with_retries(f"{self._base_url}/clients/{quote(client_id, safe='')}")
        if response.status_code == 404:
            return None
        if response.status_code != 200 or len(response.content) > _MAX_RECORD_BYTES:
            raise RegistryUnavailable(f"directory answered {response.status_code}")
        try:
            record = ClientRecord.model_validate_json(response.content)
        except ValidationError:
            raise RegistryUnavailable("directory answered with an invalid client record") from None
        if record.client_id != client_id:
            raise RegistryUnavailable("directory answered with an invalid client record")
        return record

    def _get_with_retries(self, url: str) -> httpx.Response:
        def attempt(seconds_left: float) -> httpx.Response:
            timeout = min(self._timeout, seconds_left)
            return self._http.get(
                url,
                headers={"Accept": "application/json"},
                timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT_SECONDS)),
            )

        try:
            return self._retry.call(
                attempt,
                retry=retry_if_exception_type(httpx.TransportError)
                | retry_if_result(lambda response: response.status_code >= 500),
                sleep=self._sleep,
                clock=self._clock,
            )
        except httpx.TransportError as exc:
            raise RegistryUnavailable(f"directory unreachable: {type(exc).__name__}") from None
