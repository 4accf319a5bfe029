"""The ``shards`` verb (runs before dependencies are installed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ci_metrics.cli import run

REPO = Path(__file__).resolve().parents[3]


def test_shards__prints_and_appends_plan(make_context, tmp_path):
    output = tmp_path / "github_output"
    output.write_text("earlier=1\n", encoding="utf-8")
    ctx = make_context({"GITHUB_OUTPUT": str(output)})
    code = run(["shards", "--root", str(REPO), "--layer", "api", "--count", "3"], ctx)
    assert code == 0
    assert ctx.stdout.getvalue() == "shards=[1, 2, 3]\nartifact-prefix=results-api\n"
    assert output.read_text(encoding="utf-8") == (
        "earlier=1\nshards=[1, 2, 3]\nartifact-prefix=results-api\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--layer", "nope"], "unknown layer 'nope'"),
        (["--layer", "api", "--count", "0"], "--count must be from 1 to 64, got 0"),
    ],
)
def test_shards__bad_layer_or_count_exits_2(make_context, args, message):
    ctx = make_context()
    assert run(["shards", "--root", str(REPO), *args], ctx) == 2
    assert message in ctx.stderr.getvalue()


def test_shards__runs_on_a_bare_python_from_the_source_folder(tmp_path):
    """As the plan job runs it: no package installed, no site-packages at all (-S)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO / "scripts" / "ci_metrics" / "src"),
        "GITHUB_OUTPUT": str(tmp_path / "out"),
    }
    proc = subprocess.run(
        [sys.executable, "-S", "-m", "ci_metrics", "shards", "--layer", "tooling", "--count", "2"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "shards=[1, 2]\nartifact-prefix=results-tooling\n"
    assert (tmp_path / "out").read_text() == proc.stdout


def test_shards__without_github_output_only_prints(make_context):
    ctx = make_context()
    assert run(["shards", "--root", str(REPO), "--layer", "integration"], ctx) == 0
    assert ctx.stdout.getvalue() == "shards=[1]\nartifact-prefix=results-integration\n"
