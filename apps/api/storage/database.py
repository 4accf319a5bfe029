"""SQLite connections and the schema, created idempotently by the app.

The database is one file shared by every worker process. The file is switched
to WAL mode (a persistent property of the file: readers never block the
writer) and every connection has a busy timeout, so concurrent writers from
several gunicorn workers wait for the lock instead of failing. SQLite 3.35 or
newer is needed (``RETURNING``).
Request handlers use :meth:`Database.connection`: one connection per thread,
opened on first use and reused by every later request on that thread (opening
a connection and re-reading the schema would otherwise dominate a request's
cost). :meth:`Database.close`, an app shutdown hook, closes them all. The app
factory opens no long-lived connection, so a preloading server forks before
any exists.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

BUSY_TIMEOUT_SECONDS = 5.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS projects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS projects_by_tenant ON projects (tenant_id, seq);
"""


class Database:
    """Connections to one SQLite file: fresh ones, and one kept per thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[sqlite3.Connection] = []

    def connect(self) -> sqlite3.Connection:
        """A new connection in autocommit mode; the caller closes it."""
        # check_same_thread=False only so that close() may run on the thread
        # that shuts the app down; each pooled connection serves one thread.
        connection = sqlite3.connect(
            self.path,
            timeout=BUSY_TIMEOUT_SECONDS,
            isolation_level=None,
            check_same_thread=False,
        )
        connection.row_factory = sqlite3.Row
        connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        return connection

    def connection(self) -> sqlite3.Connection:
        """The calling thread's connection, opened on first use and kept until close()."""
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self.connect()
            self._local.connection = connection
            with self._lock:
                self._opened.append(connection)
        return connection

    def close(self) -> None:
        """Close every thread's connection; a later connection() opens a new one."""
        with self._lock:
            opened, self._opened = self._opened, []
        self._local = threading.local()
        for connection in opened:
            connection.close()

    def create_schema(self) -> None:
        """Create the file, switch it to WAL and create missing tables; safe to repeat."""
        if self.path.parent != Path():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = self.connect()
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.executescript(SCHEMA)
        finally:
            connection.close()

    def ping(self) -> bool:
        """True when the file can be opened and queried."""
        try:
            connection = self.connect()
        except sqlite3.Error:
            return False
        try:
            connection.execute("SELECT count(*) FROM projects").fetchone()
        except sqlite3.Error:
            return False
        finally:
            connection.close()
        return True
