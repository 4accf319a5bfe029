import json
import subprocess
import tomllib
from pathlib import Path

import pytest

from scripts.mutation import (
    Deselected,
    LayerTarget,
    MutationError,
    load_targets,
    main,
    mutmut_table,
    parse_results,
    prepare_copy,
    render_table,
)

ROOT = Path(__file__).resolve().parents[3]
TARGET = LayerTarget("logging", ("tests/unit/logging",), ("logging_lib/redaction.py",))

RESULTS = """\
    logging_lib.redaction.x_redact_text__mutmut_1: killed
    logging_lib.redaction.x_redact_text__mutmut_2: survived
    logging_lib.redaction.xǁRedactorǁ__call____mutmut_1: timeout
    logging_lib.redaction.xǁRedactorǁ__call____mutmut_2: no tests
    logging_lib.other.x_f__mutmut_1: survived
not a result line
"""


def test_parse_results__counts_per_module_and_keeps_survivor_names():
    scores = parse_results(RESULTS, TARGET)
    score = scores["logging_lib.redaction"]
    assert score.counts == {"killed": 1, "survived": 1, "timeout": 1, "no tests": 1}
    assert score.detected == 2  # a time-out is a test noticing the mutant
    assert score.score == 50.0
    assert score.survivors == [
        "logging_lib.redaction.x_redact_text__mutmut_2",
        "logging_lib.redaction.xǁRedactorǁ__call____mutmut_2",
    ]
    assert list(scores) == ["logging_lib.redaction"]  # modules outside the target are ignored


def test_parse_results__a_module_without_mutants_has_no_score():
    assert parse_results("", TARGET)["logging_lib.redaction"].score is None


def test_mutmut_table__selects_the_module_and_only_the_layers_tests():
    top_level = ["pytest.ini", "tox.ini", "logging_lib", "apps", ".ci"]
    table = tomllib.loads(mutmut_table(TARGET, top_level))["tool"]["mutmut"]
    assert table["source_paths"] == ["logging_lib"]
    assert table["only_mutate"] == ["logging_lib/redaction.py"]
    assert table["pytest_add_cli_args_test_selection"] == ["tests/unit/logging"]
    # everything else of the repository is copied beside the mutated sources
    assert table["also_copy"] == [".ci", "apps", "pytest.ini", "tox.ini"]


def test_render_table__worst_first_and_flags_what_is_below_the_goal():
    scores = parse_results(RESULTS, TARGET)
    table = render_table(scores, 90).splitlines()
    assert table[0].split() == ["module", "layer", "mutants", "detected", "survived", "score"]
    assert table[1].split() == [
        "logging_lib.redaction",
        "logging",
        "4",
        "2",
        "2",
        "50.0%",
        "<",
        "90",
    ]


REGISTRY = (
    "[tool.ci_metrics.layers.unit]\nowns = ['pkg']\ntests = ['tests']\nworkers = 0\n"
    "network = 'none'\n"
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tool.other]\n", "cannot read [tool.mutation]"),
        ("[tool.mutation]\ngoal = 120\n", "goal: expected 0-100"),
        (REGISTRY + "[tool.mutation]\n", "names no layer"),
        ("[tool.mutation]\n", "no [tool.ci_metrics.layers.<name>] table"),
        (REGISTRY + "[tool.mutation.layers.api]\nmodules = ['a.py']\n", "api is not a layer of"),
        (
            REGISTRY + "[tool.mutation.layers.unit]\ntests = ['t']\nmodules = ['a.py']\n",
            "unit] tests: not a key here",
        ),
        (REGISTRY + "[tool.mutation.layers.unit]\nmodules = []\n", "unit] modules: expected"),
    ],
)
def test_load_targets__rejects_bad_configuration(tmp_path, text, message):
    path = tmp_path / "pyproject.toml"
    path.write_text(text)
    with pytest.raises(MutationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_targets(path)


@pytest.fixture
def repo(tmp_path):
    """A git work tree with one module, its tests, and a [tool.mutation] table."""
    root = tmp_path / "repo"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "mod.py").write_text("def f():\n    return 1\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_mod.py").write_text(
        "def test_f():\n    pass\n\n\nclass TestF:\n    def test_in_workers(self):\n        pass\n"
    )
    (root / "pyproject.toml").write_text(
        REGISTRY + "[tool.mutation]\ngoal = 80\n"
        "[tool.mutation.layers.unit]\nmodules = ['pkg/mod.py']\n"
    )
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


class FakeMutmut:
    """Answers mutmut's commands the way the real CLI does, and records them."""

    def __init__(self, results, run_code=0):
        self.results = results
        self.run_code = run_code
        self.calls = []

    def __call__(self, argv, cwd, log):
        verb = argv[3]
        self.calls.append((verb, cwd))
        if verb == "run":
            assert "[tool.mutmut]" in (cwd / "pyproject.toml").read_text()
            assert (cwd / "pkg" / "mod.py").is_file()
            return self.run_code
        if verb == "results":
            return self.results
        return f"# {argv[4]}: survived\n-    return 1\n+    return 2\n"


