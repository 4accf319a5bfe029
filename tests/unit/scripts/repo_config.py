"""Read the repository's own configuration files, for the tests that keep them in step."""

from __future__ import annotations

import configparser
from pathlib import Path
from typing import Any

import yaml

from scripts.layer_envs import load_layer_envs

ROOT = Path(__file__).resolve().parents[3]
WORKFLOWS = ROOT / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
#: The local composite actions the workflows use (``uses: ./.github/actions/<name>``).
ACTIONS = ROOT / ".github" / "actions"
ACTION_FILES = sorted(ACTIONS.glob("*/action.yml"))
LAYER_WORKFLOW = "./.github/workflows/tox-layer.yml"
#: The composite action other repositories use (``uses: <owner>/<repo>/scripts/ci_metrics@<sha>``).
PUBLISHED_ACTION = ROOT / "scripts" / "ci_metrics" / "action.yml"
#: libyaml's parser when PyYAML was built with it (its wheels are): the same
#: documents, about ten times faster than the pure-Python one, and the
#: workflow tests parse every workflow while they are collected.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(path: Path) -> Any:
    return yaml.load(path.read_text(), Loader=_LOADER)  # noqa: S506 (both loaders are safe)


def ini(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / name)
    return parser


def tox_config() -> configparser.ConfigParser:
    return ini("tox.ini")


def tox_envs() -> set[str]:
    """Every tox env: those tox.ini writes and those toxfile.py generates."""
    written = {
        name.split(":", 1)[1] for name in tox_config().sections() if name.startswith("testenv:")
    }
    return written | set(load_layer_envs(ROOT / "pyproject.toml").new_envs)


def jobs(workflow: str) -> dict[str, Any]:
    return load(WORKFLOWS / workflow)["jobs"]


def job_steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    """A job's steps and, after each step that uses a local composite action, that
    action's own steps."""
    steps = []
    for step in job.get("steps", []):
        steps.append(step)
        uses = step.get("uses", "")
        if uses.startswith("./.github/actions/"):
            steps += load(ROOT / uses / "action.yml")["runs"]["steps"]
    return steps


def layer_jobs(workflow: str) -> dict[str, dict[str, Any]]:
    """The jobs of ``workflow`` that call the reusable layer workflow."""
    return {name: job for name, job in jobs(workflow).items() if job.get("uses") == LAYER_WORKFLOW}
