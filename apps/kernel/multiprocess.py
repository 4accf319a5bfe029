"""Reading every worker's metrics files without failing on one being created.

prometheus_client's ``MmapedDict`` creates a worker's ``*.db`` file and only
then sizes it, so a scrape can find the file at 0 bytes; reading its header
then raises, and ``MultiProcessCollector`` fails the whole scrape (a 500 on
the metrics listener) - permanently, if the worker died in that window and
left the empty file behind (prometheus/client_python issue #1199). An empty
file holds no figures yet, so it is skipped; any other unreadable file still
fails the scrape, as corruption should. Imported only once the multiprocess
directory is chosen (prometheus_client reads it at import).
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from typing import Any

from prometheus_client.multiprocess import MultiProcessCollector


class WorkerFilesCollector(MultiProcessCollector):
    """``MultiProcessCollector`` that skips metrics files still at 0 bytes."""

    def __init__(self, registry: Any, path: str) -> None:
        super().__init__(registry, path=path)  # type: ignore[no-untyped-call]

    def collect(self) -> Iterable[Any]:
        files = []
        for path in glob.glob(os.path.join(self._path, "*.db")):
            try:
                if os.path.getsize(path) > 0:
                    files.append(path)
            except FileNotFoundError:  # removed since the listing: nothing to read
                continue
        merged: Iterable[Any] = self.merge(files, accumulate=True)  # type: ignore[no-untyped-call]
        return merged
