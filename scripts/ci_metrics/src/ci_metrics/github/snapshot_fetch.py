"""Download the snapshot of a commit of the default branch, or of its nearest ancestor.

Every ``ci.yml`` run on a push to the default branch or in the merge queue
uploads its snapshot. For each commit, nearest first, the runs of the
workflow with that ``head_sha`` are read (newest first, page by page, at most
:data:`MAX_RUNS_PER_COMMIT`), and the first of them with an unexpired artifact
of the configured name is used. Runs of other events are passed over: a pull
request's run could name any commit as its head, and what it uploads is not
the default branch's. The archive is read in memory and the snapshot parsed and
validated before anything is written, so a corrupt one leaves no file (an
:class:`InputError` that names the run); without a ``dest``, nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ci_metrics.errors import InputError
from ci_metrics.github.archive import parse_json, run_artifact_members
from ci_metrics.github.client import GitHubClient
from ci_metrics.inputs.fileio import write_text_atomic
from ci_metrics.model.snapshot import Snapshot, snapshot_from_json

SNAPSHOT = "snapshot.json"
MAX_MEMBER_BYTES = 256 * 1024 * 1024
# A commit has a run per push and merge-queue entry, and re-runs keep their id: the
# runs of one commit fit in a page or two.
RUNS_PER_PAGE = 10
MAX_RUNS_PER_COMMIT = 30
#: The events whose runs test the default branch's own commits.
TRUSTED_EVENTS = frozenset({"push", "merge_group"})


@dataclass(frozen=True)
class SnapshotSearch:
    """What :func:`fetch_snapshot` found: a snapshot, how far back, from which run;
    ``runs_seen`` counts the push and merge-queue runs it looked at."""

    commits_seen: int
    snapshot: Snapshot | None = None
    distance: int = 0
    run_id: str = ""
    runs_seen: int = 0


def fetch_snapshot(
    client: GitHubClient,
    *,
    workflow: str,
    artifact: str,
    commits: Sequence[str],
    dest: Path | None,
    max_member_bytes: int = MAX_MEMBER_BYTES,
) -> SnapshotSearch:
    """The snapshot of the first of ``commits`` (the merge base, then its first-parent
    ancestors) that has one, saved to ``dest`` if given; ``distance`` is that commit's
    index."""
    runs_seen = 0
    for distance, sha in enumerate(commits):
        params = {"head_sha": sha, "per_page": RUNS_PER_PAGE}
        for seen, run in enumerate(client.workflow_runs(workflow, params)):
            if seen == MAX_RUNS_PER_COMMIT:
                break
            if run.get("event") not in TRUSTED_EVENTS or run.get("head_sha") != sha:
                continue
            runs_seen += 1
            run_id = int(run["id"])
            where = f"the snapshot artifact of run {run_id}"
            member = (SNAPSHOT,)
            texts = run_artifact_members(client, run_id, artifact, member, where, max_member_bytes)
            if texts is None:
                continue
            if SNAPSHOT not in texts:
                raise InputError(f"{where}: no {SNAPSHOT} in it")
            what = f"{where}: {SNAPSHOT}"
            snapshot = snapshot_from_json(parse_json(texts[SNAPSHOT], what), what)
            if dest is not None:
                write_text_atomic(dest, texts[SNAPSHOT])
            return SnapshotSearch(distance + 1, snapshot, distance, str(run_id), runs_seen)
    return SnapshotSearch(len(commits), runs_seen=runs_seen)
