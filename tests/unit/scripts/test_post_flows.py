"""Posting and fetching against a fake GitHub API on loopback."""

from __future__ import annotations

import io
import json
import socket
import zipfile

import pytest

from scripts.ci_metrics.cli import run
from tests.unit.scripts.fake_github import BOT

TOKEN = "ghs_s3cr3tT0ken"
MARKER = "<!-- ci-metrics:sticky -->"
HEAD = "c" * 40


@pytest.fixture
def comment_file(tmp_path):
    path = tmp_path / "comment.md"
    path.write_text(f"{MARKER}\n## report\n", encoding="utf-8")
    return path


@pytest.fixture
def gh_context(make_context, fake_github, tmp_path):
    """Factory: a Context pointing at the fake GitHub, with a token and a PR event."""
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": HEAD}}}))

    def make(**extra):
        env = {
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_REPOSITORY": "octo/repo",
            "GITHUB_API_URL": fake_github.url,
            "GITHUB_EVENT_PATH": str(event),
            **extra,
        }
        return make_context({k: v for k, v in env.items() if v is not None})

    return make


def post(ctx, tmp_path, *args):
    code = run(["post", "--root", str(tmp_path), *args], ctx)
    output = ctx.stdout.getvalue() + ctx.stderr.getvalue()
    assert TOKEN not in output
    return code, output


def write_comment_artifact(ctx, tmp_path, comment_file):
    """What a fork PR's run uploads: ``post --artifact-only``; returns the file."""
    artifact = tmp_path / "artifact.json"
    args = ["--comment", str(comment_file), "--artifact", str(artifact), "--artifact-only"]
    code, out = post(ctx, tmp_path, *args)
    assert code == 0, out
    return artifact


def test_post__creates_when_absent(gh_context, fake_github, comment_file, tmp_path):
    fake_github.add_comment(7, f"{MARKER} by a person", author="mallory")
    code, out = post(gh_context(), tmp_path, "--comment", str(comment_file))
    assert code == 0, out
    assert "created comment" in out
    ours = [c for c in fake_github.comments[7] if c["user"]["login"] == BOT]
    assert len(ours) == 1
    assert ours[0]["body"].startswith(MARKER)
    assert all(auth == f"Bearer {TOKEN}" for *_x, auth in fake_github.requests)


def test_post__updates_in_place_found_on_a_later_page(
    gh_context, fake_github, comment_file, tmp_path
):
    fake_github.add_comments(7, 230)
    cid = fake_github.add_comment(7, f"{MARKER}\nold")
    code, out = post(gh_context(), tmp_path, "--comment", str(comment_file))
    assert code == 0
    assert f"updated comment {cid}" in out
    assert len(fake_github.comments[7]) == 231
    assert fake_github.comments[7][-1]["body"] == comment_file.read_text()
    pages = [q for m, p, q, _a in fake_github.requests if m == "GET"]
    assert len(pages) == 3


@pytest.mark.parametrize(
    ("status", "headers", "message", "expected_sleeps"),
    [
        (403, {"retry-after": "3"}, "You have exceeded a secondary rate limit", [3.0]),
        (403, {}, "You have exceeded a secondary rate limit", [60.0]),
        (429, {}, "Too many requests", [60.0]),
        (502, {}, "Bad gateway", [1.0]),
    ],
)
def test_post__retries_rate_limits_and_server_errors(
    gh_context, fake_github, comment_file, tmp_path, status, headers, message, expected_sleeps
):
    fake_github.fail_next("POST", status, headers, message)
    ctx = gh_context()
    code, out = post(ctx, tmp_path, "--comment", str(comment_file))
    assert code == 0, out
    assert ctx.sleeps == expected_sleeps
    assert len(fake_github.comments[7]) == 1


def test_post__body_too_long_posts_short_notice(gh_context, fake_github, comment_file, tmp_path):
    fake_github.max_body = 200
    comment_file.write_text(MARKER + "\n" + "x" * 500, encoding="utf-8")
    code, _out = post(gh_context(), tmp_path, "--comment", str(comment_file))
    assert code == 0
    assert "too large for a comment" in fake_github.comments[7][0]["body"]


def test_post__body_too_long_even_when_short_exits_3(
    gh_context, fake_github, comment_file, tmp_path
):
    fake_github.max_body = 10
    code, out = post(gh_context(), tmp_path, "--comment", str(comment_file))
    assert code == 3
    assert "Body is too long" in out


