"""Reading a run's artifact archive in memory: named members, decoded and parsed.

Only members whose file name is asked for are read, matched by name alone: no
path from an archive is ever used to write. Every problem is an
:class:`InputError` that says where (``where``) and what.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ci_metrics.errors import InputError

if TYPE_CHECKING:
    from ci_metrics.github.client import GitHubClient


def run_artifact_members(
    client: GitHubClient, run_id: int, artifact: str, names: tuple[str, ...], where: str, limit: int
) -> dict[str, str] | None:
    """:func:`read_members` of the first unexpired ``artifact`` of run ``run_id``
    (``None``: the run has none), each member at most ``limit`` bytes; an archive larger
    than its members may be (and 1 MiB of zip overhead) is refused before it is
    downloaded."""
    for item in client.run_artifacts(run_id, artifact):
        if item.get("expired"):
            continue
        if int(item.get("size_in_bytes") or 0) > len(names) * limit + 1024 * 1024:
            raise InputError(f"{where}: the archive is too large ({item['size_in_bytes']} bytes)")
        archive = client.download(str(item["archive_download_url"]))
        return read_members(archive, names, where, limit)
    return None


def read_members(
    archive: bytes, names: Iterable[str], where: str, max_member_bytes: int
) -> dict[str, str]:
    """The text of each member called one of ``names`` (by file name, at any depth)."""
    try:
        bundle = zipfile.ZipFile(io.BytesIO(archive))
    except zipfile.BadZipFile:
        raise InputError(f"{where}: not a zip archive") from None
    texts: dict[str, str] = {}
    with bundle:
        for name in names:
            found = [i for i in bundle.infolist() if Path(i.filename).name == name]
            if not found:
                continue
            if len(found) > 1:
                raise InputError(f"{where}: {len(found)} members are called {name}")
            info = found[0]
            if info.file_size > max_member_bytes:
                raise InputError(f"{where}: {name} is too large ({info.file_size} bytes)")
            texts[name] = decode(_read(bundle, info, where), f"{where}: {name}")
    return texts


def _read(bundle: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> bytes:
    try:
        return bundle.read(info)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise InputError(
            f"{where}: {Path(info.filename).name} is corrupt in the archive ({exc})"
        ) from None


def decode(data: bytes, what: str) -> str:
    """``data`` as UTF-8, or an :class:`InputError` naming ``what``."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{what} is not UTF-8") from None


def parse_json(text: str, what: str) -> Any:
    """``text`` as JSON, or an :class:`InputError` naming ``what`` and the line."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{what} is not valid JSON (line {exc.lineno}): {exc.msg}") from None
