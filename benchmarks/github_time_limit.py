"""Benchmark: how long ci-metrics talks to a GitHub that keeps failing, before it gives up.

GitHub calls of one command share one time limit ([tool.ci_metrics.github]
time_limit_seconds, 300 s by default). This prints, for the worst cases:

1. computed with a fake clock, default settings, the whole ``ci-metrics post``
   command (in process, through ``cli.run``) against the fake GitHub of the tests
   answering every GET with a secondary rate limit without ``retry-after``:
   the waits, the time at which the tool stops, its exit code and message;
2. measured with the real clock, the same command's GitHub part (identity look-up
   excluded: ``post_sticky`` on a ``GitHubClient``) with every duration scaled
   down 100 times (time limit 3 s, first rate-limit wait 0.6 s): wall time,
   median and max of several runs;
3. measured with the real clock, every answer stalled past a 0.5 s read timeout,
   time limit 3 s: wall time, median and max.

Usage: python benchmarks/github_time_limit.py [--runs N]
"""

from __future__ import annotations

import argparse
import io
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
# ci-metrics' test helpers (support/, the fake GitHub) and the repository's tests.utils.
sys.path[:0] = [str(REPO_ROOT / "scripts" / "ci_metrics" / "tests"), str(REPO_ROOT)]

from ci_metrics.cli import run  # noqa: E402
from ci_metrics.context import Context  # noqa: E402
from ci_metrics.errors import GitHubError  # noqa: E402
from ci_metrics.github.client import GitHubClient  # noqa: E402
from ci_metrics.github.sticky import post_sticky  # noqa: E402
from ci_metrics.settings import Settings  # noqa: E402
from support.fake_github import BOT, REPO, FakeGitHub  # noqa: E402

MARKER = Settings().comment.marker_html
SECONDARY = "You have exceeded a secondary rate limit"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def computed_worst_case() -> None:
    fake = FakeGitHub()
    fake.start()
    try:
        fake.fail_next("GET", 403, message=SECONDARY, times=10**6)
        with tempfile.TemporaryDirectory() as tmp:
            comment = Path(tmp) / "comment.md"
            comment.write_text(f"{MARKER}\nreport\n", encoding="utf-8")
            clock = FakeClock()
            stderr = io.StringIO()
            ctx = Context(
                environ={
                    "GITHUB_TOKEN": "ghs_benchmark",
                    "GITHUB_REPOSITORY": REPO,
                    "GITHUB_API_URL": fake.url,
                },
                stdout=io.StringIO(),
                stderr=stderr,
                sleep=clock.sleep,
                clock=lambda: clock.now,
                monotonic=lambda: clock.now,
            )
            argv = ["post", "--root", tmp, "--comment", str(comment), "--pr", "7"]
            code = run(argv, ctx)
    finally:
        fake.stop()
    print("1. computed (fake clock), defaults, `ci-metrics post`, endless secondary limit:")
    print(f"   waits {clock.sleeps} s; stops at {clock.now:.0f} s (+ the request round trips)")
    print(f"   exit {code}: {stderr.getvalue().strip().splitlines()[-1]}")


def measured(runs: int, *, stall: bool) -> list[float]:
    walls = []
    for _ in range(runs):
        fake = FakeGitHub()
        fake.start()
        try:
            if stall:
                fake.stall_next("GET", 10.0, times=10**6)
            else:
                fake.fail_next("GET", 403, message=SECONDARY, times=10**6)
            with httpx.Client(base_url=fake.url, timeout=0.5) as http:
                start = time.perf_counter()
                client = GitHubClient(http, REPO, time_limit=3.0, rate_limit_wait=0.6)
                try:
                    post_sticky(client, 7, f"{MARKER}\nreport\n", MARKER, BOT)
                except GitHubError:
                    pass
                else:
                    raise SystemExit("expected the client to give up")
                walls.append(time.perf_counter() - start)
        finally:
            fake.stop()
    return walls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the fake's request log
    computed_worst_case()
    for number, stall, label in (
        (2, False, "endless secondary limit, first wait 0.6 s"),
        (3, True, "every answer stalled, read timeout 0.5 s"),
    ):
        walls = measured(args.runs, stall=stall)
        print(f"{number}. measured (real clock), time limit 3 s, {label}:")
        print(
            f"   wall median {statistics.median(walls):.3f} s, max {max(walls):.3f} s "
            f"over {len(walls)} runs"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