def test_main__writes_scores_and_survivors_and_fails_under_the_goal(repo, tmp_path, capsys):
    fake = FakeMutmut("    pkg.mod.x_f__mutmut_1: killed\n    pkg.mod.x_f__mutmut_2: survived\n")
    out = tmp_path / "out"
    code = main(["--root", str(repo), "--output", str(out)], runner=fake)
    assert code == 1
    scores = json.loads((out / "scores.json").read_text())
    assert scores["modules"]["pkg.mod"]["score"] == 50.0
    assert "+    return 2" in (out / "survivors.md").read_text()
    assert "below the 80% goal: pkg.mod" in capsys.readouterr().err
    assert [verb for verb, _ in fake.calls] == ["run", "results", "show"]


def test_main__passes_when_every_module_meets_the_goal(repo, tmp_path):
    fake = FakeMutmut("    pkg.mod.x_f__mutmut_1: killed\n")
    assert main(["--root", str(repo), "--output", str(tmp_path / "out")], runner=fake) == 0


@pytest.mark.parametrize(
    ("fake", "message"),
    [
        (FakeMutmut("", run_code=3), "mutmut run failed for the unit layer (exit 3)"),
        (FakeMutmut(""), "no mutants were generated for pkg.mod"),
    ],
)
def test_main__mutmut_failures_and_empty_results_are_errors(repo, tmp_path, capsys, fake, message):
    assert main(["--root", str(repo), "--output", str(tmp_path / "out")], runner=fake) == 2
    assert message in capsys.readouterr().err


def test_main__a_failed_layer_is_named_and_the_others_are_still_scored(repo, tmp_path, capsys):
    (repo / "other").mkdir()
    (repo / "other" / "mod.py").write_text("def g():\n    return 1\n")
    (repo / "pyproject.toml").write_text(
        REGISTRY.replace("unit", "first")
        + REGISTRY.replace("unit", "second").replace("['pkg']", "['other']")
        + "[tool.mutation]\ngoal = 80\n"
        "[tool.mutation.layers.first]\nmodules = ['pkg/mod.py']\n"
        "[tool.mutation.layers.second]\nmodules = ['other/mod.py']\n"
    )

    def runner(argv, cwd, log):
        if cwd.name == "first" and argv[3] == "run":
            return 3
        if argv[3] == "run":
            return 0
        return "    other.mod.x_g__mutmut_1: killed\n"

    out = tmp_path / "out"
    assert main(["--root", str(repo), "--output", str(out)], runner=runner) == 2
    scores = json.loads((out / "scores.json").read_text())
    assert scores["modules"] == {
        "other.mod": {
            "layer": "second",
            "mutants": 1,
            "detected": 1,
            "score": 100.0,
            "counts": {"killed": 1},
        }
    }
    [failure] = scores["failed"]
    assert failure["layer"] == "first"
    assert failure["reason"].startswith("mutmut run failed for the first layer (exit 3)")
    assert (
        "- first: mutmut run failed for the first layer (exit 3)"
        in (out / "survivors.md").read_text()
    )
    err = capsys.readouterr().err
    assert "mutation: first: not scored: mutmut run failed" in err
    assert "mutation: not scored: first" in err


def test_main__unknown_layer_is_an_error(repo, tmp_path, capsys):
    code = main(["--root", str(repo), "--output", str(tmp_path), "--layer", "nope"], runner=None)
    assert code == 2
    assert "not in [tool.mutation.layers]: nope" in capsys.readouterr().err


def test_main__a_listed_module_that_does_not_exist_is_an_error(repo, tmp_path, capsys):
    (repo / "pkg" / "mod.py").unlink()
    assert main(["--root", str(repo), "--output", str(tmp_path)], runner=FakeMutmut("")) == 2
    assert "no such module: pkg/mod.py" in capsys.readouterr().err


def test_src_layout_module__is_mutated_from_the_copys_src_folder(tmp_path):
    """mutmut imports mutants only from ./, src/ and source/ of the copy."""
    target = LayerTarget(
        "ci_metrics",
        ("scripts/ci_metrics/tests",),
        ("scripts/ci_metrics/src/ci_metrics/github/sticky.py",),
    )
    table = tomllib.loads(mutmut_table(target, ()))["tool"]["mutmut"]
    assert table["source_paths"] == ["src"]
    assert table["only_mutate"] == ["src/ci_metrics/github/sticky.py"]
    scores = parse_results("    ci_metrics.github.sticky.x_f__mutmut_1: killed\n", target)
    assert scores["ci_metrics.github.sticky"].counts == {"killed": 1}


def test_prepare_copy__puts_a_src_layout_distribution_under_the_copys_src(repo, tmp_path):
    member = repo / "tools" / "dist" / "src" / "tool"
    member.mkdir(parents=True)
    (member / "__init__.py").write_text("")
    (member / "core.py").write_text("def g():\n    return 2\n")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    target = LayerTarget("unit", ("tests",), ("tools/dist/src/tool/core.py",))
    prepare_copy(repo, tmp_path / "work", target)
    assert (
        tmp_path / "work" / "src" / "tool" / "core.py"
    ).read_text() == "def g():\n    return 2\n"
    assert (tmp_path / "work" / "src" / "tool" / "__init__.py").is_file()


