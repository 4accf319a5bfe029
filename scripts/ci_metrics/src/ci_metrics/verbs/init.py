"""``init``: propose a ``[tool.ci_metrics]`` section for a repository, from what is in it.

It looks for the packages, the test folders and the coverage configuration
(:mod:`ci_metrics.inputs.project_scan`) and writes the section with a comment on
every line (:mod:`ci_metrics.render.init_section`). It never touches an existing
section, and never leaves ``pyproject.toml`` half-written: the new text is checked
(TOML, and the settings as every verb reads them) before it replaces the file in
one rename. ``--print`` writes nothing.
"""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

from ci_metrics.context import Context, shown
from ci_metrics.errors import EXIT_OK, InputError, SettingsError

if TYPE_CHECKING:
    from ci_metrics.inputs.project_scan import ProjectScan

NAME = "init"
HELP = "propose a [tool.ci_metrics] section for this repository (appended to pyproject.toml)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``init``'s flags."""
    parser.add_argument(
        "--print",
        action="store_true",
        dest="print_only",
        help="print the section instead of appending it to pyproject.toml",
    )


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Scan the project, then append the section (or print it)."""
    from ci_metrics.inputs.fileio import write_text_atomic
    from ci_metrics.inputs.owned_paths import owned_path_problems
    from ci_metrics.inputs.project_scan import scan_project
    from ci_metrics.inputs.pyproject import declares_settings, read_table
    from ci_metrics.render.init_section import init_section
    from ci_metrics.settings import parse_settings

    project = _project(args, ctx)
    pyproject: Path = args.pyproject or project / "pyproject.toml"
    if not args.print_only and declares_settings(pyproject):
        read_table(pyproject)  # a misspelt table or invalid TOML says so first
        raise InputError(
            f"{shown(pyproject)} already has [tool.ci_metrics]: init never changes it "
            "(`ci-metrics init --print` shows what it would write)"
        )
    scan = scan_project(project)
    section = init_section(scan)
    settings = parse_settings(tomllib.loads(section)["tool"]["ci_metrics"])
    problems = owned_path_problems(settings, project.resolve())
    if problems:  # pragma: no cover  (the scan proposes existing folders only)
        raise SettingsError("; ".join(problems))
    _explain(scan, ctx)
    if args.print_only:
        print(section, end="", file=ctx.stdout)
        return EXIT_OK
    before = pyproject.read_text(encoding="utf-8") if pyproject.is_file() else ""
    after = before + ("\n" if before and not before.endswith("\n") else "")
    after += ("\n" if before else "") + section
    try:
        tomllib.loads(after)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(
            f"appending [tool.ci_metrics] would make {shown(pyproject)} invalid TOML ({exc}); "
            "nothing was written: add the section printed by `ci-metrics init --print` by hand"
        ) from None
    write_text_atomic(pyproject, after)
    ctx.say(f"appended [tool.ci_metrics] to {shown(pyproject)}; review it, then:")
    ctx.say(
        "  run each layer under its context (coverage run -p --context=<layer> ...), then "
        "`ci-metrics collect --combine .`, `ci-metrics report`, `ci-metrics gate`"
    )
    return EXIT_OK


def _project(args: argparse.Namespace, ctx: Context) -> Path:
    """``--root``; else, from a sub-folder, the nearest folder above holding a
    pyproject.toml (up to the work tree's top), else the current folder."""
    from ci_metrics.errors import GitError
    from ci_metrics.inputs.pyproject import nearest_pyproject

    root: Path = args.root
    if root != Path(".") or args.pyproject is not None or (root / "pyproject.toml").is_file():
        return root
    here = Path.cwd()
    try:
        top = Path(ctx.git(["rev-parse", "--show-toplevel"], here).strip())
    except GitError:
        return root
    found = nearest_pyproject(here, top)
    if found is None:
        return root
    ctx.say(f"project folder: {shown(found)} (the nearest above with a pyproject.toml)")
    return found


def _explain(scan: ProjectScan, ctx: Context) -> None:
    packages = ", ".join(scan.packages) or "none"
    tests = ", ".join(f"{t.path} (layer {t.layer})" for t in scan.tests) or "none"
    config = ", ".join(scan.coverage_config) or "none (coverage.py's defaults)"
    ctx.say(f"packages: {packages} (from {scan.packages_from})")
    ctx.say(f"test folders: {tests}")
    ctx.say(f"coverage configuration: {config}; branch coverage {'on' if scan.branch else 'off'}")
