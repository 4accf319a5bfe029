"""What the nightly proposes for the quarantine register, from the baseline's histories.

* **add**: a test not yet quarantined that flaked (failed, then passed on a
  rerun) at least ``add_after_flakes`` times in the window;
* **remove**: a quarantined entry whose every matching test ran in each of the
  newest ``remove_after_runs`` runs, the newest included, without failing (no
  ``F``, ``Q`` or ``R``).
  A quarantined entry with fewer runs on record, or matching no test in the
  histories, is not proposed: there is not enough evidence yet.

Proposals only: the register is changed by a pull request, under review.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ci_metrics.inputs.quarantine import QuarantineEntry, entry_for
from ci_metrics.model.baseline import Baseline

_FAILING = frozenset("FQR")


@dataclass(frozen=True)
class AddProposal:
    """A flaky test to quarantine: how often it flaked, in how many runs."""

    nodeid: str
    layer: str
    flakes: int
    runs: int


@dataclass(frozen=True)
class Proposals:
    """Tests to add to the register, and entries to take out of it."""

    add: list[AddProposal] = field(default_factory=list)
    remove: list[QuarantineEntry] = field(default_factory=list)


def propose(
    baseline: Baseline, entries: list[QuarantineEntry], add_after: int, remove_after: int
) -> Proposals:
    """The proposals for ``entries`` from ``baseline``'s histories."""
    add = [
        AddProposal(nodeid, history.layer, history.flakes, len(history.outcomes))
        for nodeid, history in sorted(baseline.tests.items())
        if history.flakes >= add_after and entry_for(entries, nodeid) is None
    ]
    remove = []
    for entry in entries:
        histories = [h for nodeid, h in baseline.tests.items() if entry.matches(nodeid)]
        if histories and all(
            h.missing_for == 0
            and len(h.outcomes) >= remove_after
            and not _FAILING & set(h.outcomes[-remove_after:])
            for h in histories
        ):
            remove.append(entry)
    add.sort(key=lambda proposal: (-proposal.flakes, proposal.nodeid))
    return Proposals(add, remove)
