"""A client gets a token over HTTP with private_key_jwt and runs the /v1/projects lifecycle."""

from __future__ import annotations

import jwt

from tests.integration.credentials import SCOPES


def test_projects__private_key_jwt_token_drives_the_full_lifecycle(stack, http, projects_url):
    issued = stack.request_token(http, "it-lifecycle")
    assert issued.status_code == 200, issued.text
    assert issued.headers["Cache-Control"] == "no-store"
    grant = issued.json()
    assert grant["token_type"] == "Bearer"
    assert set(grant["scope"].split()) == set(SCOPES)
    assert jwt.get_unverified_header(grant["access_token"])["typ"] == "at+jwt"
    auth = {"Authorization": f"Bearer {grant['access_token']}"}

    created = http.post(projects_url, json={"name": "apollo", "description": "first"}, headers=auth)
    assert created.status_code == 201, created.text
    project = created.json()
    assert project["name"] == "apollo"
    assert project["description"] == "first"
    assert created.headers["Location"].endswith(f"/v1/projects/{project['id']}")
    item_url = f"{projects_url}/{project['id']}"

    fetched = http.get(item_url, headers=auth)
    assert fetched.status_code == 200
    assert fetched.json() == project

    listed = http.get(projects_url, headers=auth)
    assert listed.status_code == 200
    assert [p["id"] for p in listed.json()["items"]] == [project["id"]]

    renamed = http.patch(item_url, json={"name": "artemis"}, headers=auth)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "artemis"
    assert http.get(item_url, headers=auth).json()["name"] == "artemis"

    deleted = http.delete(item_url, headers=auth)
    assert deleted.status_code == 204
    gone = http.get(item_url, headers=auth)
    assert gone.status_code == 404
    assert gone.headers["Content-Type"] == "application/problem+json"
    assert http.get(projects_url, headers=auth).json()["items"] == []
