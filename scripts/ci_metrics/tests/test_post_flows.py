"""Posting the sticky comment against a fake GitHub API on loopback."""

from __future__ import annotations

import json
import random
import socket

import httpx
import pytest

from ci_metrics.cli import run
from ci_metrics.errors import InputError
from ci_metrics.github.artifact import CommentPayload, load_artifact
from ci_metrics.github.client import GitHubClient
from ci_metrics.github.sticky import fit_body, own_sticky_comments, post_sticky
from ci_metrics.render.comment import render_comment
from ci_metrics.render.size import comment_size
from support.context import NOW
from support.fake_github import BOT, REPO
from support.github_cli import HEAD, MARKER, TOKEN, post, write_comment_artifact


def methods(fake_github, method):
    return [p for m, p, _q, _a in fake_github.requests if m == method]


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
    pages = [q for m, p, q, _a in fake_github.requests if m == "GET" and p.endswith("/comments")]
    assert len(pages) == 3


def test_post__same_body_is_not_written_again(gh_context, fake_github, comment_file, tmp_path):
    cid = fake_github.add_comment(7, comment_file.read_text())
    code, out = post(gh_context(), tmp_path, "--comment", str(comment_file))
    assert code == 0, out
    assert f"comment {cid} on PR #7 is already up to date" in out
    assert methods(fake_github, "PATCH") == []


@pytest.mark.parametrize(
    ("status", "headers", "message", "expected_sleeps"),
    [
        (403, {"retry-after": "3"}, "You have exceeded a secondary rate limit", [3.0]),
        (403, {}, "You have exceeded a secondary rate limit", [60.0]),
        (429, {}, "Too many requests", [60.0]),
    ],
)
def test_post__rate_limited_write_is_retried(
    gh_context, fake_github, comment_file, tmp_path, status, headers, message, expected_sleeps
):
    fake_github.fail_next("POST", status, headers, message)
    ctx = gh_context()
    code, out = post(ctx, tmp_path, "--comment", str(comment_file))
    assert code == 0, out
    assert ctx.sleeps == expected_sleeps
    assert len(fake_github.comments[7]) == 1


def test_post__write_answered_502_is_looked_up_not_repeated(
    gh_context, fake_github, comment_file, tmp_path
):
    """GitHub created the comment, then answered 502: one comment, found by listing."""
    fake_github.fail_next("POST", 502, message="Server Error", after_write=True)
    code, out = post(gh_context(), tmp_path, "--comment", str(comment_file))
    assert code == 0, out
    assert len(fake_github.own_comments(7, MARKER)) == 1
    assert len(methods(fake_github, "POST")) == 1
    assert "may have been written" in out
    assert "is already up to date" in out


def test_post__write_that_failed_with_502_is_made_after_a_look(
    gh_context, fake_github, comment_file, tmp_path
):
    """GitHub answered 502 without creating: the look finds nothing, so it is created."""
    fake_github.fail_next("POST", 502, message="Server Error")
    ctx = gh_context()
    code, out = post(ctx, tmp_path, "--comment", str(comment_file))
    assert code == 0, out
    assert len(fake_github.own_comments(7, MARKER)) == 1
    assert len(methods(fake_github, "POST")) == 2
    assert len(ctx.sleeps) == 1
    assert 0 <= ctx.sleeps[0] <= 1.0  # the first retry's full-jitter bound


def test_post_sticky__write_whose_answer_times_out_is_not_repeated(fake_github):
    """The comment was created but the answer came after the read timeout."""
    fake_github.stall_next("POST", 2.0)
    with httpx.Client(base_url=fake_github.url, timeout=0.3) as http:
        client = GitHubClient(http, REPO, sleep=lambda _s: None)
        post_sticky(client, 7, f"{MARKER}\nbody", MARKER, BOT)
    assert len(fake_github.own_comments(7, MARKER)) == 1
    assert len(methods(fake_github, "POST")) == 1


