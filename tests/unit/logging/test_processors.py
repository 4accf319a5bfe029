import json

from logging_lib.processors import render_json, safe_repr


class BrokenRepr:
    def __repr__(self):
        raise RuntimeError("no repr for you")


class TestRenderJson:
    def test_render_json__plain_values(self):
        assert json.loads(render_json(None, "info", {"event": "e", "n": 1})) == {
            "event": "e",
            "n": 1,
        }

    def test_render_json__keeps_non_ascii_readable(self):
        assert render_json(None, "info", {"event": "café"}) == '{"event": "café"}'

    def test_render_json__broken_repr_becomes_a_placeholder(self):
        line = render_json(None, "info", {"event": "e", "value": BrokenRepr()})
        assert json.loads(line)["value"] == "<unrepresentable BrokenRepr>"

    def test_render_json__cycles_and_odd_containers_are_rendered_safely(self):
        cycle = []
        cycle.append(cycle)
        line = render_json(
            None, "info", {"event": "e", "cycle": cycle, "set": {3}, 7: None, "obj": object()}
        )
        event = json.loads(line)
        assert event["set"] == [3]
        assert event["7"] is None
        assert event["obj"].startswith("<object object")
        depth, node = 0, event["cycle"]
        while isinstance(node, list):
            node, depth = node[0], depth + 1
        assert node == "[[...]]"
        assert depth > 10


def test_safe_repr__falls_back_to_the_type_name():
    assert safe_repr(BrokenRepr()) == "<unrepresentable BrokenRepr>"
    assert safe_repr("x") == "'x'"
