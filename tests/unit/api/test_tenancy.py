"""Tenant isolation: no request reaches another tenant's data; foreign ids answer 404."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from logging_lib.testing import capture_events
from tests.utils.logging import configured_logging


@pytest.fixture
def acme_project(client, acme):
    response = client.post("/v1/projects", json={"name": "acme secret"}, headers=acme.headers())
    assert response.status_code == 201
    return response.json


def test_read__other_tenants_project__404(client, globex, acme_project):
    """Reading another tenant's project by id answers 404, as if it did not exist."""
    response = client.get(f"/v1/projects/{acme_project['id']}", headers=globex.headers())
    assert response.status_code == 404
    assert response.json["type"].endswith(":not-found")


def test_list__other_tenant__sees_only_own(client, acme, globex, acme_project):
    """Listing shows only the caller's tenant's projects."""
    client.post("/v1/projects", json={"name": "globex own"}, headers=globex.headers())
    listed = client.get("/v1/projects", headers=globex.headers()).json
    assert [p["name"] for p in listed["items"]] == ["globex own"]
    assert [
        p["name"] for p in client.get("/v1/projects", headers=acme.headers()).json["items"]
    ] == ["acme secret"]


def test_list__cursor_from_other_tenant__reveals_nothing(client, acme, globex):
    """A cursor encodes only a position: another tenant using it sees only its own data."""
    for name in ("a1", "a2", "a3"):
        client.post("/v1/projects", json={"name": name}, headers=acme.headers())
    cursor = client.get("/v1/projects?limit=1", headers=acme.headers()).json["next_cursor"]
    response = client.get(f"/v1/projects?cursor={cursor}", headers=globex.headers())
    assert response.status_code == 200
    assert response.json == {"items": [], "next_cursor": None}


def test_update__other_tenants_project__404_and_unchanged(client, acme, globex, acme_project):
    """Changing another tenant's project answers 404 and changes nothing."""
    path = f"/v1/projects/{acme_project['id']}"
    response = client.patch(path, json={"name": "pwned"}, headers=globex.headers())
    assert response.status_code == 404
    assert client.get(path, headers=acme.headers()).json == acme_project


def test_delete__other_tenants_project__404_and_kept(client, acme, globex, acme_project):
    """Deleting another tenant's project answers 404 and keeps it."""
    path = f"/v1/projects/{acme_project['id']}"
    assert client.delete(path, headers=globex.headers()).status_code == 404
    assert client.get(path, headers=acme.headers()).status_code == 200


def test_same_tenant_other_client__shares_data(client, acme_other_client, acme_project):
    """Clients of one tenant see the tenant's data."""
    path = f"/v1/projects/{acme_project['id']}"
    assert client.get(path, headers=acme_other_client.headers()).json == acme_project


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/projects"), ("POST", "/v1/projects")])
def test_tenant_header__mismatch__403(client, acme, method, path):
    """An X-Tenant-ID naming another tenant is refused with 403."""
    headers = {**acme.headers(), "X-Tenant-ID": "globex"}
    with capture_logs() as events:
        response = client.open(path, method=method, headers=headers, json={"name": "x"})
    assert response.status_code == 403
    assert response.json["type"].endswith(":forbidden")
    assert response.json["detail"] == "X-Tenant-ID does not match the token's tenant"
    assert "WWW-Authenticate" not in response.headers
    assert [e["event"] for e in events if e["event"].startswith("tenancy")] == [
        "tenancy.header_mismatch"
    ]


def test_tenant_header__mismatch__warning_on_the_tenancy_logger(client, acme):
    """The emitted line names its logger and carries who claimed which tenant."""
    headers = {**acme.headers(), "X-Tenant-ID": "globex"}
    with configured_logging() as logging:
        client.get("/v1/projects", headers=headers)
        mismatches = [e for e in logging.events() if e["event"] == "tenancy.header_mismatch"]
    assert [(e["logger"], e["level"], e["tenant_id"], e["client_id"]) for e in mismatches] == [
        ("apps.api.tenancy", "warning", "acme", "acme-ci")
    ]


def test_tenant_header__mismatch_on_write__nothing_created(client, acme):
    """A refused write leaves no trace."""
    headers = {**acme.headers(), "X-Tenant-ID": "globex"}
    client.post("/v1/projects", json={"name": "x"}, headers=headers)
    assert client.get("/v1/projects", headers=acme.headers()).json["items"] == []


def test_tenant_header__matching__accepted(client, acme):
    """An X-Tenant-ID equal to the token's tenant is fine."""
    headers = {**acme.headers(), "X-Tenant-ID": "acme"}
    assert client.get("/v1/projects", headers=headers).status_code == 200


def test_logging_context__tenant_and_client_bound(client, acme):
    """Events logged while handling a request carry tenant_id and client_id."""
    with capture_events() as events:
        client.get("/v1/projects", headers=acme.headers())
    access = [e for e in events if e["event"] == "http.request"]
    assert len(access) == 1
    assert access[0]["tenant_id"] == "acme"
    assert access[0]["client_id"] == "acme-ci"
