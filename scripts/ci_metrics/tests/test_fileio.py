"""Atomic writes, text and JSON reading, and line ranges."""

from __future__ import annotations

import re

import pytest

from ci_metrics.errors import InputError, RegisterError
from ci_metrics.inputs.fileio import read_json, read_text, write_json_atomic, write_text_atomic
from ci_metrics.model.lineranges import format_ranges, from_ranges, to_ranges


def test_write_text_atomic__creates_parents_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "a" / "b.txt"
    write_text_atomic(target, "one")
    write_text_atomic(target, "two")
    assert target.read_text(encoding="utf-8") == "two"
    assert [p.name for p in target.parent.iterdir()] == ["b.txt"]


def test_write_text_atomic__failure_keeps_old_file_and_removes_temp(tmp_path):
    target = tmp_path / "b.txt"
    write_text_atomic(target, "old")
    with pytest.raises(UnicodeEncodeError):
        write_text_atomic(target, "bad \ud800 surrogate")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["b.txt"]


def test_read_json__round_trip_missing_corrupt_and_unreadable(tmp_path):
    write_json_atomic(tmp_path / "x.json", {"b": 1, "a": [1]})
    assert (tmp_path / "x.json").read_text(encoding="utf-8") == '{"a":[1],"b":1}'
    assert read_json(tmp_path / "x.json", "thing") == {"a": [1], "b": 1}
    with pytest.raises(InputError, match="thing not found"):
        read_json(tmp_path / "nope.json", "thing")
    (tmp_path / "bad.json").write_text("{\n]", encoding="utf-8")
    with pytest.raises(InputError, match=r"not valid JSON \(line 2\)"):
        read_json(tmp_path / "bad.json", "thing")
    with pytest.raises(InputError, match="cannot read thing"):
        read_json(tmp_path, "thing")


def test_read_text__missing_is_none_and_unreadable_raises_the_callers_error(tmp_path):
    (tmp_path / "x.md").write_text("text", encoding="utf-8")
    assert read_text(tmp_path / "x.md") == "text"
    assert read_text(tmp_path / "nope.md") is None
    with pytest.raises(RegisterError, match=f"^cannot read {re.escape(str(tmp_path))}: "):
        read_text(tmp_path, error=RegisterError)
    with pytest.raises(InputError, match=f"^cannot read thing {re.escape(str(tmp_path))}: "):
        read_text(tmp_path, "thing")


def test_line_ranges__round_trip_and_format():
    lines = {9, 3, 4, 5, 12, 13}
    assert to_ranges(lines) == [[3, 5], [9, 9], [12, 13]]
    assert from_ranges(to_ranges(lines)) == lines
    assert format_ranges(lines) == "3-5, 9, 12-13"


def test_range_set__membership_and_run_lookup():
    from ci_metrics.model.lineranges import RangeSet

    runs = RangeSet([[3, 5], [9, 9]])
    assert [line in runs for line in (2, 3, 5, 6, 9, 10)] == [False, True, True, False, True, False]
    assert runs.run_of(4) == [3, 5]
    assert runs.run_of(1) is None
    assert 1 not in RangeSet([])


def test_write_text_atomic__output_is_world_readable(tmp_path):
    target = write_text_atomic(tmp_path / "shared.txt", "x")
    assert target.stat().st_mode & 0o777 == 0o644