def test_post_sticky__created_comment_not_listed_yet_is_not_created_again(fake_github):
    """GitHub may list a new comment a moment late: the answer's id counts all the same."""
    fake_github.hide_from_next_listing = True
    with httpx.Client(base_url=fake_github.url) as http:
        client = GitHubClient(http, REPO, sleep=lambda _s: None)
        posted = post_sticky(client, 7, f"{MARKER}\nbody", MARKER, BOT)
    assert posted.action == "created"
    assert len(methods(fake_github, "POST")) == 1


def test_post__writes_that_never_confirm_give_up_with_exit_3(
    gh_context, fake_github, comment_file, tmp_path
):
    """Four writes, each after a look and a pause, and one last look; then a clear failure."""
    fake_github.fail_next("POST", 502, message="Server Error", times=10)
    ctx = gh_context()
    code, out = post(ctx, tmp_path, "--comment", str(comment_file))
    assert code == 3
    assert out.splitlines()[-1] == (
        "error: could not confirm the comment on PR #7: 4 writes got no answer and none of "
        "them shows in the comments"
    )
    assert 7 not in fake_github.comments
    assert len(methods(fake_github, "POST")) == 4
    assert len([p for p in methods(fake_github, "GET") if p.endswith("/7/comments")]) == 5
    assert len(ctx.sleeps) == 3  # no pause before the last look
    assert out.count("looking before writing again") == 3
    assert out.count("looking once more") == 1


def test_post__lost_writes_back_off_like_the_clients_retries(
    gh_context, fake_github, comment_file, tmp_path, monkeypatch
):
    """The pauses between writes are retries 1, 2, 3 of the client's full-jitter backoff.

    The jitter is held at its top so the bounds (1, 2 and 4 seconds) show.
    """
    monkeypatch.setattr(random, "uniform", lambda _low, high: high)
    fake_github.fail_next("POST", 502, message="Server Error", times=10)
    ctx = gh_context()
    code, out = post(ctx, tmp_path, "--comment", str(comment_file))
    assert code == 3
    assert ctx.sleeps == [1.0, 2.0, 4.0]
    assert [line.rsplit("; ", 1)[-1] for line in out.splitlines() if "writing again" in line] == [
        "retrying in 1.0s",
        "retrying in 2.0s",
        "retrying in 4.0s",
    ]


def test_post__duplicate_sticky_comments_are_reduced_to_one(
    gh_context, fake_github, comment_file, tmp_path
):
    first = fake_github.add_comment(7, f"{MARKER}\nold report 1")
    quoted = fake_github.add_comment(7, f"> {MARKER}\n> old report 1\n\nwhy?", author="mallory")
    second = fake_github.add_comment(7, f"{MARKER}\nold report 2")
    third = fake_github.add_comment(7, f"{MARKER}\nold report 3")
    code, out = post(gh_context(), tmp_path, "--comment", str(comment_file))
    assert code == 0, out
    ours = fake_github.own_comments(7, MARKER)
    assert [c["id"] for c in ours] == [first]
    assert ours[0]["body"] == comment_file.read_text()
    assert f"deleted 2 older duplicate sticky comment(s): {second}, {third}" in out
    assert any(c["id"] == quoted for c in fake_github.comments[7])


def test_post__duplicate_already_deleted_elsewhere_is_fine(
    gh_context, fake_github, comment_file, tmp_path
):
    fake_github.add_comment(7, f"{MARKER}\nold 1")
    second = fake_github.add_comment(7, f"{MARKER}\nold 2")
    third = fake_github.add_comment(7, f"{MARKER}\nold 3")
    fake_github.fail_next("DELETE", 404, message="Not Found", times=2)
    code, out = post(gh_context(), tmp_path, "--comment", str(comment_file))
    assert code == 0, out
    assert f"duplicate sticky comment(s) {second}, {third} already gone" in out.splitlines()


