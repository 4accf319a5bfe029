"""Projects, stored per tenant.

Every statement takes the tenant id as a bound parameter and filters on it, so
a project id from another tenant is indistinguishable from one that does not
exist. Values are bound, never formatted into SQL, so any string is stored and
returned exactly as given.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apps.kernel.clock import Clock

IdFactory = Callable[[], str]


def new_project_id() -> str:
    """A random, unguessable project id (a UUID)."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Project:
    """One stored project."""

    seq: int
    id: str
    name: str
    description: str
    created_at: str
    updated_at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True)
class ProjectPage:
    """Up to ``limit`` projects, and the ``seq`` to continue after if there are more."""

    items: list[Project]
    next_after: int | None


class ProjectStore:
    """Tenant-scoped create, read, list, update and delete of projects."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        *,
        clock: Clock,
        new_id: IdFactory = new_project_id,
    ) -> None:
        self._db = connection
        self._clock = clock
        self._new_id = new_id

    def create(self, tenant: str, *, name: str, description: str) -> Project:
        now = self._timestamp()
        project_id = self._new_id()
        cursor = self._db.execute(
            "INSERT INTO projects (id, tenant_id, name, description, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (project_id, tenant, name, description, now, now),
        )
        return Project(int(cursor.lastrowid or 0), project_id, name, description, now, now)

    def get(self, tenant: str, project_id: str) -> Project | None:
        row = self._db.execute(
            "SELECT seq, id, name, description, created_at, updated_at"
            " FROM projects WHERE tenant_id = ? AND id = ?",
            (tenant, project_id),
        ).fetchone()
        return None if row is None else _project(row)

    def list_page(self, tenant: str, *, after: int, limit: int) -> ProjectPage:
        rows = self._db.execute(
            "SELECT seq, id, name, description, created_at, updated_at"
            " FROM projects WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (tenant, after, limit + 1),
        ).fetchall()
        items = [_project(row) for row in rows[:limit]]
        next_after = items[-1].seq if len(rows) > limit else None
        return ProjectPage(items, next_after)

    def update(
        self, tenant: str, project_id: str, *, name: str | None, description: str | None
    ) -> Project | None:
        now = self._timestamp()
        # COALESCE keeps a column whose new value was not given (bound as NULL);
        # RETURNING reads the row in the same statement, so a concurrent delete
        # cannot slip in between the change and the read.
        row = self._db.execute(
            "UPDATE projects SET name = COALESCE(?, name),"
            " description = COALESCE(?, description), updated_at = ?"
            " WHERE tenant_id = ? AND id = ?"
            " RETURNING seq, id, name, description, created_at, updated_at",
            (name, description, now, tenant, project_id),
        ).fetchone()
        return None if row is None else _project(row)

    def delete(self, tenant: str, project_id: str) -> bool:
        cursor = self._db.execute(
            "DELETE FROM projects WHERE tenant_id = ? AND id = ?", (tenant, project_id)
        )
        return cursor.rowcount > 0

    def _timestamp(self) -> str:
        moment = datetime.fromtimestamp(self._clock(), tz=UTC)
        return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _project(row: sqlite3.Row) -> Project:
    return Project(
        seq=int(row["seq"]),
        id=str(row["id"]),
        name=str(row["name"]),
        description=str(row["description"]),
        created_at=str(row["created_at"]),
        updated_at=str(row["updated_at"]),
    )
