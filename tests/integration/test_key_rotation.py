"""Key rotation: the API accepts tokens of the new key without a restart, and old ones still."""

from __future__ import annotations

import uuid

import jwt

from tests.integration.held_request import HeldRequest
from tests.integration.stack import JWKS_REFETCH_COOLDOWN, wait_for


def statuses_on_both_workers(service, http, url, token):
    """GET ``url`` once on each API worker; return {pid: status}."""
    headers = {"Authorization": f"Bearer {token}"}
    other_id, held_id = f"it-rot-{uuid.uuid4().hex}", f"it-rot-{uuid.uuid4().hex}"
    with HeldRequest(service.base_url, "GET", "/v1/projects") as held:
        other = http.get(url, headers={**headers, "X-Request-ID": other_id})
        mine = held.finish({**headers, "X-Request-ID": held_id})
    return {
        service.served_by(other_id): other.status_code,
        service.served_by(held_id): mine.status,
    }


def test_key_rotation__api_accepts_new_and_old_tokens_without_restart(
    stack, http, obtain_token, projects_url
):
    api_master, api_workers = stack.api.process.pid, stack.api.worker_pids()
    auth_workers = stack.auth.worker_pids()
    old_token = obtain_token("it-rotation")
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    assert http.get(projects_url, headers={"Authorization": f"Bearer {old_token}"}).is_success

    new_kid = stack.rotate_signing_key()
    new_token = obtain_token("it-rotation")

    assert new_kid != old_kid
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid
    assert not stack.auth.worker_pids() & auth_workers  # the token service did reload
    published = http.get(f"{stack.auth.base_url}/.well-known/jwks.json").json()
    assert {old_kid, new_kid} <= {key["kid"] for key in published["keys"]}

    for token in (new_token, old_token):
        answers = statuses_on_both_workers(stack.api, http, projects_url, token)
        assert answers == dict.fromkeys(api_workers, 200)
    # The same API processes served all of it: nothing was restarted.
    assert stack.api.process.is_alive()
    assert stack.api.process.pid == api_master
    assert stack.api.worker_pids() == api_workers


def test_key_rotation__unannounced_key_is_fetched_on_first_use(
    stack, http, obtain_token, projects_url
):
    """Emergency rotation to a key no JWKS showed before: the API refetches on the unknown kid."""
    api_master, api_workers = stack.api.process.pid, stack.api.worker_pids()
    old_token = obtain_token("it-emergency")
    assert statuses_on_both_workers(stack.api, http, projects_url, old_token) == dict.fromkeys(
        api_workers, 200
    )
    fetches_before = len(jwks_fetches(stack.api))

    new_kid = stack.rotate_signing_key(announced=False)
    new_token = obtain_token("it-emergency")
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid

    # Each worker learns the key on first use, at most one cool-down after its last fetch.
    answers = wait_for(
        lambda: (
            a
            if (a := statuses_on_both_workers(stack.api, http, projects_url, new_token))
            == dict.fromkeys(api_workers, 200)
            else None
        ),
        timeout=JWKS_REFETCH_COOLDOWN + 10,
        what="both API workers to accept a token signed with the unannounced key",
    )
    assert answers == dict.fromkeys(api_workers, 200)
    fetched = jwks_fetches(stack.api)[fetches_before:]
    assert fetched, "the API served the new kid without fetching the JWKS again"
    assert statuses_on_both_workers(stack.api, http, projects_url, old_token) == dict.fromkeys(
        api_workers, 200
    )
    assert stack.api.process.pid == api_master
    assert stack.api.worker_pids() == api_workers


def jwks_fetches(service):
    return [e for e in service.events() if e.get("event") == "jwks.fetched"]
