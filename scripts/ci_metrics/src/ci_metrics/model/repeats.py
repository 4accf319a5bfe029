"""Repeats: other runs of a nightly run's commit, recorded for the noise.

Nightly runs of the same commit are rare on an active repository, yet every
commit of the default branch has run twice: the push (or merge-queue) run of
``ci.yml`` uploaded its snapshot too. Recorded beside the nightly run of that
commit (:class:`~ci_metrics.model.baseline.Repeat`), it makes a same-commit
pair, so the noise rests on the spread between runs of one commit rather than
on the changes between nights, which mix real changes in.

A repeat must be of the commit of the run it is merged with, and another run
than that one (a run is its run id and its time: local runs share the id
``local``). A snapshot that carried layers (a pull request's) did not measure
them in its commit and is never a repeat. A run the baseline holds already (the
same push run fetched on two nights of one commit) is not recorded twice.
"""

from __future__ import annotations

import msgspec

from ci_metrics.model.baseline import Baseline, BaselineRun, Repeat, RunTotals, windowed_repeats
from ci_metrics.model.metrics import layer_summary, project_totals
from ci_metrics.model.snapshot import Snapshot
from ci_metrics.settings import Settings


def _same_run(a: Snapshot | BaselineRun | Repeat, b: Snapshot) -> bool:
    return (a.run_id, a.created_at) == (b.run_id, b.created_at)


def refusal(snapshot: Snapshot, repeat: Snapshot) -> str | None:
    """Why ``repeat`` is no repeat of ``snapshot`` (the run merged now); ``None`` if it is."""
    if repeat.carried or repeat.carry_refused:
        return "it is of a run that did not run every layer (it carries layers from another run)"
    if not repeat.sha or not snapshot.sha:
        return "it names no commit" if not repeat.sha else "the snapshot names no commit"
    if repeat.sha != snapshot.sha:
        return f"it is of commit `{repeat.sha[:10]}`, not the snapshot's `{snapshot.sha[:10]}`"
    if _same_run(snapshot, repeat):
        return f"it is the snapshot's own run ({repeat.run_id or 'no run id'})"
    return None


def recorded(baseline: Baseline, repeat: Snapshot) -> bool:
    """Whether the baseline holds the run of ``repeat`` already, as a run or a repeat."""
    return any(_same_run(run, repeat) for run in baseline.runs) or any(
        _same_run(known, repeat) for known in baseline.repeats
    )


def repeat_record(repeat: Snapshot, settings: Settings) -> Repeat:
    """The figures of ``repeat`` the baseline keeps: project totals, each layer's owned
    coverage as :func:`~ci_metrics.model.metrics.layer_summary` gives it for a run."""
    totals = project_totals(repeat.files)
    return Repeat(
        sha=repeat.sha,
        run_id=repeat.run_id,
        created_at=repeat.created_at,
        totals=RunTotals(totals.lines_percent, totals.branches_percent),
        coverage={
            layer: summary["coverage"] for layer, summary in layer_summary(repeat, settings).items()
        },
    )


def add_repeat(baseline: Baseline, repeat: Repeat) -> Baseline:
    """``baseline`` with ``repeat`` recorded, the repeats cut to the baseline's window."""
    repeats = windowed_repeats([*baseline.repeats, repeat], baseline.runs, baseline.window)
    return msgspec.structs.replace(baseline, repeats=repeats)
