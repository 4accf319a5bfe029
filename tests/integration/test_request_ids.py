"""Request ids propagate through both services and access events reach their logs."""

from __future__ import annotations

import uuid

from tests.integration.stack import wait_for


def logged(service, request_id):
    """The service's log events carrying ``request_id``, once its access event is there."""

    def find():
        events = [e for e in service.events() if e.get("request_id") == request_id]
        return events if any(e.get("event") == "http.request" for e in events) else None

    return wait_for(find, timeout=5, what=f"{service.name} access event for {request_id}")


def by_event(events, name):
    matching = [e for e in events if e["event"] == name]
    assert len(matching) == 1, events
    return matching[0]


def test_request_ids__propagate_and_access_events_are_logged(stack, http, projects_url):
    client = stack.clients["it-logs"]
    auth_id, api_id = f"it-logs-{uuid.uuid4().hex}", f"it-logs-{uuid.uuid4().hex}"

    issued = stack.request_token(http, "it-logs", request_id=auth_id)
    assert issued.status_code == 200
    assert issued.headers["X-Request-ID"] == auth_id
    auth_events = logged(stack.auth, auth_id)
    access = by_event(auth_events, "http.request")
    assert (access["method"], access["route"], access["status"]) == ("POST", "/oauth/token", 200)
    assert access["duration_ms"] >= 0
    assert by_event(auth_events, "auth.token_issued")["client_id"] == "it-logs"
    assert issued.json()["access_token"] not in stack.auth.process.log_text(tail=10**7)

    token = issued.json()["access_token"]
    listed = http.get(
        projects_url, headers={"Authorization": f"Bearer {token}", "X-Request-ID": api_id}
    )
    assert listed.status_code == 200
    assert listed.headers["X-Request-ID"] == api_id
    access = by_event(logged(stack.api, api_id), "http.request")
    assert (access["method"], access["route"], access["status"]) == ("GET", "/v1/projects", 200)
    assert (access["tenant_id"], access["client_id"]) == (client.tenant, "it-logs")
    assert stack.api.served_by(api_id) in stack.api.worker_pids()

    # A malformed incoming id is replaced, and the replacement is what gets logged.
    replaced = http.get(projects_url, headers={"Authorization": f"Bearer {token}",
                                               "X-Request-ID": "not a valid id"})  # fmt: skip
    new_id = replaced.headers["X-Request-ID"]
    assert new_id != "not a valid id"
    assert by_event(logged(stack.api, new_id), "http.request")["status"] == 200
