"""Scraping every worker's figures while a worker is still creating its metrics file."""

from __future__ import annotations

import struct
import subprocess
import sys
import textwrap

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from apps.kernel.multiprocess import WorkerFilesCollector

WORKER = textwrap.dedent(
    """
    from prometheus_client import Counter
    Counter("tokens_issued", "Tokens issued.", registry=None).inc(3)
    """
)


@pytest.fixture
def metrics_dir(tmp_path):
    """A multiprocess directory holding one real worker's file (written by a real process)."""
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": ""}
    subprocess.run([sys.executable, "-c", WORKER], env=env, check=True)
    assert [p.name for p in tmp_path.iterdir() if p.stat().st_size > 0]
    return tmp_path


def scrape(collector_class, directory):
    registry = CollectorRegistry()
    collector_class(registry, path=str(directory))
    return generate_latest(registry).decode()


def test_collector__sums_the_workers_files(metrics_dir):
    assert "tokens_issued_total 3.0" in scrape(WorkerFilesCollector, metrics_dir)


def test_collector__a_file_still_being_created_does_not_fail_the_scrape(metrics_dir):
    """A worker's file exists at 0 bytes before it is sized (or forever, if it died then)."""
    (metrics_dir / "counter_4242.db").write_bytes(b"")
    with pytest.raises(struct.error):  # what upstream's collector does with it
        scrape(MultiProcessCollector, metrics_dir)
    assert "tokens_issued_total 3.0" in scrape(WorkerFilesCollector, metrics_dir)


def test_collector__a_corrupt_file_still_fails_the_scrape(metrics_dir):
    (metrics_dir / "counter_4243.db").write_bytes(b"\xff\xff\xff\x7f" + b"\0" * 12)
    with pytest.raises((RuntimeError, struct.error)):
        scrape(WorkerFilesCollector, metrics_dir)