def test_prepare_copy__mutmut_copies_every_top_level_entry_but_the_mutated_sources(repo, tmp_path):
    # A file a test reads, wherever it lives, reaches mutmut's copy (a folder that
    # appeared later, such as .ci/, needs no list to be kept up to date).
    (repo / ".ci").mkdir()
    (repo / ".ci" / "tools.txt").write_text("tox==4\n")
    (repo / "dev.py").write_text("")
    target = LayerTarget("unit", ("tests",), ("pkg/mod.py",))
    prepare_copy(repo, tmp_path / "work", target)
    table = tomllib.loads((tmp_path / "work" / "pyproject.toml").read_text())["tool"]["mutmut"]
    assert table["also_copy"] == [".ci", "dev.py", "pyproject.toml", "tests"]


def test_load_targets__the_tests_of_a_layer_come_from_the_registry(repo):
    goal, targets = load_targets(repo / "pyproject.toml")
    assert goal == 80.0
    assert targets == [LayerTarget("unit", ("tests",), ("pkg/mod.py",))]


def test_load_targets__the_repositorys_own_targets_use_the_registry_tests():
    from scripts.layer_registry import load_layers

    _goal, targets = load_targets(ROOT / "pyproject.toml")
    registry = load_layers(ROOT / "pyproject.toml")
    assert {t.layer for t in targets} <= set(registry)
    for target in targets:
        assert target.tests == registry[target.layer].tests


SPAWNS = "tests/test_mod.py::TestF::test_in_workers"
DESELECT = f"deselect = [{{ test = '{SPAWNS}', reason = 'runs f in spawned workers' }}]\n"


def test_load_targets__reads_the_tests_a_layer_leaves_out_and_why(repo):
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + DESELECT)
    _goal, [target] = load_targets(pyproject)
    assert target.deselect == (Deselected(SPAWNS, "runs f in spawned workers"),)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("'tests/test_mod.py::test_f'", "deselect[0]: expected a table with test and reason"),
        ("{ test = 'tests/test_mod.py::test_f' }", "deselect[0] reason: say why"),
        ("{ test = 'tests/test_mod.py::test_f', reason = ' ' }", "deselect[0] reason: say why"),
        (
            "{ test = 'tests/test_mod.py::test_f', reason = 'r', why = 'x' }",
            "deselect[0] why: not a key here",
        ),
        ("{ test = 'tests/test_mod.py', reason = 'r' }", "deselect[0] test: expected a pytest"),
        (
            "{ test = 'other/test_x.py::test_f', reason = 'r' }",
            "other/test_x.py is not in the layer's tests (tests)",
        ),
        ("{ test = 'tests/test_gone.py::test_f', reason = 'r' }", "no such test file"),
        ("{ test = 'tests/test_mod.py::test_renamed', reason = 'r' }", "no test_renamed in"),
        (
            "{ test = 'tests/test_mod.py::TestG::test_in_workers', reason = 'r' }",
            "no TestG in",
        ),
    ],
)
def test_load_targets__rejects_a_deselection_without_a_reason_or_a_test(repo, entry, message):
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + f"deselect = [{entry}]\n")
    with pytest.raises(MutationError) as info:
        load_targets(pyproject)
    assert "[tool.mutation.layers.unit]" in str(info.value)
    assert message in str(info.value)


def test_load_targets__a_parametrized_case_can_be_deselected(repo):
    pyproject = repo / "pyproject.toml"
    case = "tests/test_mod.py::test_f[two-workers]"
    pyproject.write_text(
        pyproject.read_text() + f"deselect = [{{ test = '{case}', reason = 'r' }}]\n"
    )
    _goal, [target] = load_targets(pyproject)
    assert target.deselect[0].test == case


def test_mutmut_table__hands_each_deselected_test_to_pytest():
    target = LayerTarget(
        "logging",
        ("tests/unit/logging",),
        ("logging_lib/redaction.py",),
        deselect=(Deselected("tests/unit/logging/test_a.py::test_x", "why"),),
    )
    table = tomllib.loads(mutmut_table(target, ()))["tool"]["mutmut"]
    args = table["pytest_add_cli_args"]
    assert args[args.index("--deselect") + 1] == "tests/unit/logging/test_a.py::test_x"


def test_main__says_which_tests_it_left_out_and_why(repo, tmp_path, capsys):
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + DESELECT)
    out = tmp_path / "out"
    fake = FakeMutmut("    pkg.mod.x_f__mutmut_1: killed\n")
    assert main(["--root", str(repo), "--output", str(out)], runner=fake) == 0
    printed = capsys.readouterr().out
    assert f"mutation: unit: deselected {SPAWNS}: runs f in spawned workers" in printed
    report = json.loads((out / "scores.json").read_text())
    assert report["deselected"] == [
        {"layer": "unit", "test": SPAWNS, "reason": "runs f in spawned workers"}
    ]
    assert report["modules"]["pkg.mod"]["score"] == 100.0  # the existing keys stay as they were
    assert f"`{SPAWNS}` (unit): runs f in spawned workers" in (out / "survivors.md").read_text()
