"""ci-metrics' pytest plugin: the quarantine register applied to a test run.

Load it with ``-p ci_metrics.pytest_plugin`` in every layer's pytest run (this
repository's layers' plugin loads it once coverage has started, since the
ci_metrics layer measures it). It reads the register that ``[tool.ci_metrics]``
names (``quarantine.register``, default ``docs/quarantine.md``, relative to
pytest's root folder) and, for each collected test an entry quarantines:

* marks it ``xfail(strict=False)`` with the entry's reason: it still runs, and
  its failure does not fail the run, while its pass is an ordinary pass
  (``xpassed``);
* tags its reports with the user property :data:`~ci_metrics.inputs.quarantine.TAG`
  (the register's file and line), which the report log and JUnit XML carry, so
  ``ci-metrics collect`` tells a quarantined failure from an ordinary xfail.

A missing register quarantines nothing; a malformed one, or a setting that is
not a path, stops the run with one line (``pytest.UsageError``): a test the
register means to quarantine must not fail the build for a typo, nor pass
unnoticed. Whether each entry still names a test and is within its review date
is ``ci-metrics quarantine --check``'s to say, not the test run's.

Only pytest is imported with the module; the register reader when pytest
configures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ci_metrics.inputs.quarantine import QuarantineEntry

DEFAULT_REGISTER = "docs/quarantine.md"
#: The entries of this run's register, and the register's path as written.
ENTRIES = pytest.StashKey["tuple[list[QuarantineEntry], str]"]()


def pytest_configure(config: pytest.Config) -> None:
    from ci_metrics.errors import CiMetricsError
    from ci_metrics.inputs.pyproject import read_table
    from ci_metrics.inputs.quarantine import load_quarantine

    try:
        table = read_table(config.rootpath / "pyproject.toml")
        settings = table.get("quarantine", {})
        register = settings.get("register", DEFAULT_REGISTER) if isinstance(settings, dict) else 0
        if not isinstance(register, str) or not register.strip():
            raise CiMetricsError(
                "[tool.ci_metrics] quarantine.register: must be the register's path"
            )
        entries = load_quarantine(config.rootpath / register, register)
    except CiMetricsError as exc:
        raise pytest.UsageError(f"quarantine register: {exc}") from None
    config.stash[ENTRIES] = (entries, register)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from ci_metrics.inputs.quarantine import TAG, entry_for

    entries: list[QuarantineEntry]
    entries, register = config.stash.get(ENTRIES, ([], DEFAULT_REGISTER))
    if not entries:
        return
    for item in items:
        entry = entry_for(entries, item.nodeid)
        if entry is None:
            continue
        where = f"{register}:{entry.line}"
        # First, so that this mark decides even for a test marked xfail already.
        item.add_marker(
            pytest.mark.xfail(strict=False, reason=f"quarantined ({where}): {entry.reason}"),
            append=False,
        )
        item.user_properties.append((TAG, where))