def test_post__comment_of_the_same_bot_quoting_the_marker_is_not_ours(
    gh_context, fake_github, comment_file, tmp_path
):
    """Another workflow's bot comment that mentions the marker is left alone."""
    other = fake_github.add_comment(7, f"Deploy preview ready.\n> {MARKER}\n")
    code, out = post(gh_context(), tmp_path, "--comment", str(comment_file))
    assert code == 0, out
    assert "created comment" in out
    assert fake_github.comments[7][0] == {
        "id": other,
        "body": f"Deploy preview ready.\n> {MARKER}\n",
        "user": {"login": BOT, "type": "Bot"},
    }


def test_post__author_is_the_tokens_login_when_github_says_it(
    gh_context, fake_github, comment_file, tmp_path
):
    """A personal token: its user, not github-actions[bot], owns the sticky comment."""
    fake_github.token_login = "release-bot"
    fake_github.add_comment(7, f"{MARKER}\nforged", author=BOT)
    mine = fake_github.add_comment(7, f"{MARKER}\nold", author="release-bot")
    code, out = post(gh_context(), tmp_path, "--comment", str(comment_file))
    assert code == 0, out
    assert f"updated comment {mine}" in out
    assert fake_github.own_comments(7, MARKER, "release-bot")[0]["body"] == comment_file.read_text()
    assert fake_github.own_comments(7, MARKER, BOT)[0]["body"] == f"{MARKER}\nforged"


def test_post__oversized_comment_is_replaced_locally_by_a_notice(
    gh_context, fake_github, comment_file, tmp_path
):
    comment_file.write_text(MARKER + "\n" + "x" * 70_000, encoding="utf-8")
    code, out = post(gh_context(), tmp_path, "--comment", str(comment_file))
    assert code == 0, out
    assert "70027 characters, over the limit of 65536" in out
    [comment] = fake_github.comments[7]
    assert comment["body"] == (
        f"{MARKER}\n## Coverage and test metrics\n\n"
        "The report is too large for a comment; see the job summary of this run.\n"
    )
    assert len(methods(fake_github, "POST")) == 1


def test_fit_body__a_body_exactly_at_the_limit_is_posted_whole():
    body = MARKER + "x" * 10
    assert fit_body(body, MARKER, comment_size(body)) == (body, None)
    notice, size = fit_body(body, MARKER, comment_size(body) - 1)
    assert (notice.startswith(MARKER), size) == (True, comment_size(body))
    assert "too large for a comment" in notice


def test_post__oversized_comment_artifact_carries_the_notice(gh_context, comment_file, tmp_path):
    comment_file.write_text(MARKER + "\n" + "🔺" * 40_000, encoding="utf-8")
    artifact = write_comment_artifact(gh_context(), tmp_path, comment_file)
    assert "too large for a comment" in json.loads(artifact.read_text())["body"]


def test_post__github_still_refusing_the_size_exits_3_with_its_message(
    gh_context, fake_github, comment_file, tmp_path
):
    fake_github.max_body = 10
    code, out = post(gh_context(), tmp_path, "--comment", str(comment_file))
    assert code == 3
    assert "422: Validation Failed; Body is too long (maximum is 10 characters)" in out
    assert len(methods(fake_github, "POST")) == 1


def test_post__comment_without_the_marker_is_refused(
    gh_context, fake_github, comment_file, tmp_path
):
    comment_file.write_text("## report\n", encoding="utf-8")
    code, out = post(gh_context(), tmp_path, "--comment", str(comment_file))
    assert code == 2
    assert "does not start with the marker" in out
    assert fake_github.requests == []


def test_post__read_only_token_writes_artifact(gh_context, fake_github, comment_file, tmp_path):
    fake_github.read_only = True
    artifact = tmp_path / "artifact.json"
    code, out = post(
        gh_context(), tmp_path, "--comment", str(comment_file), "--artifact", str(artifact)
    )
    assert code == 0
    assert "read-only token" in out
    assert json.loads(artifact.read_text())["pr_number"] == 7
    assert 7 not in fake_github.comments


