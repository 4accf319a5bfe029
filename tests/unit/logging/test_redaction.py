from collections.abc import Mapping

import pytest

import logging_lib
from logging_lib.redaction import CYCLE, REDACTED, Redactor, redact_text
from tests.utils.logging import assert_event

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"


@pytest.fixture
def redact():
    redactor = Redactor()
    return lambda event: redactor(None, "info", event)


class Opaque:
    def __repr__(self):
        raise RuntimeError("no repr")


class Port(int):
    pass


class Text(str):
    pass


def nested(kind, levels, leaf):
    """*levels* containers of *kind* (dict, list or tuple), one inside the other, around *leaf*."""
    node = leaf
    for _ in range(levels):
        node = {"next": node} if kind is dict else kind([node])
    return node


def innermost(kind, text):
    """The deepest container of a chain: *text* and a number, in a container of *kind*."""
    return {"text": text, "n": 7} if kind is dict else kind([text, 7])


def as_lists(value):
    """*value* with tuples turned into lists, as the redactor returns them."""
    if isinstance(value, dict):
        return {key: as_lists(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [as_lists(item) for item in value]
    return value


class TestSecretKeys:
    @pytest.mark.parametrize(
        "key",
        [
            "authorization",
            "proxy_authorization",
            "cookie",
            "set_cookie",
            "password",
            "passwd",
            "secret",
            "client_secret",
            "token",
            "access_token",
            "refresh_token",
            "id_token",
            "api_key",
            "apikey",
            "private_key",
        ],
    )
    @pytest.mark.parametrize("spelling", [str.lower, str.upper, lambda k: k.replace("_", "-")])
    def test_redactor__hides_every_default_secret_key_however_spelled(self, redact, key, spelling):
        name = spelling(key)
        assert redact({"event": "e", name: "s3cr3t"}) == {"event": "e", name: REDACTED}

    @pytest.mark.parametrize(
        "key",
        [
            "db_password",
            "smtp_secret",
            "csrf_token",
            "stripe_api_key",
            "signing_private_key",
            "X-Auth-Token",
            "X-Api-Key",
            "Upstream-Secret",
        ],
    )
    def test_redactor__hides_keys_ending_in_a_secret_suffix(self, redact, key):
        assert redact({key: "s3cr3t"}) == {key: REDACTED}

    @pytest.mark.parametrize(
        "key",
        [
            "token_type",
            "password_policy",
            "tokens_left",
            "secretary",
            "api_key_id",
            "private_key_path",
            "mytoken",
            "user",
        ],
    )
    def test_redactor__keeps_keys_that_only_contain_a_secret_word(self, redact, key):
        assert redact({key: "visible"}) == {key: "visible"}

    def test_redactor__hides_secrets_nested_in_dicts_and_lists(self, redact):
        event = {
            "request": {"headers": {"Authorization": "Basic abc", "Accept": "json"}},
            "attempts": [{"password": "p1"}, ("x", {"api_key": "k"})],
        }
        assert redact(event) == {
            "request": {"headers": {"Authorization": REDACTED, "Accept": "json"}},
            "attempts": [{"password": REDACTED}, ["x", {"api_key": REDACTED}]],
        }

    def test_redactor__extra_keys_are_secrets_too(self):
        redactor = Redactor(extra_keys=["X-Tenant-Key"])
        assert redactor(None, "info", {"x_tenant_key": "k"}) == {"x_tenant_key": REDACTED}

    def test_redactor__still_judges_keys_once_its_memory_is_full(self):
        redactor = Redactor()
        many = {f"field_{i}": i for i in range(5000)}
        redactor(None, "info", many)
        event = redactor(None, "info", {"late_password": "p", "field_4999": 1})
        assert event == {"late_password": REDACTED, "field_4999": 1}

    def test_redactor__non_string_keys_are_left_alone(self, redact):
        assert redact({1: "one"}) == {1: "one"}


class TestSecretText:
    def test_redact_text__hides_bearer_credentials(self):
        assert (
            redact_text("header was Bearer abc.DEF-123_x== ok")
            == f"header was Bearer {REDACTED} ok"
        )

    def test_redact_text__hides_basic_credentials_case_insensitively(self):
        assert redact_text("basic dXNlcjpwYXNz") == f"basic {REDACTED}"

    @pytest.mark.parametrize("scheme", ["Bearer", "Basic"])
    def test_redact_text__hides_a_credential_after_a_tab(self, scheme):
        assert redact_text(f"{scheme}\tdXNlcjpwYXNz") == f"{scheme} {REDACTED}"

    def test_redact_text__hides_jwt_shaped_strings(self):
        assert redact_text(f"token={JWT}; next") == f"token={REDACTED}; next"

    def test_redactor__scrubs_messages_and_values(self, redact):
        event = redact({"event": f"got {JWT}", "detail": ["Bearer xyz-1234"]})
        assert event == {"event": f"got {REDACTED}", "detail": [f"Bearer {REDACTED}"]}

    def test_redactor__hides_a_tab_separated_credential_under_an_ordinary_key(self, redact):
        assert redact({"header": "Bearer\tabcdefgh12"}) == {"header": f"Bearer {REDACTED}"}

    @pytest.mark.parametrize("key", ["event", "assertion", "note"])
    def test_redactor__hides_a_bare_jwt_under_an_ordinary_key(self, redact, key):
        assert redact({key: JWT}) == {key: REDACTED}

    def test_redact_text__leaves_ordinary_text(self):
        assert redact_text("the bearer of bad news eyJ") == "the bearer of bad news eyJ"

    def test_redactor__leaves_ordinary_values_as_they_are(self, redact):
        event = {"event": "ok", "n": 3, "ratio": 0.5, "ok": True, "none": None, "tags": ["a b"]}
        assert redact(dict(event)) == event


class TestNesting:
    @pytest.mark.parametrize("kind", [dict, list, tuple])
    def test_redactor__walks_containers_twenty_levels_deep(self, redact, kind):
        value = nested(kind, 19, innermost(kind, "Bearer abcdefgh12"))
        assert redact({"deep": value}) == {
            "deep": as_lists(nested(kind, 19, innermost(kind, f"Bearer {REDACTED}")))
        }

    @pytest.mark.parametrize("kind", [dict, list, tuple])
    def test_redactor__replaces_a_twenty_first_level_whole(self, redact, kind):
        value = nested(kind, 20, innermost(kind, "unseen"))
        assert redact({"deep": value}) == {"deep": as_lists(nested(kind, 20, REDACTED))}

    def test_redactor__counts_depth_across_dicts_and_lists_alike(self, redact):
        value = nested(dict, 10, nested(list, 10, [1]))
        assert redact({"deep": value}) == {"deep": nested(dict, 10, nested(list, 10, REDACTED))}

    def test_redactor__marks_a_list_that_contains_itself(self, redact):
        items = ["a"]
        items.append(items)
        assert redact({"items": items}) == {"items": ["a", CYCLE]}

    def test_redactor__marks_a_dict_that_contains_itself(self, redact):
        node = {"name": "n"}
        node["self"] = node
        assert redact({"node": node}) == {"node": {"name": "n", "self": CYCLE}}

    def test_redactor__marks_a_cycle_through_several_containers(self, redact):
        parent = {"children": []}
        parent["children"].append({"parent": parent, "token": "t"})
        assert redact({"tree": parent}) == {
            "tree": {"children": [{"parent": CYCLE, "token": REDACTED}]}
        }

    def test_redactor__a_list_repeating_itself_costs_one_pass(self, redact):
        """Without cycle detection this walks 2**20 copies and renders megabytes."""
        items = []
        items += [items, items]
        assert redact({"items": items}) == {"items": [CYCLE, CYCLE]}

    def test_redactor__a_value_shared_twice_is_not_a_cycle(self, redact):
        shared = ["Bearer abcdefgh12"]
        assert redact({"pair": [shared, {"again": shared}]}) == {
            "pair": [[f"Bearer {REDACTED}"], {"again": [f"Bearer {REDACTED}"]}]
        }

    @pytest.mark.parametrize("kind", [set, frozenset])
    def test_redactor__hides_secrets_inside_sets(self, redact, kind):
        assert redact({"tokens": kind([JWT])}) == {"tokens": [REDACTED]}

    def test_redactor__hides_secrets_in_the_text_of_other_objects(self, redact):
        """The renderer would show their repr; the repr is what gets redacted."""
        error = PermissionError(f"rejected {JWT}")
        assert redact({"error": error, "nested": [error]}) == {
            "error": f"PermissionError('rejected {REDACTED}')",
            "nested": [f"PermissionError('rejected {REDACTED}')"],
        }

    def test_redactor__an_object_without_a_repr_becomes_a_placeholder(self, redact):
        assert redact({"value": Opaque()}) == {"value": "<unrepresentable Opaque>"}

    def test_redactor__keeps_numbers_of_any_numeric_type(self, redact):
        event = redact({"port": Port(8080), "ports": [Port(8080), 1.5, True, None]})
        assert event == {"port": 8080, "ports": [8080, 1.5, True, None]}
        assert type(event["port"]) is Port
        assert type(event["ports"][0]) is Port

    def test_redactor__scrubs_text_of_any_string_type(self, redact):
        assert redact({"note": Text(f"got {JWT}"), "notes": [Text(JWT)]}) == {
            "note": f"got {REDACTED}",
            "notes": [REDACTED],
        }

    def test_redactor__a_value_that_cannot_be_walked_is_hidden(self, redact):
        class ChangingMapping(Mapping):
            def __getitem__(self, key):
                raise KeyError(key)

            def __iter__(self):
                raise RuntimeError("dictionary changed size during iteration")

            def __len__(self):
                return 1

        event = {"event": "e", "state": ChangingMapping(), "user": "ann"}
        assert redact(event) == {"event": "e", "state": REDACTED, "user": "ann"}


class TestThroughThePipeline:
    def test_logging__a_self_referencing_value_is_delivered_with_the_cycle_marked(
        self, logging_setup
    ):
        items = [1]
        items.append(items)
        logging_lib.get_logger().info("cyclic", items=items)
        assert assert_event(logging_setup.events(), event="cyclic")["items"] == [1, CYCLE]

    def test_logging__a_value_that_breaks_redaction_does_not_reach_the_caller(self, logging_setup):
        class Exploding(dict):
            def items(self):
                raise RuntimeError("boom")

        logging_lib.get_logger().info("odd", state=Exploding(a=1), user="ann")
        event = assert_event(logging_setup.events(), event="odd")
        assert event["state"] == REDACTED
        assert event["user"] == "ann"
