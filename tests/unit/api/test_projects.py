"""The /v1/projects resource: CRUD, pagination, validation and body handling."""

from __future__ import annotations

import json

import pytest

from apps.api.errors import PROBLEM_MEDIA_TYPE
from tests.utils.chunked import chunked

INJECTION_SHAPED = [
    "'; DROP TABLE projects; --",
    '" OR 1=1 --',
    "<script>alert(1)</script>",
    "{{7*7}} ${7*7} %s %(name)s",
    "../../etc/passwd",
    "nul\u0000byte and \u202e bidi and emoji \U0001f600",
    "  leading and trailing spaces  ",
]


def create(client, caller, **body):
    return client.post("/v1/projects", json=body, headers=caller.headers())


def problem_type(response) -> str:
    assert response.mimetype == PROBLEM_MEDIA_TYPE
    return response.json["type"].rsplit(":", 1)[1]


class TestCrud:
    def test_create__valid__201_with_location_and_body(self, client, acme):
        """Creating returns the project, its Location and server-set fields."""
        response = create(client, acme, name="Apollo", description="to the moon")
        assert response.status_code == 201
        assert response.json == {
            "id": "00000000-0000-4000-8000-000000000001",
            "name": "Apollo",
            "description": "to the moon",
            "created_at": "2026-01-01T00:00:00.000000Z",
            "updated_at": "2026-01-01T00:00:00.000000Z",
        }
        assert response.headers["Location"] == "/v1/projects/00000000-0000-4000-8000-000000000001"

    def test_create__description_omitted__empty(self, client, acme):
        """``description`` defaults to an empty string."""
        assert create(client, acme, name="x").json["description"] == ""

    def test_get__existing__200(self, client, acme):
        """A created project can be read back by its Location."""
        created = create(client, acme, name="x")
        response = client.get(created.headers["Location"], headers=acme.headers())
        assert response.status_code == 200
        assert response.json == created.json

    def test_get__unknown__404_problem(self, client, acme):
        """An unknown id answers 404 problem+json."""
        response = client.get("/v1/projects/nope", headers=acme.headers())
        assert response.status_code == 404
        assert problem_type(response) == "not-found"
        assert response.json["instance"] == "/v1/projects/nope"

    def test_update__one_field__changes_it_and_updated_at(self, client, acme, clock):
        """PATCH changes only the given fields and moves ``updated_at``."""
        created = create(client, acme, name="old", description="keep").json
        clock.advance(90)
        response = client.patch(
            f"/v1/projects/{created['id']}", json={"name": "new"}, headers=acme.headers()
        )
        assert response.status_code == 200
        assert response.json == {
            **created,
            "name": "new",
            "updated_at": "2026-01-01T00:01:30.000000Z",
        }

    def test_update__description_only__keeps_name(self, client, acme):
        """A description-only PATCH keeps the name."""
        created = create(client, acme, name="n", description="d").json
        path = f"/v1/projects/{created['id']}"
        response = client.patch(path, json={"description": ""}, headers=acme.headers())
        assert (response.json["name"], response.json["description"]) == ("n", "")

    def test_update__unknown__404(self, client, acme):
        """Patching an unknown id answers 404."""
        response = client.patch("/v1/projects/nope", json={"name": "x"}, headers=acme.headers())
        assert response.status_code == 404

    def test_delete__existing__204_then_404(self, client, acme):
        """A deleted project is gone; deleting again answers 404."""
        path = create(client, acme, name="x").headers["Location"]
        response = client.delete(path, headers=acme.headers())
        assert response.status_code == 204
        assert response.data == b""
        assert client.get(path, headers=acme.headers()).status_code == 404
        assert client.delete(path, headers=acme.headers()).status_code == 404

    @pytest.mark.parametrize("text", INJECTION_SHAPED)
    def test_create__injection_shaped_text__stored_and_returned_verbatim(self, client, acme, text):
        """Strings that look like SQL, markup or templates are data, kept byte for byte."""
        created = create(client, acme, name=text, description=text)
        assert created.status_code == 201
        fetched = client.get(created.headers["Location"], headers=acme.headers()).json
        assert fetched["name"] == text
        assert fetched["description"] == text
        listed = client.get("/v1/projects", headers=acme.headers()).json["items"]
        assert [p["name"] for p in listed] == [text]

    def test_create__injection_in_path__not_found_and_table_intact(self, client, acme):
        """An id shaped like SQL is just an unknown id."""
        create(client, acme, name="survivor")
        response = client.get("/v1/projects/x' OR '1'='1", headers=acme.headers())
        assert response.status_code == 404
        assert len(client.get("/v1/projects", headers=acme.headers()).json["items"]) == 1