def test_post__read_only_token_writes_artifact_then_workflow_run_posts_it(
    gh_context, fake_github, comment_file, tmp_path
):
    fake_github.read_only = True
    artifact = tmp_path / "artifact.json"
    code, out = post(
        gh_context(), tmp_path, "--comment", str(comment_file), "--artifact", str(artifact)
    )
    assert code == 0
    assert "read-only token" in out
    assert json.loads(artifact.read_text())["pr_number"] == 7
    assert 7 not in fake_github.comments
    fake_github.read_only = False
    fake_github.pulls[7] = {"number": 7, "head": {"sha": HEAD}}
    code, out = post(
        gh_context(GITHUB_EVENT_PATH=None),
        tmp_path,
        "--from-artifact",
        str(artifact),
        "--expected-head-sha",
        HEAD,
    )
    assert code == 0, out
    assert fake_github.comments[7][0]["body"] == comment_file.read_text()


def test_post__from_artifact_skips_when_head_moved(gh_context, fake_github, comment_file, tmp_path):
    artifact = write_comment_artifact(gh_context(), tmp_path, comment_file)
    fake_github.pulls[7] = {"number": 7, "head": {"sha": "d" * 40}}
    code, out = post(gh_context(), tmp_path, "--from-artifact", str(artifact))
    assert code == 0
    assert "head moved to dddddddddd" in out
    assert 7 not in fake_github.comments


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("not json", "not valid JSON"),
        ({"schema": "other"}, "not a ci-metrics comment"),
        (
            {"schema": "ci-metrics-comment", "pr_number": True, "head_sha": HEAD, "body": MARKER},
            "pr_number must be a positive integer",
        ),
        (
            {"schema": "ci-metrics-comment", "pr_number": 7, "head_sha": "../x", "body": MARKER},
            "head_sha must be 40 hex digits",
        ),
        (
            {"schema": "ci-metrics-comment", "pr_number": 7, "head_sha": HEAD, "body": "no marker"},
            "does not start with the marker",
        ),
        (
            {
                "schema": "ci-metrics-comment",
                "pr_number": 7,
                "head_sha": HEAD,
                "body": MARKER + "x" * 70000,
            },
            "over 65536 characters",
        ),
        (
            {
                "schema": "ci-metrics-comment",
                "pr_number": 7,
                "head_sha": HEAD,
                "body": MARKER,
                "pad": "x" * 300000,
            },
            "is too large",
        ),
    ],
)
def test_post__from_artifact_rejects_untrusted_input(gh_context, tmp_path, payload, message):
    artifact = tmp_path / "artifact.json"
    artifact.write_text(
        payload if isinstance(payload, str) else json.dumps(payload), encoding="utf-8"
    )
    code, out = post(gh_context(), tmp_path, "--from-artifact", str(artifact))
    assert code == 2
    assert message in out


def test_post__from_artifact_missing_or_for_another_head(gh_context, comment_file, tmp_path):
    code, out = post(gh_context(), tmp_path, "--from-artifact", str(tmp_path / "none.json"))
    assert code == 2
    assert "comment artifact not found" in out
    artifact = write_comment_artifact(gh_context(), tmp_path, comment_file)
    code, out = post(
        gh_context(), tmp_path, "--from-artifact", str(artifact), "--expected-head-sha", "e" * 40
    )
    assert code == 2
    assert "another head commit" in out


def test_post__github_unreachable_exits_3(gh_context, comment_file, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ctx = gh_context(GITHUB_API_URL=f"http://127.0.0.1:{port}")
    code, out = post(ctx, tmp_path, "--comment", str(comment_file))
    assert code == 3
    assert "cannot reach GitHub (ConnectError)" in out
    assert ctx.sleeps == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]


def test_post__refused_with_an_error_naming_status_never_the_token(
    gh_context, fake_github, comment_file, tmp_path
):
    fake_github.fail_next("GET", 404, message=f"Not Found for {TOKEN}")
    code, out = post(gh_context(), tmp_path, "--comment", str(comment_file))
    assert code == 3
    assert "-> 404: Not Found for ***" in out


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        ({"GITHUB_TOKEN": None}, (), "GITHUB_TOKEN is not set"),
        ({"GITHUB_REPOSITORY": None}, (), "no repository"),
        ({"GITHUB_EVENT_PATH": None}, (), "no pull request"),
        ({}, ("--comment", "missing.md"), "comment file not found"),
    ],
)
def test_post__missing_inputs_exit_2(gh_context, comment_file, tmp_path, env, args, message):
    args = args or ("--comment", str(comment_file))
    code, out = post(gh_context(**env), tmp_path, *args)
    assert code == 2
    assert message in out


