"""``find-artifact``: does the triggering run have a comment artifact to post?"""

from __future__ import annotations

import pytest

from support.github_cli import run_verb

NAME = "ci-metrics-comment"


def find(ctx, run_id="41"):
    return run_verb(ctx, "find-artifact", "--run-id", run_id, "--name", NAME)


@pytest.fixture
def output_file(tmp_path):
    return tmp_path / "github_output"


def test_find_artifact__found_sets_the_output(gh_context, fake_github, output_file):
    fake_github.add_artifact(41, "ci-report", b"x")
    fake_github.add_artifact(41, NAME, b"zip")
    code, out = find(gh_context(GITHUB_OUTPUT=str(output_file)))
    assert code == 0, out
    assert output_file.read_text() == "found=true\n"
    assert f"run 41 has the artifact {NAME}" in out


@pytest.mark.parametrize("expired", [True, None], ids=["expired", "absent"])
def test_find_artifact__absent_or_expired_is_found_false_and_exit_0(
    gh_context, fake_github, output_file, expired
):
    if expired:
        fake_github.add_artifact(41, NAME, b"zip", expired=True)
    fake_github.add_artifact(41, "ci-report", b"x")
    code, out = find(gh_context(GITHUB_OUTPUT=str(output_file)))
    assert code == 0, out
    assert output_file.read_text() == "found=false\n"
    assert "nothing to do" in out


def test_find_artifact__artifact_on_a_later_page_is_found(gh_context, fake_github, output_file):
    fake_github.per_page_cap = 1
    fake_github.add_artifact(41, NAME, b"old", expired=True)
    fake_github.add_artifact(41, NAME, b"zip")
    code, out = find(gh_context(GITHUB_OUTPUT=str(output_file)))
    assert code == 0, out
    assert output_file.read_text() == "found=true\n"


def test_find_artifact__github_refusing_exits_3(gh_context, fake_github):
    fake_github.fail_next("GET", 401, message="Bad credentials")
    code, out = find(gh_context())
    assert code == 3
    assert "401: Bad credentials" in out


def test_find_artifact__run_id_must_be_a_positive_integer(gh_context, fake_github):
    code, out = find(gh_context(), run_id="0")
    assert code == 2
    assert "not a positive integer" in out
    assert fake_github.requests == []
