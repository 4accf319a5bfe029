"""Download the newest baseline artifact of the default branch's baseline workflow.

Successful runs are read newest first, page by page, up to :data:`MAX_RUNS`; the
first run with an unexpired artifact of the configured name is used. The archive
is read in memory and both members are decoded and validated before anything is
written, so a corrupt artifact leaves no file behind (exit 2, one line saying why).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from ci_metrics.errors import InputError
from ci_metrics.github.archive import parse_json, run_artifact_members
from ci_metrics.github.client import GitHubClient
from ci_metrics.inputs.fileio import write_text_atomic
from ci_metrics.model.baseline import Baseline

BASELINE = "baseline.json"
DURATIONS = ".test_durations"
MAX_MEMBER_BYTES = 64 * 1024 * 1024
# Nightly runs keep their artifact for 90 days: a usable one is among the newest
# few runs, and looking at more only spends API calls (one per run).
MAX_RUNS = 100
RUNS_PER_PAGE = 20


@dataclass(frozen=True)
class BaselineSearch:
    """What :func:`fetch_baseline` found: the file and the run it came from, or neither."""

    runs_seen: int
    run_id: int | None = None
    path: Path | None = None

    @property
    def bounded(self) -> bool:
        """The search stopped at :data:`MAX_RUNS` without finding an artifact."""
        return self.path is None and self.runs_seen >= MAX_RUNS


def fetch_baseline(
    client: GitHubClient,
    *,
    workflow: str,
    artifact: str,
    dest: Path,
    durations: Path,
    branch: str | None = None,
    event: str = "schedule",
    max_member_bytes: int = MAX_MEMBER_BYTES,
) -> BaselineSearch:
    """Save the newest unexpired ``artifact``: ``baseline.json`` into the ``dest`` folder
    and ``.test_durations`` (when the archive has one) to ``durations``."""
    if branch is None:
        branch = str(client.get_json(f"/repos/{client.repository}")["default_branch"])
    params = {"branch": branch, "event": event, "status": "success", "per_page": RUNS_PER_PAGE}
    seen = 0
    for run in client.workflow_runs(workflow, params):
        if seen == MAX_RUNS:
            break
        seen += 1
        run_id = int(run["id"])
        where = f"the baseline artifact of run {run_id}"
        members = (BASELINE, DURATIONS)
        texts = run_artifact_members(client, run_id, artifact, members, where, max_member_bytes)
        if texts is None:
            continue
        _check_members(texts, where)
        if DURATIONS in texts:
            write_text_atomic(durations, texts[DURATIONS])
        path = write_text_atomic(dest / BASELINE, texts[BASELINE])
        return BaselineSearch(seen, run_id, path)
    return BaselineSearch(seen)


def _check_members(texts: dict[str, str], where: str) -> None:
    """Both members' texts are valid, before anything is written."""
    if BASELINE not in texts:
        raise InputError(f"{where}: no {BASELINE} in it")
    what = f"{where}: {BASELINE}"
    Baseline.from_json(parse_json(texts[BASELINE], what), what)
    if DURATIONS in texts:
        what = f"{where}: {DURATIONS}"
        _check_durations(parse_json(texts[DURATIONS], what), what)


def _check_durations(doc: Any, what: str) -> None:
    try:
        msgspec.convert(doc, dict[str, float], strict=True)
    except msgspec.ValidationError:
        raise InputError(f"{what} is invalid: expected an object of test id -> seconds") from None
