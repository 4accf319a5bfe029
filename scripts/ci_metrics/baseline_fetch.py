"""Download the newest baseline artifact of the default branch's baseline workflow."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from scripts.ci_metrics.errors import GitHubError, InputError
from scripts.ci_metrics.fileio import write_text_atomic
from scripts.ci_metrics.github import GitHubClient

WANTED = ("baseline.json", ".test_durations")
MAX_MEMBER_BYTES = 64 * 1024 * 1024


def fetch_baseline(
    client: GitHubClient,
    *,
    workflow: str,
    artifact: str,
    dest: Path,
    durations: Path,
    branch: str | None = None,
    event: str = "schedule",
    max_member_bytes: int = MAX_MEMBER_BYTES,
) -> Path | None:
    """Save the newest unexpired ``artifact``: ``baseline.json`` into the ``dest`` folder and
    ``.test_durations`` to ``durations``. ``None`` when there is no baseline yet."""
    repo = client.repository
    if branch is None:
        branch = str(client.get_json(f"/repos/{repo}")["default_branch"])
    runs = client.get_json(
        f"/repos/{repo}/actions/workflows/{workflow}/runs",
        params={"branch": branch, "event": event, "status": "success", "per_page": 20},
    ).get("workflow_runs", [])
    for run in runs:
        listing = client.get_json(
            f"/repos/{repo}/actions/runs/{run['id']}/artifacts", params={"name": artifact}
        )
        for item in listing.get("artifacts", []):
            if item.get("expired") or item.get("name") != artifact:
                continue
            archive = client.download(str(item["archive_download_url"]))
            _extract(archive, {WANTED[0]: dest / WANTED[0], WANTED[1]: durations}, max_member_bytes)
            return dest / "baseline.json"
    return None


def _extract(archive: bytes, targets: dict[str, Path], max_member_bytes: int) -> None:
    try:
        bundle = zipfile.ZipFile(io.BytesIO(archive))
    except zipfile.BadZipFile:
        raise GitHubError("the baseline artifact is not a zip archive") from None
    with bundle:
        members = {Path(info.filename).name: info for info in bundle.infolist()}
        if "baseline.json" not in members:
            raise InputError("the baseline artifact holds no baseline.json")
        for name, target in targets.items():
            info = members.get(name)
            if info is None:
                continue
            if info.file_size > max_member_bytes:
                raise InputError(f"the baseline artifact's {name} is too large")
            # Only the two known names are written, under dest: no path from the archive is used.
            write_text_atomic(target, bundle.read(info).decode("utf-8"))
