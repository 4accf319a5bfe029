"""GET /openapi.json describes every route, and real responses match it."""

from __future__ import annotations

import re

import pytest
from prometheus_client import CollectorRegistry

from apps.api.jwks import StaticKeySet
from apps.api.openapi import build_document
from tests.unit.api.json_schema import resolve, schema_errors


@pytest.fixture
def document():
    return build_document()


def test_openapi_json__serves_the_document(client, document):
    """GET /openapi.json answers the built document as JSON."""
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json == document


@pytest.fixture
def conforms(document):
    """Assert a response's status, media type, headers and body are the documented ones."""

    def check(response, method, path):
        operation = document["paths"][path][method.lower()]
        status = str(response.status_code)
        assert status in operation["responses"], f"{method} {path} answered undocumented {status}"
        declared = resolve(operation["responses"][status], document)
        for name, header in declared.get("headers", {}).items():
            header = resolve(header, document)
            if header.get("required"):
                assert name in response.headers, f"{status} lacks required header {name}"
            if name in response.headers and header["schema"].get("type") == "integer":
                assert re.fullmatch(r"[0-9]+", response.headers[name])
        content = declared.get("content")
        if content is None:
            assert response.data == b""
            return
        assert response.mimetype in content, f"{response.mimetype} not in {list(content)}"
        schema = content[response.mimetype]["schema"]
        if response.mimetype.endswith("json"):
            assert schema_errors(response.json, schema, document) == []

    return check


def test_document__openapi_31_with_bearer_scheme(document):
    """The document is OpenAPI 3.1 and declares the bearer JWT scheme."""
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": document["components"]["securitySchemes"]["bearerAuth"]["description"],
    }


def test_document__every_route_documented_and_nothing_more(client, document):
    """The app's URL map and the document's paths/methods are the same set."""
    served = set()
    for rule in client.application.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        served |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, m) for path, ops in document["paths"].items() for m in ops}
    assert served == documented


def test_document__protected_operations_name_their_scope(document):
    """Every /v1 operation requires the bearer scheme with one scope; probes need none."""
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if path.startswith("/v1/"):
                (requirement,) = operation["security"]
                expected = "projects:read" if method == "get" else "projects:write"
                assert requirement == {"bearerAuth": [expected]}
                assert {"401", "403", "429"} <= set(operation["responses"])
            else:
                assert operation["security"] == []


def test_document__all_refs_resolve(document):
    """No $ref points nowhere."""
    refs = re.findall(r"'\$ref': '([^']+)'", repr(document))
    assert refs
    for ref in refs:
        assert resolve({"$ref": ref}, document)


def test_responses__crud_flow__match_document(client, acme, conforms):
    """Success responses of every operation match their schemas and headers."""
    created = client.post(
        "/v1/projects", json={"name": "n", "description": "d"}, headers=acme.headers()
    )
    conforms(created, "POST", "/v1/projects")
    item = "/v1/projects/{project_id}"
    path = created.headers["Location"]
    conforms(client.get(path, headers=acme.headers()), "GET", item)
    conforms(client.get("/v1/projects?limit=1", headers=acme.headers()), "GET", "/v1/projects")
    conforms(client.patch(path, json={"name": "m"}, headers=acme.headers()), "PATCH", item)
    conforms(client.delete(path, headers=acme.headers()), "DELETE", item)
    conforms(client.get(path, headers=acme.headers()), "GET", item)


def test_responses__errors__match_document(make_client, make_settings, acme, conforms):
    """400, 401, 403, 404, 413, 415, 422 and 429 answers match their problem schemas."""
    client = make_client(settings=make_settings(rate_limit="10/minute", max_body_bytes=100))
    collection, item = "/v1/projects", "/v1/projects/{project_id}"
    conforms(client.get(collection), "GET", collection)
    conforms(client.get(collection, headers=acme.headers(aud="x")), "GET", collection)
    conforms(client.get(collection, headers=acme.headers("projects:write")), "GET", collection)
    conforms(
        client.get(collection, headers={**acme.headers(), "X-Tenant-ID": "other"}),
        "GET",
        collection,
    )
    conforms(client.get("/v1/projects/missing", headers=acme.headers()), "GET", item)
    conforms(client.delete("/v1/projects/missing", headers=acme.headers()), "DELETE", item)
    conforms(client.get(f"{collection}?limit=0", headers=acme.headers()), "GET", collection)
    conforms(client.post(collection, json={"name": 1}, headers=acme.headers()), "POST", collection)
    conforms(
        client.post(collection, data=b"{", content_type="application/json", headers=acme.headers()),
        "POST",
        collection,
    )
    conforms(
        client.post(collection, data=b"x", content_type="text/plain", headers=acme.headers()),
        "POST",
        collection,
    )
    conforms(
        client.post(collection, json={"name": "x" * 200}, headers=acme.headers()),
        "POST",
        collection,
    )
    conforms(
        client.patch("/v1/projects/missing", json={"name": "x"}, headers=acme.headers()),
        "PATCH",
        item,
    )
    statuses = [client.get(collection, headers=acme.headers()).status_code for _ in range(3)]
    assert statuses[-1] == 429
    conforms(client.get(collection, headers=acme.headers()), "GET", collection)


def test_responses__probes_and_document__match_document(make_client, conforms):
    """Probe and document responses match their declarations."""
    client = make_client()
    for path in ("/healthz", "/readyz", "/openapi.json"):
        conforms(client.get(path), "GET", path)
    unready = make_client(key_source=StaticKeySet([]), registry=CollectorRegistry())
    conforms(unready.get("/readyz"), "GET", "/readyz")
