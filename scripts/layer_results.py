"""Prepare a layer's result locations before its tox env runs.

Each layer owns ``results/<layer>/`` (JUnit XML, report log, tox result JSON)
and the ``results/coverage/layers/.coverage.<layer>*`` data files. Stale files from an
earlier run would be combined into today's report, so a layer clears exactly
what it owns and nothing else: layers running side by side never touch each
other's files.

Before that, the shared configuration is checked: a missing ``pytest.ini`` or
a missing or unreadable ``.coveragerc`` stops the layer with one line saying
so, instead of a traceback from deep inside pytest-cov.

After a layer ran, ``measured`` checks that its coverage data really holds
what the layer is meant to measure: the integration layer's data must show the
servers' request handlers run under the ``integration`` context, which is only
true when coverage followed the gunicorn processes it started.

    python -m scripts.layer_results prepare api
    python -m scripts.layer_results measured integration \
        --data-file results/coverage/layers/.coverage.integration \
        --require apps/api/views.py=60
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

_LAYER_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
# What may follow ".coverage.<layer>": nothing, a shard ("-2"), a parallel
# suffix (".host.pid.rand") or both; never more name (".coverage.api2").
_DATA_SUFFIX = re.compile(r"^(-py\d+\.\d+)?(-\d+)?(\..*)?$")


def config_problems(root: Path) -> list[str]:
    """What is wrong with the test configuration in ``root`` (empty if nothing)."""
    import coverage  # only here: the CLI must start without the test dependencies

    problems = [
        f"{name} is missing"
        for name in ("pytest.ini", ".coveragerc")
        if not (root / name).is_file()
    ]
    rcfile = root / ".coveragerc"
    if rcfile.is_file():
        try:
            coverage.Coverage(config_file=str(rcfile))
        except coverage.exceptions.ConfigError as exc:
            problems.append(" ".join(str(exc).split()))
    return problems


def prepare(results_dir: Path, layer: str) -> list[Path]:
    """Remove the layer's previous results and create its empty folder.

    Shard files (``.coverage.api-2``) count as the layer's: a local run must
    not combine what an earlier sharded run left. Returns the removed paths.
    """
    if not _LAYER_NAME.fullmatch(layer):
        raise ValueError(f"invalid layer name {layer!r}: use lowercase letters, digits, - or _")
    removed: list[Path] = []
    layer_dir = results_dir / layer
    if layer_dir.exists():
        shutil.rmtree(layer_dir)
        removed.append(layer_dir)
    coverage_dir = results_dir / "coverage" / "layers"
    if coverage_dir.is_dir():
        for data_file in sorted(coverage_dir.glob(f".coverage.{layer}*")):
            if _DATA_SUFFIX.match(data_file.name[len(f".coverage.{layer}") :]):
                data_file.unlink()
                removed.append(data_file)
    coverage_dir.mkdir(parents=True, exist_ok=True)
    layer_dir.mkdir(parents=True, exist_ok=True)
    return removed


def measured_problems(
    data_file: Path, layer: str, required: Sequence[tuple[str, float]], rcfile: Path | None = None
) -> list[str]:
    """Files of ``required`` whose statements the layer's context covers less than asked.

    Only lines recorded under the layer's static context count (``layer`` or
    ``layer|<test id>``), so lines another layer's data contributed never do.
    """
    import coverage  # only here: the CLI must start without the test dependencies

    if not data_file.is_file():
        return [f"no coverage data at {data_file}"]
    cov = coverage.Coverage(
        data_file=str(data_file), config_file=str(rcfile) if rcfile is not None else True
    )
    data = cov.get_data()  # the object load() reads into
    try:
        cov.load()
        data.set_query_contexts([rf"^{re.escape(layer)}(\|.*)?$"])
        measured = {Path(name).resolve() for name in data.measured_files()}
        problems = []
        for path, minimum in required:
            if Path(path).resolve() not in measured:
                problems.append(f"{path}: not measured at all under the {layer!r} context")
                continue
            _name, statements, _excluded, missing, _text = cov.analysis2(path)
            covered = (
                100.0 * (len(statements) - len(missing)) / len(statements) if statements else 0
            )
            if covered < minimum:
                problems.append(
                    f"{path}: {covered:.1f}% of {len(statements)} statements run under the "
                    f"{layer!r} context, below {minimum:g}%"
                )
    finally:
        # No connection left to the garbage collector (a ResourceWarning from 3.13 on).
        data.close(force=True)
    return problems


def _requirement(text: str) -> tuple[str, float]:
    path, sep, percent = text.rpartition("=")
    try:
        value = float(percent)
    except ValueError:
        value = -1.0
    if not sep or not path or not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"expected PATH=PERCENT (0-100), got {text!r}")
    return path, value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.layer_results",
        description="Clear and create a test layer's result locations.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    prep = sub.add_parser("prepare", help="remove the layer's stale results and coverage data")
    prep.add_argument("layer", help="the layer (tox env) name, e.g. api")
    prep.add_argument(
        "--results-dir",
        type=Path,
        default=Path("results"),
        help="the results root (default: %(default)s)",
    )
    prep.add_argument(
        "--root",
        type=Path,
        default=Path("."),
        help="where pytest.ini and .coveragerc live (default: current directory)",
    )
    check = sub.add_parser(
        "measured", help="fail unless the layer's coverage data covers the given files enough"
    )
    check.add_argument("layer", help="the layer (static coverage context), e.g. integration")
    check.add_argument("--data-file", type=Path, required=True, help="the layer's coverage data")
    check.add_argument(
        "--require",
        type=_requirement,
        action="append",
        required=True,
        metavar="PATH=PERCENT",
        help="a source file and the share of its statements the layer must run (repeatable)",
    )
    check.add_argument(
        "--pytest-args",
        nargs=argparse.REMAINDER,
        default=[],
        help="(last) the layer's extra pytest arguments; with any, the run may be partial "
        "and is not checked",
    )
    args = parser.parse_args(argv)
    if args.command == "measured" and args.pytest_args:
        print(
            f"layer_results: {args.layer}: not checked: pytest arguments were given "
            f"({' '.join(args.pytest_args)}), so the run may be partial"
        )
        return 0
    if args.command == "measured":
        problems = measured_problems(args.data_file, args.layer, args.require)
        for problem in problems:
            print(f"layer_results: {args.layer}: {problem}", file=sys.stderr)
        if not problems:
            print(f"layer_results: {args.layer}: measured {len(args.require)} required file(s)")
        return 1 if problems else 0
    problems = config_problems(args.root)
    for problem in problems:
        print(f"layer_results: {args.layer}: {problem}", file=sys.stderr)
    if problems:
        return 2
    try:
        removed = prepare(args.results_dir, args.layer)
    except (ValueError, OSError) as exc:
        print(f"layer_results: {exc}", file=sys.stderr)
        return 2
    print(f"layer_results: {args.layer}: cleared {len(removed)} stale path(s)")
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through the CLI
    raise SystemExit(main())