class TestPagination:
    @pytest.fixture
    def five_projects(self, client, acme):
        return [create(client, acme, name=f"p{i}").json["id"] for i in range(5)]

    def test_list__pages_follow_cursor_in_creation_order(self, client, acme, five_projects):
        """Following next_cursor visits every project once, oldest first."""
        seen, cursor, pages = [], None, 0
        while True:
            query = "/v1/projects?limit=2" + (f"&cursor={cursor}" if cursor else "")
            page = client.get(query, headers=acme.headers()).json
            pages += 1
            seen.extend(p["id"] for p in page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == five_projects
        assert pages == 3

    def test_list__exact_page__no_next_cursor(self, client, acme, five_projects):
        """When the page holds the last item there is no next cursor."""
        page = client.get("/v1/projects?limit=5", headers=acme.headers()).json
        assert len(page["items"]) == 5
        assert page["next_cursor"] is None

    def test_list__default_limit_is_20(self, client, acme):
        """Without ``limit`` a page holds 20 projects."""
        for i in range(21):
            create(client, acme, name=f"p{i}")
        page = client.get("/v1/projects", headers=acme.headers()).json
        assert len(page["items"]) == 20
        assert page["next_cursor"] is not None

    def test_list__deleted_item_under_cursor__continues(self, client, acme, five_projects):
        """A cursor stays valid when the item it points after is deleted."""
        cursor = client.get("/v1/projects?limit=2", headers=acme.headers()).json["next_cursor"]
        client.delete(f"/v1/projects/{five_projects[1]}", headers=acme.headers())
        page = client.get(f"/v1/projects?cursor={cursor}", headers=acme.headers()).json
        assert [p["id"] for p in page["items"]] == five_projects[2:]

    @pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1.5", "", " 5", "9999999"])
    def test_list__limit_out_of_bounds__422(self, client, acme, limit):
        """``limit`` must be an integer from 1 to 100."""
        response = client.get("/v1/projects", query_string={"limit": limit}, headers=acme.headers())
        assert response.status_code == 422
        assert problem_type(response) == "validation"
        assert response.json["errors"] == [
            {"parameter": "limit", "detail": "must be an integer from 1 to 100"}
        ]

    @pytest.mark.parametrize(
        "cursor",
        [
            "",
            "!!!",
            "bm90IGpzb24",
            "eyJhZnRlciI6LTF9",
            "eyJhZnRlciI6dHJ1ZX0",
            "WzFd",
            "x" * 201,
            # {"after": 2**70} and {"after": 2**63}: past SQLite's 64-bit integers
            "eyJhZnRlciI6MTE4MDU5MTYyMDcxNzQxMTMwMzQyNH0",
            "eyJhZnRlciI6OTIyMzM3MjAzNjg1NDc3NTgwOH0",
        ],
    )
    def test_list__bad_cursor__422(self, client, acme, cursor):
        """Cursors that were not issued by the API are rejected."""
        response = client.get(
            "/v1/projects", query_string={"cursor": cursor}, headers=acme.headers()
        )
        assert response.status_code == 422
        assert response.json["errors"][0]["parameter"] == "cursor"

    def test_list__largest_cursor__empty_page(self, client, acme, five_projects):
        """The largest position SQLite can store is a valid (past-the-end) cursor."""
        response = client.get(
            "/v1/projects",
            query_string={"cursor": "eyJhZnRlciI6OTIyMzM3MjAzNjg1NDc3NTgwN30"},
            headers=acme.headers(),
        )
        assert response.status_code == 200
        assert response.json == {"items": [], "next_cursor": None}


class TestBodies:
    def post_raw(self, client, caller, data, content_type="application/json"):
        return client.post(
            "/v1/projects", data=data, content_type=content_type, headers=caller.headers()
        )

    @pytest.mark.parametrize(
        "data", [b"{", b"{'name': 'x'}", b"", b"\xff\xfe", b'{"name": NaN}', b"[1,"]
    )
    def test_create__malformed_json__400(self, client, acme, data):
        """Bytes that are not UTF-8 JSON answer 400 malformed-request."""
        response = self.post_raw(client, acme, data)
        assert response.status_code == 400
        assert problem_type(response) == "malformed-request"

    def test_create__absurdly_nested_json__400(self, client, acme):
        """Nesting deep enough to exhaust the parser's recursion is malformed, not a crash."""
        response = self.post_raw(client, acme, b"[" * 30000 + b"]" * 30000)
        assert response.status_code == 400
        assert problem_type(response) == "malformed-request"

    @pytest.mark.parametrize("body", [[], "name", 3, None])
    def test_create__json_not_an_object__422(self, client, acme, body):
        """The body must be a JSON object."""
        response = self.post_raw(client, acme, json.dumps(body))
        assert response.status_code == 422
        assert response.json["errors"] == [{"pointer": "#", "detail": "must be a JSON object"}]

    @pytest.mark.parametrize(
        ("body", "errors"),
        [
            ({}, [{"pointer": "#/name", "detail": "is required"}]),
            ({"name": 5}, [{"pointer": "#/name", "detail": "must be a string"}]),
            ({"name": None}, [{"pointer": "#/name", "detail": "must be a string"}]),
            ({"name": ["x"]}, [{"pointer": "#/name", "detail": "must be a string"}]),
            ({"name": ""}, [{"pointer": "#/name", "detail": "must be 1 to 200 characters long"}]),
            (
                {"name": "x" * 201},
                [{"pointer": "#/name", "detail": "must be 1 to 200 characters long"}],
            ),
            (
                {"name": "x", "description": "d" * 2001},
                [{"pointer": "#/description", "detail": "must be 0 to 2000 characters long"}],
            ),
            (
                {"name": 1, "description": False, "a/b~": 1},
                [
                    {"pointer": "#/a~1b~0", "detail": "is not a known field"},
                    {"pointer": "#/name", "detail": "must be a string"},
                    {"pointer": "#/description", "detail": "must be a string"},
                ],
            ),
        ],
    )
    def test_create__invalid_fields__422_lists_every_error(self, client, acme, body, errors):
        """Wrong types, lengths and unknown fields are all reported at once."""
        response = create(client, acme, **body)
        assert response.status_code == 422
        assert problem_type(response) == "validation"
        assert response.json["errors"] == errors

    def test_create__name_at_bounds__accepted(self, client, acme):
        """200 characters (code points, not bytes) is still a valid name."""
        assert create(client, acme, name="é" * 200, description="d" * 2000).status_code == 201

    def test_create__lone_surrogate__422(self, client, acme):
        """Text that is not valid Unicode cannot be stored and is rejected."""
        response = self.post_raw(client, acme, b'{"name": "\\ud800"}')
        assert response.status_code == 422
        assert response.json["errors"] == [
            {"pointer": "#/name", "detail": "must be valid Unicode text"}
        ]

    @pytest.mark.parametrize(
        ("body", "errors"),
        [
            ({}, [{"pointer": "#", "detail": "must change at least one field"}]),
            ({"name": None}, [{"pointer": "#/name", "detail": "must be a string"}]),
            ({"id": "other"}, [{"pointer": "#/id", "detail": "is not a known field"}]),
        ],
    )
    def test_update__invalid__422(self, client, acme, body, errors):
        """PATCH validates like POST and needs at least one field."""
        path = create(client, acme, name="x").headers["Location"]
        response = client.patch(path, json=body, headers=acme.headers())
        assert response.status_code == 422
        assert response.json["errors"] == errors

    @pytest.mark.parametrize(
        "content_type", ["text/plain", "application/x-www-form-urlencoded", ""]
    )
    def test_create__not_json_media_type__415(self, client, acme, content_type):
        """Bodies must be sent as application/json."""
        response = self.post_raw(client, acme, b'{"name": "x"}', content_type=content_type)
        assert response.status_code == 415
        assert problem_type(response) == "unsupported-media-type"

    def test_create__json_with_charset__accepted(self, client, acme):
        """Media type parameters do not matter."""
        response = self.post_raw(
            client, acme, b'{"name": "x"}', content_type="application/json; charset=utf-8"
        )
        assert response.status_code == 201

    def test_create__oversized_body__413(self, make_client, make_settings, acme):
        """A body over API_MAX_BODY_BYTES answers 413 and is not stored."""
        client = make_client(settings=make_settings(max_body_bytes=64))
        response = create(client, acme, name="x" * 100)
        assert response.status_code == 413
        assert problem_type(response) == "payload-too-large"
        assert response.headers["RateLimit-Limit"] == "100"
        assert client.get("/v1/projects", headers=acme.headers()).json["items"] == []

    def test_create__chunked_body_of_exactly_the_limit__accepted(
        self, make_client, make_settings, acme
    ):
        """A streamed body of exactly API_MAX_BODY_BYTES is not cut off."""
        body = json.dumps({"name": "y" * 50}).encode()
        client = make_client(settings=make_settings(max_body_bytes=len(body)))
        response = client.post("/v1/projects", **chunked(body, "application/json", acme.headers()))
        assert response.status_code == 201
        assert response.json["name"] == "y" * 50

    def test_update__oversized_chunked_body__413(self, make_client, make_settings, acme):
        """A streamed body without Content-Length is cut off at the limit too."""
        client = make_client(settings=make_settings(max_body_bytes=64))
        path = create(client, acme, name="x").headers["Location"]
        body = json.dumps({"name": "y" * 100}).encode()
        response = client.patch(path, **chunked(body, "application/json", acme.headers()))
        assert response.status_code == 413
        assert problem_type(response) == "payload-too-large"
