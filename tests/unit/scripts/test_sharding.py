"""The ``shards`` verb (runs before dependencies are installed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scripts.ci_metrics.cli import run

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


def test_shards__needs_no_third_party_package(tmp_path):
    blocked = "; ".join(f"sys.modules[{name!r}] = None" for name in ("httpx", "jinja2", "coverage"))
    code = (
        f"import sys; {blocked}; from scripts.ci_metrics.cli import main; "
        "sys.exit(main(['shards', '--layer', 'tooling', '--count', '2']))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "shards=[1, 2]\nartifact-prefix=results-tooling\n"


def test_shards__without_github_output_only_prints(make_context):
    ctx = make_context()
    assert run(["shards", "--root", str(REPO), "--layer", "integration"], ctx) == 0
    assert ctx.stdout.getvalue() == "shards=[1]\nartifact-prefix=results-integration\n"