def test_post__github_unreachable_exits_3(gh_context, comment_file, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ctx = gh_context(GITHUB_API_URL=f"http://127.0.0.1:{port}")
    code, out = post(ctx, tmp_path, "--comment", str(comment_file))
    assert code == 3
    assert "cannot reach GitHub (ConnectError)" in out
    assert "gave up after 8 attempts" in out
    assert len(ctx.sleeps) == 7
    assert all(0 <= wait <= min(64.0, 2.0**n) for n, wait in enumerate(ctx.sleeps))


def test_post__refused_with_an_error_naming_status_never_the_token(
    gh_context, fake_github, comment_file, tmp_path
):
    fake_github.fail_next("GET", 404, message=f"Not Found for {TOKEN}", path="/comments$")
    code, out = post(gh_context(), tmp_path, "--comment", str(comment_file))
    assert code == 3
    assert "-> 404: Not Found for ***" in out


@pytest.mark.parametrize(
    ("api_url", "message"),
    [
        ("htps://api.github.com", "GITHUB_API_URL must be an http(s) URL"),
        ("https://", "GITHUB_API_URL must be an http(s) URL"),
        ("https://api.github.com /x", "GITHUB_API_URL must be an http(s) URL"),
    ],
)
def test_post__malformed_api_url_fails_at_once_with_exit_2(
    gh_context, comment_file, tmp_path, api_url, message
):
    ctx = gh_context(GITHUB_API_URL=api_url)
    code, out = post(ctx, tmp_path, "--comment", str(comment_file))
    assert code == 2
    assert message in out
    assert ctx.sleeps == []


@pytest.mark.parametrize("token", [TOKEN + "\n", " " + TOKEN, "ghs_a b"])
def test_post__token_with_whitespace_fails_at_once_without_showing_it(
    gh_context, fake_github, comment_file, tmp_path, token
):
    ctx = gh_context(GITHUB_TOKEN=token)
    code = run(["post", "--root", str(tmp_path), "--comment", str(comment_file)], ctx)
    out = ctx.stderr.getvalue()
    assert code == 2
    assert "GITHUB_TOKEN contains whitespace or control characters" in out
    assert token.strip() not in out
    assert fake_github.requests == []
    assert ctx.sleeps == []


def test_post__secondary_limit_without_retry_after_stops_by_the_time_limit(
    gh_context, fake_github, comment_file, tmp_path
):
    """The worst case, default settings: GitHub keeps answering with a secondary limit."""
    fake_github.fail_next(
        "GET", 403, message="You have exceeded a secondary rate limit", times=1000
    )
    ctx = gh_context()
    code, out = post(ctx, tmp_path, "--comment", str(comment_file))
    elapsed = ctx.fake_clock.time() - NOW.timestamp()
    assert code == 3
    assert ctx.sleeps == [60.0, 120.0]
    assert elapsed == 180.0
    assert "a retry in 240s would end past the time limit of 300s" in out
    assert "([tool.ci_metrics.github] time_limit_seconds)" in out  # the setting, as written
    print(f"worst case (secondary limit without retry-after, defaults): {elapsed:.0f}s")


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
    assert "error: the comment artifact needs the head commit: pass --head-sha" in out
    assert not (tmp_path / "a.json").exists()


@pytest.mark.parametrize(
    ("text", "size"),
    [("abc", 3), ("é", 1), ("日本", 2), ("🔺", 2), ("⚠️", 2), (MARKER + "🔻x", 29)],
)
def test_comment_size__counts_utf16_code_units(text, size):
    assert comment_size(text) == size


def test_render_comment__fits_the_limit_as_post_counts_it():
    """The renderer and post share one budget and one way of counting it."""
    from support.report_samples import rich_report

    full = render_comment(rich_report(), MARKER, 65536)
    astral = comment_size(full) - len(full)
    assert astral > 0  # the report has emoji outside the BMP (🔺🔻)
    limit = len(full)  # fits by code points, not by UTF-16 units
    fitted = render_comment(rich_report(), MARKER, limit)
    assert comment_size(fitted) <= limit
    assert fit_body(fitted, MARKER, limit) == (fitted, None)


def test_own_sticky_comments__skip_entries_that_are_not_comment_objects():
    """A listing is GitHub's answer, not ours to trust: anything but an object is not ours."""
    mine = {"id": 9, "body": f"{MARKER}\nreport", "user": {"login": BOT}}
    listing = ["junk", None, 7, {"id": 8, "body": f"{MARKER}\nx", "user": "bot"}, mine]

    def handler(request):
        return httpx.Response(200, json=listing)

    with httpx.Client(
        base_url="https://api.github.test", transport=httpx.MockTransport(handler)
    ) as http:
        client = GitHubClient(http, REPO, sleep=lambda _s: None)
        assert own_sticky_comments(client, 7, MARKER, BOT) == [mine]


def _artifact(tmp_path, doc, pad=0):
    path = tmp_path / "artifact.json"
    path.write_text(json.dumps(doc) + " " * pad, encoding="utf-8")
    return path


ARTIFACT = {"schema": "ci-metrics-comment", "pr_number": 1, "head_sha": HEAD, "body": MARKER}


def test_load_artifact__size_limit_is_six_bytes_per_character_and_4096(tmp_path):
    """JSON may escape each UTF-16 unit in 6 bytes; the margin holds the other fields."""
    limit = 6 * 100 + 4096
    doc_size = len(json.dumps(ARTIFACT))
    at_limit = _artifact(tmp_path, ARTIFACT, pad=limit - doc_size)
    assert load_artifact(at_limit, MARKER, 100) == CommentPayload(1, HEAD, MARKER)
    over = _artifact(tmp_path, ARTIFACT, pad=limit - doc_size + 1)
    with pytest.raises(InputError, match=rf"is too large \({limit + 1} bytes\)"):
        load_artifact(over, MARKER, 100)


def test_load_artifact__body_of_exactly_the_limit_is_accepted(tmp_path):
    body = MARKER + "é" * (100 - len(MARKER))
    path = _artifact(tmp_path, {**ARTIFACT, "body": body})
    assert load_artifact(path, MARKER, 100).body == body
    path = _artifact(tmp_path, {**ARTIFACT, "body": body + "x"})
    with pytest.raises(InputError, match="body is over the limit of 100 characters"):
        load_artifact(path, MARKER, 100)


@pytest.mark.parametrize("number", [0, -7, "7", 2.0, None])
def test_load_artifact__pr_number_must_be_a_positive_integer(tmp_path, number):
    path = _artifact(tmp_path, {**ARTIFACT, "pr_number": number})
    with pytest.raises(InputError) as info:
        load_artifact(path, MARKER, 100)
    assert str(info.value) == f"comment artifact {path}: pr_number must be a positive integer"


def test_load_artifact__missing_body_is_named(tmp_path):
    path = _artifact(tmp_path, {k: v for k, v in ARTIFACT.items() if k != "body"})
    with pytest.raises(InputError) as info:
        load_artifact(path, MARKER, 100)
    assert str(info.value) == f"comment artifact {path}: body missing"


def test_load_artifact__a_body_that_is_not_utf8_is_not_valid_json(tmp_path):
    path = tmp_path / "artifact.json"
    path.write_bytes(json.dumps(ARTIFACT).encode().replace(b"ci-metrics:", b"ci-metrics\xff"))
    with pytest.raises(InputError, match="is not valid JSON"):
        load_artifact(path, MARKER, 100)


def test_from_artifact__a_folder_instead_of_a_file_exits_2(gh_context, fake_github, tmp_path):
    folder = tmp_path / "artifact.json"
    folder.mkdir()
    code, out = post(gh_context(), tmp_path, "--from-artifact", str(folder))
    assert code == 2
    assert out.splitlines()[-1].startswith(f"error: cannot read comment artifact {folder}: ")
    assert fake_github.requests == []
