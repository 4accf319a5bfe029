"""Settings from [tool.ci_metrics]."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from ci_metrics.errors import SettingsError
from ci_metrics.settings import Layer, Settings, load_settings, parse_settings, with_overrides


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
    assert {name: owned.include for name, owned in s.owned.items()} == {
        "api": ("apps/api",),
        "integration": (),
    }
    assert (s.thresholds.project_lines, s.thresholds.project_branches) == (80.0, False)
    assert s.thresholds.per_layer() == {"api": 95.0}
    assert (s.baseline_window, s.exception_register) == (10, "docs/reg.md")
    assert (s.github.time_limit_seconds, s.github.request_timeout_seconds) == (240.0, 10.0)
    assert type(s.github.time_limit_seconds) is float  # an integer is a number, read as one
    assert (s.comment.marker_html, s.comment.author, s.comment.max_chars) == (
        "<!-- m:sticky -->",
        "bot",
        1000,
    )
    assert (s.github.baseline_workflow, s.github.baseline_artifact) == ("b.yml", "art")
    assert s.comment.max_annotations == 3


def test_parse_settings__one_error_lists_every_problem_on_one_line_without_values():
    with pytest.raises(SettingsError) as info:
        parse_settings(
            {
                "layers": {"api": "apps/api", "auth": ["apps/auth", ""]},
                "thresholds": {"diff": 120, "project_lines": "high", "layers": {"nope": 1}},
                "baseline_window": 0,
                "comment": {"max_chars": 70000, "marker": " "},
                "github": "x",
                "colour": "blue",
                "retry_budget_seconds": 900,
            }
        )
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("invalid [tool.ci_metrics]: ")
    assert message.removeprefix("invalid [tool.ci_metrics]: ").split("; ") == [
        "layers.api: must be a list of owned paths, or a table with `owns`",
        "layers.auth[1]: must be a path relative to the pyproject.toml, not empty",
        "thresholds.project_lines: must be a percentage from 0 to 100, or false",
        "thresholds.diff: must be at most 100",
        "baseline_window: must be at least 1",
        "comment.marker: must not be blank",
        "comment.max_chars: must be at most 65536",
        "github: must be a table",
        "colour: is not a known setting",
        "retry_budget_seconds: is not a known setting",
        "thresholds.layers.nope: is not a configured layer",
    ]
    for value in ("apps/api", "120", "high", "70000", "blue", "900"):
        assert value not in message


def test_parse_settings__unknown_keys_are_named_with_the_closest_known_one():
    with pytest.raises(SettingsError) as info:
        parse_settings({"github": {"time_limit_seconds": 0, "timeout": 5}, "treshold": {}})
    assert str(info.value).removeprefix("invalid [tool.ci_metrics]: ").split("; ") == [
        "github.time_limit_seconds: must be greater than 0",
        "github.timeout: is not a known setting",
        "treshold: is not a known setting (did you mean thresholds?)",
    ]


def test_parse_settings__toml_types_only():
    with pytest.raises(SettingsError) as info:
        parse_settings({"baseline_window": True, "allow_unmeasured": "yes",
                        "github": {"time_limit_seconds": "300"}})  # fmt: skip
    assert str(info.value).removeprefix("invalid [tool.ci_metrics]: ").split("; ") == [
        "allow_unmeasured: must be true or false",
        "baseline_window: must be an integer",
        "github.time_limit_seconds: must be a number",
    ]


def test_parse_settings__a_layer_table_needs_owns_and_may_hold_other_readers_keys():
    s = parse_settings(
        {
            "layers": {
                "api": {"owns": ["apps/api"], "tests": ["tests/unit/api"], "workers": 0},
                "e2e": {"owns": [], "network": "loopback"},
                "unit": ["src/"],
            }
        }
    )
    assert {name: owned.include for name, owned in s.owned.items()} == {
        "api": ("apps/api",),
        "e2e": (),
        "unit": ("src",),
    }
    with pytest.raises(SettingsError, match=r"layers\.api\.owns: is required$"):
        parse_settings({"layers": {"api": {"own": ["apps/api"]}}})


def test_parse_settings__threshold_for_unknown_layer_is_reported():
    with pytest.raises(SettingsError, match=r"thresholds\.layers\.nope: is not a configured layer"):
        parse_settings({"thresholds": {"layers": {"nope": 90}}})


def test_parse_settings__layer_thresholds_must_be_a_table_and_layers_non_empty():
    with pytest.raises(
        SettingsError, match=r"layers: must not be empty; thresholds.layers: must be a table$"
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
    assert s.owning_layer("scripts/ci_metrics/src/ci_metrics/cli.py") == "ci_metrics"
    assert s.owning_layer("scripts/mutation.py") == "tooling"
    assert not s.owns("tooling", "scripts/ci_metrics/src/ci_metrics/cli.py")
    assert s.owning_layer("apps/kernel/health.py") == "kernel"
    assert s.owning_layer("apps/apiary.py") == "integration"  # end to end: all of apps/
    assert s.owning_layer("benchmarks/load_api.py") is None


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
    assert str(info.value) == (
        "invalid [tool.ci_metrics]: allow_unmeasured: must be true or false; "
        "default_layer: is not a configured layer"
    )


def test_settings_under__rebases_owned_and_test_paths_onto_the_work_tree():
    s = Settings(layers={"unit": ("src/pkg",), "e2e": Layer(owns=(), tests=("tests", "!tests/x"))})
    assert s.under("") is s
    assert s.under("python/").layers == {
        "unit": Layer(owns=("python/src/pkg",)),
        "e2e": Layer(owns=(), tests=("python/tests", "!python/tests/x")),
    }
    assert "python/tests/a.py" in s.under("python/").test_paths("e2e")
    assert "python/tests/x/a.py" not in s.under("python/").test_paths("e2e")
    excluding = Settings(layers={"unit": ("src", "!src/vendored")}).under("python/")
    assert excluding.owned["unit"].exclude == ("python/src/vendored",)
    assert excluding.owning_layer("python/src/vendored/x.py") is None
    assert s.under("python/").owning_layer("python/src/pkg/a.py") == "unit"


def test_require_layers__names_what_to_add():
    with pytest.raises(SettingsError, match=r"no layers configured: add `layers = "):
        Settings().require_layers()


def test_load_settings__a_ci_metrics_key_that_is_not_a_table_is_refused(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool]\nci_metrics = 3\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"\[tool.ci_metrics\] must be a table"):
        load_settings(path)
    path.write_text('tool = "x"\n', encoding="utf-8")
    assert load_settings(path) == Settings()


def test_parse_settings__nan_and_infinity_are_not_numbers_here():
    for value in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(SettingsError) as info:
            parse_settings({"thresholds": {"diff": value}, "github": {"time_limit_seconds": value}})
        assert str(info.value) == (
            "invalid [tool.ci_metrics]: thresholds.diff: must be a finite number; "
            "github.time_limit_seconds: must be a finite number"
        )


def test_parse_settings__true_is_not_a_threshold_and_lists_and_tables_are_checked_inside():
    with pytest.raises(SettingsError) as info:
        parse_settings(
            {
                "layers": {"api": {"owns": ["apps/api", 3], "tests": "any"}, "unit": [" ", "/"]},
                "thresholds": {"project_lines": True, "layers": {"api": -1, "unit": "x"}},
            }
        )
    assert str(info.value).removeprefix("invalid [tool.ci_metrics]: ").split("; ") == [
        "layers.api.owns[1]: must be a string",
        "layers.api.tests: must be an array",
        "layers.unit[1]: must be a path relative to the pyproject.toml, not empty",
        "thresholds.project_lines: must be a percentage from 0 to 100, or false",
        "thresholds.layers.api: must be at least 0",
        "thresholds.layers.unit: must be a percentage from 0 to 100, or false",
    ]


def test_with_overrides__replaces_only_what_the_command_line_gives():
    s = parse_settings({"layers": {"api": ["apps/api"]}, "thresholds": {"diff": False}})
    changed = with_overrides(s, lines=50.0, window=7, register=Path("r.md"))
    assert changed.thresholds == msgspec.structs.replace(s.thresholds, project_lines=50.0)
    assert (changed.baseline_window, changed.exception_register) == (7, "r.md")
    assert with_overrides(s) == s
    assert with_overrides(s, diff=80.0).thresholds.diff == 80.0


def test_owned_paths__a_leading_bang_leaves_a_sub_path_out_of_the_layer():
    s = parse_settings(
        {
            "layers": {
                "tooling": ["scripts", "!scripts/ci_metrics/"],
                "ci_metrics": ["scripts/ci_metrics"],
            }
        }
    )
    assert s.owns("tooling", "scripts/mutation.py")
    assert not s.owns("tooling", "scripts/ci_metrics/src/ci_metrics/cli.py")
    assert s.owning_layer("scripts/ci_metrics/src/ci_metrics/cli.py") == "ci_metrics"
    assert s.owning_layer("scripts/ci_metrics_extra.py") == "tooling"  # a sibling, not below
    assert s.owned["tooling"].described() == "scripts, but not scripts/ci_metrics"
    alone = parse_settings({"layers": {"tooling": ["scripts", "!scripts/ci_metrics"]}})
    assert alone.owning_layer("scripts/ci_metrics/x.py") is None


def test_owned_paths__an_exclusion_outside_the_layers_own_paths_is_refused():
    with pytest.raises(SettingsError) as info:
        parse_settings(
            {"layers": {"a": ["src", "!lib/x"], "b": {"owns": ["!src"], "tests": ["t"]}}}
        )
    assert str(info.value) == (
        "invalid [tool.ci_metrics]: layers.a[1]: excludes a path the layer does not own; "
        "layers.b.owns[0]: excludes a path the layer does not own"
    )