def test_post__unreadable_event_payload_exits_2(gh_context, comment_file, tmp_path):
    code, out = post(
        gh_context(GITHUB_EVENT_PATH=str(tmp_path / "nope.json")),
        tmp_path,
        "--comment",
        str(comment_file),
    )
    assert code == 2
    assert "cannot read the event payload" in out


def _zip(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def fetch(ctx, tmp_path):
    code = run(
        [
            "baseline",
            "fetch",
            "--root",
            str(tmp_path),
            "--baseline",
            str(tmp_path / "got/baseline.json"),
            "--durations",
            str(tmp_path / ".test_durations"),
        ],
        ctx,
    )
    return code, ctx.stderr.getvalue()


def test_baseline_fetch__newest_unexpired_artifact(gh_context, fake_github, tmp_path):
    fake_github.runs = [{"id": 1}, {"id": 2}]
    fake_github.artifacts = {
        1: [{"name": "ci-metrics-baseline", "expired": True, "archive_download_url": "x"}],
        2: [
            {"name": "other", "expired": False, "archive_download_url": "y"},
            {
                "name": "ci-metrics-baseline",
                "expired": False,
                "archive_download_url": f"{fake_github.url}/download/b2",
            },
        ],
    }
    fake_github.downloads["b2"] = _zip(
        {
            "results/baseline/baseline.json": '{"schema": 1}',
            ".test_durations": "{}",
            "../evil.py": "x",
        }
    )
    code, err = fetch(gh_context(), tmp_path)
    assert code == 0, err
    assert (tmp_path / "got/baseline.json").read_text() == '{"schema": 1}'
    assert (tmp_path / ".test_durations").read_text() == "{}"
    assert not (tmp_path / "evil.py").exists()
    queries = [q for _m, p, q, _a in fake_github.requests if p.endswith("/runs")]
    assert "branch=main" in queries[0]
    assert "event=schedule" in queries[0]


def test_baseline_fetch__none_yet_is_a_normal_state(gh_context, tmp_path):
    code, err = fetch(gh_context(), tmp_path)
    assert code == 0
    assert "no baseline yet" in err


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [(b"not a zip", 3, "not a zip archive"), (_zip({"x.txt": "1"}), 2, "holds no baseline.json")],
)
def test_baseline_fetch__bad_archives(gh_context, fake_github, tmp_path, content, code, message):
    fake_github.runs = [{"id": 1}]
    fake_github.artifacts = {
        1: [
            {
                "name": "ci-metrics-baseline",
                "expired": False,
                "archive_download_url": f"{fake_github.url}/download/z",
            }
        ]
    }
    fake_github.downloads["z"] = content
    got, err = fetch(gh_context(), tmp_path)
    assert got == code
    assert message in err


def test_fetch_baseline__explicit_branch_and_oversized_member(fake_github, tmp_path):
    import httpx

    from scripts.ci_metrics.baseline_fetch import fetch_baseline
    from scripts.ci_metrics.errors import InputError
    from scripts.ci_metrics.github import GitHubClient

    fake_github.runs = [{"id": 1}]
    fake_github.artifacts = {
        1: [
            {"name": "b", "expired": False, "archive_download_url": f"{fake_github.url}/download/z"}
        ]
    }
    fake_github.downloads["z"] = _zip({"baseline.json": "x" * 100})
    with httpx.Client(base_url=fake_github.url) as http:
        client = GitHubClient(http, "octo/repo")
        with pytest.raises(InputError, match=r"baseline\.json is too large"):
            fetch_baseline(
                client,
                workflow="w.yml",
                artifact="b",
                dest=tmp_path,
                durations=tmp_path / ".test_durations",
                branch="dev",
                max_member_bytes=10,
            )
        assert (
            fetch_baseline(
                client,
                workflow="w.yml",
                artifact="b",
                dest=tmp_path,
                durations=tmp_path / ".test_durations",
                branch="dev",
            )
            == tmp_path / "baseline.json"
        )
    assert not (tmp_path / ".test_durations").exists()
    assert [p for _m, p, _q, _a in fake_github.requests].count("/repos/octo/repo") == 0


def test_post__artifact_without_head_sha_is_refused(gh_context, comment_file, tmp_path):
    code, out = post(
        gh_context(GITHUB_EVENT_PATH=None),
        tmp_path,
        "--pr",
        "7",
        "--comment",
        str(comment_file),
        "--artifact-only",
        "--artifact",
        str(tmp_path / "a.json"),
    )
    assert code == 2
    assert "pass --head-sha" in out
    assert not (tmp_path / "a.json").exists()
