"""Settings from [tool.ci_metrics]."""

from __future__ import annotations

from pathlib import Path

import pytest

from ci_metrics.errors import SettingsError
from ci_metrics.settings import Settings, load_settings, parse_settings


def test_parse_settings__full_table():
    s = parse_settings(
        {
            "layers": {"api": ["apps/api/"], "integration": []},
            "thresholds": {
                "project_lines": 80,
                "project_branches": False,
                "diff": 92.5,
                "layers": {"api": 95, "integration": False},
            },
            "baseline_window": 10,
            "exception_register": "docs/reg.md",
            "comment": {"marker": "m", "author": "bot", "max_chars": 1000, "max_annotations": 3},
            "github": {
                "baseline_workflow": "b.yml",
                "baseline_artifact": "art",
                "time_limit_seconds": 240,
                "request_timeout_seconds": 10,
            },
        }
    )
    assert s.layers == {"api": ("apps/api",), "integration": ()}
    assert (s.thresholds.project_lines, s.thresholds.project_branches) == (80.0, None)
    assert s.thresholds.layers == {"api": 95.0}
    assert (s.baseline_window, s.register_path) == (10, "docs/reg.md")
    assert (s.github_time_limit, s.github_request_timeout) == (240.0, 10.0)
    assert (s.marker_html, s.comment_author, s.max_comment_chars) == (
        "<!-- m:sticky -->",
        "bot",
        1000,
    )
    assert (s.baseline_workflow, s.baseline_artifact, s.max_annotations) == ("b.yml", "art", 3)


def test_parse_settings__one_error_lists_every_problem():
    with pytest.raises(SettingsError) as info:
        parse_settings(
            {
                "layers": {"api": "apps/api"},
                "thresholds": {"diff": 120, "project_lines": "high", "layers": {"nope": 1}},
                "baseline_window": 0,
                "comment": {"max_chars": 70000, "marker": ""},
                "github": "x",
                "colour": "blue",
                "retry_budget_seconds": 900,
            }
        )
    message = str(info.value)
    for fragment in (
        "colour: unknown setting",
        "layers: layer 'api'",
        "thresholds.diff",
        "thresholds.project_lines",
        "baseline_window",
        "comment.max_chars",
        "comment.marker",
        "github: expected a table",
        "retry_budget_seconds: unknown setting",
    ):
        assert fragment in message


def test_parse_settings__github_table_is_checked_key_by_key():
    with pytest.raises(SettingsError) as info:
        parse_settings({"github": {"time_limit_seconds": 0, "timeout": 5}})
    message = str(info.value)
    assert "github.time_limit_seconds: expected a positive number, got 0" in message
    assert "github.timeout: unknown setting" in message


def test_parse_settings__threshold_for_unknown_layer_is_reported():
    with pytest.raises(SettingsError, match=r"thresholds\.layers\.nope: not a configured layer"):
        parse_settings({"thresholds": {"layers": {"nope": 90}}})


def test_parse_settings__layer_thresholds_must_be_a_table_and_layers_non_empty():
    with pytest.raises(
        SettingsError, match=r"layers: expected a table.*thresholds.layers: expected"
    ):
        parse_settings({"thresholds": {"layers": [1]}, "layers": {}})


def test_load_settings__missing_file_defaults_invalid_toml_errors(tmp_path):
    assert load_settings(tmp_path / "pyproject.toml") == Settings()
    bad = tmp_path / "bad.toml"
    bad.write_text("[tool\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="invalid TOML"):
        load_settings(bad)


def test_load_settings__repository_pyproject_is_valid():
    repo = Path(__file__).resolve().parents[3]
    s = load_settings(repo / "pyproject.toml")
    assert s.owning_layer("apps/auth_service/tokens.py") == "auth"
    assert s.owning_layer("scripts/ci_metrics/cli.py") == "tooling"
    assert s.owning_layer("apps/apiary.py") is None


def test_owning_layer__longest_prefix_wins():
    s = Settings(layers={"outer": ("apps",), "inner": ("apps/api",)})
    assert s.owning_layer("apps/api/x.py") == "inner"
    assert s.owning_layer("apps/other.py") == "outer"


def test_parse_settings__default_layer_and_soft_mode_are_checked():
    s = parse_settings({"layers": {"unit": ["src"]}, "default_layer": "unit",
                        "allow_unmeasured": True})  # fmt: skip
    assert (s.default_layer, s.allow_unmeasured) == ("unit", True)
    with pytest.raises(SettingsError) as info:
        parse_settings({"layers": {"unit": ["src"]}, "default_layer": "e2e",
                        "allow_unmeasured": "yes"})  # fmt: skip
    assert "default_layer: 'e2e' is not a configured layer" in str(info.value)
    assert "allow_unmeasured: expected true or false, got 'yes'" in str(info.value)


def test_settings_under__rebases_owned_paths_onto_the_work_tree():
    s = Settings(layers={"unit": ("src/pkg",), "e2e": ()})
    assert s.under("") is s
    assert s.under("python/").layers == {"unit": ("python/src/pkg",), "e2e": ()}
    assert s.under("python/").owning_layer("python/src/pkg/a.py") == "unit"


def test_require_layers__names_what_to_add():
    with pytest.raises(SettingsError, match=r"no layers configured: add `layers = "):
        Settings().require_layers()
