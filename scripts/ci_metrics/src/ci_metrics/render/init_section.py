"""The ``[tool.ci_metrics]`` section ``init`` proposes, every line with why it is there."""

from __future__ import annotations

import json
import re

from ci_metrics.inputs.project_scan import ProjectScan


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(item) for item in items) + "]"


def _key(name: str) -> str:
    """A TOML key: bare when it can be, quoted otherwise."""
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name)


def init_section(scan: ProjectScan) -> str:
    """The section as TOML text: comments explain each setting and what it came from."""
    config = ", ".join(scan.coverage_config) or "none found, coverage.py's defaults"
    lines = [
        "[tool.ci_metrics]",
        "# Written by `ci-metrics init` from what it found here; edit freely.",
        f"# Coverage configuration read: {config}.",
        "# Minimum percentages of the gates (false turns one off): project statement",
        "# coverage, project branch coverage, and the changed lines' (diff) coverage.",
    ]
    if scan.branch:
        lines.append("# Branch coverage is measured (`branch = true`), so it has a gate.")
        lines.append("thresholds = { project_lines = 90, project_branches = 85, diff = 90 }")
    else:
        lines.append("# Branch coverage is not measured (`branch` is off): no branch gate.")
        lines.append("thresholds = { project_lines = 90, project_branches = false, diff = 90 }")
    lines += [
        "# Gates without a percentage: every layer below has coverage data (a layer that",
        "# runs only sometimes: `optional = true`); project line coverage may not drop",
        "# below the base's by more than the nightly baseline's noise, and a flaky test",
        "# must have a nightly history (thresholds.project_no_drop, new_flaky_tests: on",
        "# unless set to false).",
    ]
    if len(scan.tests) <= 1 and scan.owner is not None:
        lines += [
            "# Data recorded without a layer context (a plain `pytest --cov` run) counts",
            "# for this layer.",
            f"default_layer = {json.dumps(scan.owner)}",
        ]
    if not scan.paths_mapped:
        lines += [
            "# If the tests import an installed copy (site-packages, a container), map it",
            "# onto this checkout with a [paths] section in the coverage configuration.",
        ]
    if not scan.tests:
        lines += [
            "",
            "# No test folder found (tests/, test/, testing/): name a layer per test run.",
            "[tool.ci_metrics.layers.unit]",
            f"owns = {_toml_list(scan.packages)}",
        ]
    for folder in scan.tests:
        owned = scan.packages if folder.layer == scan.owner else []
        why = (
            f"# The paths its own tests answer for (from {scan.packages_from})."
            if owned
            else "# It owns nothing: its coverage counts in the project's figures only."
        )
        if folder.layer == scan.owner and not owned:
            why = "# No package found: name the paths its tests answer for."
        lines += [
            "",
            f"# The layer `{folder.layer}`: the tests in {folder.path}, run under their own",
            f"# coverage context: `coverage run -p --context={folder.layer} -m pytest "
            f"{folder.path}`.",
            f"[tool.ci_metrics.layers.{_key(folder.layer)}]",
            why,
            f"owns = {_toml_list(owned)}",
            "# Not read by ci-metrics: other tools may keep their keys in a layer's table.",
            f"tests = {_toml_list([folder.path])}",
        ]
    return "\n".join(lines) + "\n"
