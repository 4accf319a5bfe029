"""``baseline fetch``: the newest usable baseline artifact, validated before it is kept."""

from __future__ import annotations

import io
import json
import zipfile

import httpx
import pytest

from ci_metrics.errors import InputError
from ci_metrics.github.baseline_fetch import fetch_baseline
from ci_metrics.github.client import GitHubClient
from ci_metrics.model.baseline import empty_baseline
from support.fake_github import REPO
from support.github_cli import TOKEN, run_verb

BASELINE = json.dumps(empty_baseline(30).to_json())
DURATIONS = json.dumps({"tests/unit/api/test_x.py::test_a": 0.25})
ARTIFACT = "ci-metrics-baseline"


def make_zip(files, *, compression=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def with_bad_crc(archive: bytes, text: bytes) -> bytes:
    """The archive with one byte of a stored member changed (its CRC no longer matches)."""
    at = archive.index(text)
    return archive[:at] + bytes([archive[at] ^ 0x01]) + archive[at + 1 :]


def good_archive():
    return make_zip({"results/baseline/baseline.json": BASELINE, ".test_durations": DURATIONS})


def fetch(ctx, tmp_path, *extra):
    return run_verb(
        ctx,
        "baseline",
        "fetch",
        "--root",
        str(tmp_path),
        "--baseline",
        str(tmp_path / "got/baseline.json"),
        "--durations",
        str(tmp_path / "got/.test_durations"),
        *extra,
    )


def kept_files(tmp_path):
    folder = tmp_path / "got"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_baseline_fetch__newest_unexpired_artifact(gh_context, fake_github, tmp_path):
    fake_github.add_run(2)
    fake_github.add_run(1)
    fake_github.add_artifact(2, ARTIFACT, good_archive(), expired=True)
    fake_github.add_artifact(2, "other", make_zip({"baseline.json": "{}"}))
    fake_github.add_artifact(1, ARTIFACT, good_archive() + b"")
    code, out = fetch(gh_context(), tmp_path)
    assert code == 0, out
    assert json.loads((tmp_path / "got/baseline.json").read_text()) == json.loads(BASELINE)
    assert json.loads((tmp_path / "got/.test_durations").read_text()) == json.loads(DURATIONS)
    queries = [q for _m, p, q, _a in fake_github.requests if p.endswith("/runs")]
    assert "branch=main" in queries[0]
    assert "event=schedule" in queries[0]
    assert "status=success" in queries[0]


def test_baseline_fetch__download_redirect_to_storage_never_carries_the_token(
    gh_context, fake_github, tmp_path
):
    fake_github.add_run(1)
    fake_github.add_artifact(1, ARTIFACT, good_archive())
    code, out = fetch(gh_context(), tmp_path)
    assert code == 0, out
    assert [auth for _p, auth in fake_github.blob_host.requests] == [""]
    zip_calls = [a for _m, p, _q, a in fake_github.requests if p.endswith("/zip")]
    assert zip_calls == [f"Bearer {TOKEN}"]


def test_baseline_fetch__artifact_on_a_later_page_of_runs_is_found(
    gh_context, fake_github, tmp_path
):
    for run_id in range(100, 55, -1):  # 45 newer runs whose artifacts expired
        fake_github.add_run(run_id)
        fake_github.add_artifact(run_id, ARTIFACT, b"", expired=True)
    fake_github.add_run(50)
    fake_github.add_artifact(50, ARTIFACT, good_archive())
    code, out = fetch(gh_context(), tmp_path)
    assert code == 0, out
    assert f"wrote {tmp_path / 'got/baseline.json'} from run 50" in out
    pages = [q for _m, p, q, _a in fake_github.requests if p.endswith("/runs")]
    assert len(pages) == 3


def test_baseline_fetch__artifact_on_a_later_page_of_artifacts_is_found(
    gh_context, fake_github, tmp_path
):
    fake_github.per_page_cap = 2
    fake_github.add_run(1)
    for _ in range(3):
        fake_github.add_artifact(1, ARTIFACT, b"", expired=True)
    fake_github.add_artifact(1, ARTIFACT, good_archive())
    code, out = fetch(gh_context(), tmp_path)
    assert code == 0, out
    assert kept_files(tmp_path) == [".test_durations", "baseline.json"]


def test_baseline_fetch__search_is_bounded_and_says_so(gh_context, fake_github, tmp_path):
    for run_id in range(300, 0, -1):
        fake_github.add_run(run_id)
    code, out = fetch(gh_context(), tmp_path)
    assert code == 0, out
    assert "no baseline: none of the newest 100 successful runs" in out
    assert len([p for _m, p, _q, _a in fake_github.requests if p.endswith("/artifacts")]) == 100


def test_baseline_fetch__none_yet_is_a_normal_state(gh_context, fake_github, tmp_path):
    code, out = fetch(gh_context(), tmp_path)
    assert code == 0
    assert "no baseline yet: baseline.yml has no successful schedule run here" in out
    fake_github.add_run(3)
    fake_github.add_artifact(3, ARTIFACT, good_archive(), expired=True)
    code, out = fetch(gh_context(), tmp_path)
    assert code == 0
    assert (
        "no baseline yet: none of the 1 successful runs of baseline.yml has an unexpired "
        "ci-metrics-baseline artifact"
    ) in out
    assert kept_files(tmp_path) == []


@pytest.mark.parametrize(
    ("archive", "message"),
    [
        pytest.param(b"not a zip", "not a zip archive", id="not-zip"),
        pytest.param(make_zip({"x.txt": "1"}), "no baseline.json in it", id="no-baseline"),
        pytest.param(
            with_bad_crc(make_zip({"baseline.json": BASELINE}), b'"runs"'),
            "baseline.json is corrupt in the archive (Bad CRC-32",
            id="bad-crc",
        ),
        pytest.param(
            make_zip({"baseline.json": b"\xff\xfe{}"}),
            "baseline.json is not UTF-8",
            id="not-utf8",
        ),
        pytest.param(
            make_zip({"baseline.json": "{runs: []"}),
            "baseline.json is not valid JSON (line 1)",
            id="not-json",
        ),
        pytest.param(
            make_zip({"baseline.json": json.dumps({"schema": "ci-metrics-baseline"})}),
            "baseline.json is invalid: unsupported version None",
            id="wrong-schema",
        ),
        pytest.param(
            make_zip({"baseline.json": json.dumps({**json.loads(BASELINE), "runs": {}})}),
            "baseline.json is invalid: runs: must be an array",
            id="missing-key-shape",
        ),
        pytest.param(
            make_zip({"baseline.json": BASELINE, ".test_durations": "[1, 2]"}),
            ".test_durations is invalid: expected an object of test id -> seconds",
            id="bad-durations",
        ),
        pytest.param(
            make_zip({"a/baseline.json": BASELINE, "b/baseline.json": BASELINE}),
            "2 members are called baseline.json",
            id="two-baselines",
        ),
        pytest.param(
            make_zip({"baseline.json": BASELINE, ".test_durations": b"\x80"}),
            ".test_durations is not UTF-8",
            id="durations-not-utf8",
        ),
    ],
)
def test_baseline_fetch__corrupt_artifact_exits_2_and_keeps_nothing(
    gh_context, fake_github, tmp_path, archive, message
):
    fake_github.add_run(41)
    fake_github.add_artifact(41, ARTIFACT, archive)
    code, out = fetch(gh_context(), tmp_path)
    assert code == 2, out
    assert f"the baseline artifact of run 41: {message}" in out
    assert "Traceback" not in out
    assert len(out.strip().splitlines()) == 1
    assert kept_files(tmp_path) == []


def test_baseline_fetch__oversized_archive_is_not_downloaded(gh_context, fake_github, tmp_path):
    fake_github.add_run(41)
    fake_github.add_artifact(41, ARTIFACT, good_archive())["size_in_bytes"] = 10**9
    code, out = fetch(gh_context(), tmp_path)
    assert code == 2
    assert "the baseline artifact of run 41: the archive is too large (1000000000 bytes)" in out
    assert fake_github.blob_host.requests == []


def test_fetch_baseline__explicit_branch_and_oversized_member(fake_github, tmp_path):
    fake_github.add_run(1, branch="dev")
    fake_github.add_artifact(1, "b", make_zip({"baseline.json": BASELINE}))
    with httpx.Client(base_url=fake_github.url) as http:
        client = GitHubClient(http, REPO)
        durations = tmp_path / ".test_durations"
        where = {"workflow": "w.yml", "artifact": "b", "dest": tmp_path, "branch": "dev"}
        with pytest.raises(InputError, match=r"baseline\.json is too large"):
            fetch_baseline(client, **where, durations=durations, max_member_bytes=10)
        found = fetch_baseline(client, **where, durations=durations)
    assert found.path == tmp_path / "baseline.json"
    assert found.run_id == 1
    assert not (tmp_path / ".test_durations").exists()
    assert [p for _m, p, _q, _a in fake_github.requests].count(f"/repos/{REPO}") == 0


def test_baseline_fetch__says_in_the_step_output_whether_it_found_one(
    gh_context, fake_github, tmp_path
):
    """The workflows skip their baseline downloads on found=false (no red step)."""
    output = tmp_path / "github_output"
    output.write_text("earlier=1\n", encoding="utf-8")
    code, out = fetch(gh_context(GITHUB_OUTPUT=str(output)), tmp_path)
    assert code == 0, out
    assert output.read_text(encoding="utf-8") == "earlier=1\nfound=false\n"
    fake_github.add_run(4)
    fake_github.add_artifact(4, ARTIFACT, good_archive())
    code, out = fetch(gh_context(GITHUB_OUTPUT=str(output)), tmp_path)
    assert code == 0, out
    assert output.read_text(encoding="utf-8") == "earlier=1\nfound=false\nfound=true\n"
