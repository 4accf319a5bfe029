"""``post --from-artifact``: the comment goes to the triggering run's own pull request only."""

from __future__ import annotations

import json

import pytest

from support.fake_github import FORK, REPO
from support.github_cli import HEAD, MARKER, post, write_comment_artifact

OTHER = "d" * 40


@pytest.fixture
def artifact(gh_context, comment_file, tmp_path):
    """PR 7's comment artifact, as its run uploaded it."""
    return write_comment_artifact(gh_context(), tmp_path, comment_file)


def from_artifact(ctx, tmp_path, artifact):
    return post(ctx, tmp_path, "--from-artifact", str(artifact))


def pull_requests(*numbers):
    """``toJSON(github.event.workflow_run.pull_requests)`` for same-repository runs."""
    return json.dumps(
        [
            {"id": 900 + n, "number": n, "head": {"ref": "feature", "sha": HEAD}, "base": {}}
            for n in numbers
        ],
        indent=2,
    )


def test_fork_run__posts_on_its_own_pull_request(
    gh_context, fake_github, artifact, comment_file, tmp_path
):
    """A fork's run: ``pull_requests`` is empty, the PR's head identifies the run."""
    fake_github.add_pull(7, HEAD, head_ref="feature", head_repo=FORK)
    code, out = from_artifact(gh_context(), tmp_path, artifact)
    assert code == 0, out
    assert fake_github.own_comments(7, MARKER)[0]["body"] == comment_file.read_text()
    assert "created comment" in out


def test_same_repository_run__posts_when_the_run_lists_the_pull_request(
    gh_context, fake_github, artifact, tmp_path
):
    """A read-only same-repository run (Dependabot): the run lists its PRs."""
    fake_github.add_pull(7, HEAD, head_ref="feature", head_repo=REPO)
    ctx = gh_context(
        CI_METRICS_RUN_HEAD_REPOSITORY=REPO, CI_METRICS_RUN_PULL_REQUESTS=pull_requests(7)
    )
    code, out = from_artifact(ctx, tmp_path, artifact)
    assert code == 0, out
    assert len(fake_github.own_comments(7, MARKER)) == 1


@pytest.mark.parametrize(
    ("pull", "env", "message"),
    [
        pytest.param(
            {"head_sha": HEAD, "head_repo": REPO},
            {
                "CI_METRICS_RUN_HEAD_REPOSITORY": REPO,
                "CI_METRICS_RUN_PULL_REQUESTS": '[{"number": 8}]',
            },
            "PR #7 is not a pull request of the workflow run (it lists #8)",
            id="run-lists-another-pr",
        ),
        pytest.param(
            {"head_sha": HEAD, "head_ref": "release-backport"},
            {},
            "PR #7's head branch is 'release-backport', the run's is 'feature'",
            id="same-sha-other-branch",
        ),
        pytest.param(
            {"head_sha": HEAD, "head_repo": "eve/repo"},
            {},
            "PR #7's head repository is 'eve/repo', the run's is 'mallory/repo'",
            id="same-sha-other-fork",
        ),
        pytest.param(
            {"head_sha": HEAD, "head_repo": None},
            {},
            "PR #7's head repository is gone (a deleted fork)",
            id="fork-deleted",
        ),
        pytest.param(
            {"head_sha": HEAD, "state": "closed", "head_ref": "other"},
            {},
            "PR #7's head branch is 'other', the run's is 'feature'",
            id="closed-and-not-the-runs",
        ),
        pytest.param(
            {"head_sha": HEAD, "state": "locked"},
            {},
            "GitHub reported PR #7 in an unknown state",
            id="unknown-state",
        ),
        pytest.param(
            {"head_sha": None},
            {},
            "GitHub did not report PR #7's head commit",
            id="no-head-sha",
        ),
        pytest.param(
            {"head_sha": HEAD},
            {"CI_METRICS_RUN_HEAD_SHA": OTHER},
            f"the comment artifact is for {HEAD[:10]}, the run's head is {OTHER[:10]}",
            id="artifact-for-another-commit",
        ),
    ],
)
def test_run_binding__refuses_a_pull_request_that_is_not_the_runs(
    gh_context, fake_github, artifact, tmp_path, pull, env, message
):
    fields = {"head_ref": "feature", "head_repo": FORK, **pull}
    fake_github.add_pull(7, fields.pop("head_sha"), **fields)
    code, out = from_artifact(gh_context(**env), tmp_path, artifact)
    assert code == 2, out
    assert out.splitlines()[-1] == f"error: refusing to post: {message}; nothing posted"
    assert 7 not in fake_github.comments


def test_run_binding__two_prs_sharing_a_head_commit_are_told_apart(
    gh_context, fake_github, comment_file, tmp_path
):
    """PR 7's run claims PR 8, which has the same head commit from another branch."""
    fake_github.add_pull(7, HEAD, head_ref="feature", head_repo=FORK)
    fake_github.add_pull(8, HEAD, head_ref="feature-release", head_repo=FORK, base_ref="release")
    artifact = write_comment_artifact(gh_context(), tmp_path, comment_file)
    forged = json.loads(artifact.read_text()) | {"pr_number": 8}
    artifact.write_text(json.dumps(forged), encoding="utf-8")
    code, out = from_artifact(gh_context(), tmp_path, artifact)
    assert code == 2
    assert "PR #8's head branch is 'feature-release', the run's is 'feature'" in out
    assert fake_github.comments == {}


def test_run_binding__head_moved_by_a_newer_push_skips_as_stale(
    gh_context, fake_github, artifact, tmp_path
):
    fake_github.add_pull(7, OTHER, head_ref="feature", head_repo=FORK)
    code, out = from_artifact(gh_context(), tmp_path, artifact)
    assert code == 0, out
    assert (
        f"skipped: the run is stale: PR #7's head is now {OTHER[:10]}, the run measured "
        f"{HEAD[:10]} (the newer push's run posts its report)"
    ) in out.splitlines()
    assert 7 not in fake_github.comments


def test_run_binding__missing_pull_request_is_refused(gh_context, fake_github, artifact, tmp_path):
    code, out = from_artifact(gh_context(), tmp_path, artifact)
    assert code == 2
    assert "PR #7 does not exist in octo/repo" in out


def test_run_binding__every_missing_run_value_is_named(gh_context, artifact, tmp_path):
    ctx = gh_context(
        CI_METRICS_RUN_HEAD_SHA=None,
        CI_METRICS_RUN_HEAD_BRANCH="",
        CI_METRICS_RUN_HEAD_REPOSITORY=None,
        CI_METRICS_RUN_PULL_REQUESTS=None,
    )
    code, out = from_artifact(ctx, tmp_path, artifact)
    assert code == 2
    assert out.splitlines()[-1] == (
        "error: post --from-artifact needs the triggering run's CI_METRICS_RUN_HEAD_SHA, "
        "CI_METRICS_RUN_HEAD_BRANCH, CI_METRICS_RUN_HEAD_REPOSITORY, "
        "CI_METRICS_RUN_PULL_REQUESTS in the environment "
        "(pr-comment.yml passes them from the workflow_run event)"
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CI_METRICS_RUN_PULL_REQUESTS": "7"}, "CI_METRICS_RUN_PULL_REQUESTS must be"),
        ({"CI_METRICS_RUN_PULL_REQUESTS": '[{"id": 1}]'}, "CI_METRICS_RUN_PULL_REQUESTS must be"),
        ({"CI_METRICS_RUN_PULL_REQUESTS": "not json"}, "CI_METRICS_RUN_PULL_REQUESTS must be"),
        ({"CI_METRICS_RUN_HEAD_SHA": "abc"}, "CI_METRICS_RUN_HEAD_SHA must be 40 hex digits"),
        ({"CI_METRICS_RUN_HEAD_REPOSITORY": "noslash"}, "must be owner/name"),
    ],
)
def test_run_binding__malformed_run_values_exit_2(
    gh_context, fake_github, artifact, tmp_path, env, message
):
    code, out = from_artifact(gh_context(**env), tmp_path, artifact)
    assert code == 2
    assert message in out
    assert fake_github.requests == []


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
            "over the limit of 65536 characters",
        ),
        (
            {
                "schema": "ci-metrics-comment",
                "pr_number": 7,
                "head_sha": HEAD,
                "body": MARKER + "🔺" * 32_800,
            },
            "over the limit of 65536 characters",
        ),
        (
            {
                "schema": "ci-metrics-comment",
                "pr_number": 7,
                "head_sha": HEAD,
                "body": MARKER,
                "pad": "x" * 500_000,
            },
            "is too large",
        ),
    ],
)
def test_from_artifact__rejects_untrusted_input(
    gh_context, fake_github, tmp_path, payload, message
):
    artifact = tmp_path / "artifact.json"
    artifact.write_text(
        payload if isinstance(payload, str) else json.dumps(payload), encoding="utf-8"
    )
    code, out = from_artifact(gh_context(), tmp_path, artifact)
    assert code == 2
    assert message in out
    assert fake_github.requests == []


def test_from_artifact__missing_file_exits_2(gh_context, tmp_path):
    code, out = from_artifact(gh_context(), tmp_path, tmp_path / "none.json")
    assert code == 2
    assert "comment artifact not found" in out


@pytest.mark.parametrize(
    ("merged_at", "word"), [(None, "closed"), ("2026-03-01T12:00:00Z", "merged")]
)
def test_run_binding__a_pull_request_closed_while_its_checks_ran_is_skipped(
    gh_context, fake_github, artifact, tmp_path, merged_at, word
):
    """Merged right after the checks went green: nothing to update, and no red run."""
    fake_github.add_pull(7, HEAD, head_ref="feature", head_repo=FORK, state="closed")
    fake_github.pulls[7]["merged_at"] = merged_at
    code, out = from_artifact(gh_context(), tmp_path, artifact)
    assert code == 0, out
    assert f"skipped: PR #7 was {word} while its checks ran" in out
    assert 7 not in fake_github.comments


def test_run_binding__missing_run_values_say_where_they_come_from(gh_context, artifact, tmp_path):
    code, out = from_artifact(gh_context(CI_METRICS_RUN_HEAD_BRANCH=" "), tmp_path, artifact)
    assert code == 2
    assert out.splitlines()[-1] == (
        "error: post --from-artifact needs the triggering run's CI_METRICS_RUN_HEAD_BRANCH in "
        "the environment (pr-comment.yml passes them from the workflow_run event)"
    )


def test_run_binding__every_malformed_run_value_is_named_in_one_line(
    gh_context, fake_github, artifact, tmp_path
):
    env = {
        "CI_METRICS_RUN_HEAD_SHA": HEAD.upper(),
        "CI_METRICS_RUN_HEAD_REPOSITORY": "mallory/repo/x",
        "CI_METRICS_RUN_PULL_REQUESTS": '{"number": 7}',
    }
    code, out = from_artifact(gh_context(**env), tmp_path, artifact)
    assert code == 2
    assert out.splitlines()[-1] == (
        "error: CI_METRICS_RUN_HEAD_SHA must be 40 hex digits; "
        "CI_METRICS_RUN_HEAD_REPOSITORY must be owner/name; "
        "CI_METRICS_RUN_PULL_REQUESTS must be the JSON list of the run's pull requests "
        "(toJSON(github.event.workflow_run.pull_requests))"
    )
    assert fake_github.requests == []


@pytest.mark.parametrize(
    "listed", ['[{"number": 0}]', '[{"number": -7}]', '[{"number": true}]', '["7"]', "[7]"]
)
def test_run_binding__pull_request_numbers_must_be_positive_integers(
    gh_context, fake_github, artifact, tmp_path, listed
):
    code, out = from_artifact(gh_context(CI_METRICS_RUN_PULL_REQUESTS=listed), tmp_path, artifact)
    assert code == 2
    assert "CI_METRICS_RUN_PULL_REQUESTS must be the JSON list" in out
    assert fake_github.requests == []


def test_run_binding__pull_request_number_1_is_a_pull_request(
    gh_context, fake_github, comment_file, tmp_path
):
    fake_github.add_pull(1, HEAD, head_ref="feature", head_repo=REPO)
    ctx = gh_context(
        CI_METRICS_RUN_HEAD_REPOSITORY=REPO, CI_METRICS_RUN_PULL_REQUESTS=pull_requests(1)
    )
    artifact = write_comment_artifact(ctx, tmp_path, comment_file)
    doc = json.loads(artifact.read_text()) | {"pr_number": 1}
    artifact.write_text(json.dumps(doc), encoding="utf-8")
    code, out = from_artifact(ctx, tmp_path, artifact)
    assert code == 0, out
    assert len(fake_github.own_comments(1, MARKER)) == 1


def test_run_binding__a_run_listing_other_pull_requests_names_them_all(
    gh_context, fake_github, artifact, tmp_path
):
    fake_github.add_pull(7, HEAD, head_ref="feature", head_repo=REPO)
    ctx = gh_context(
        CI_METRICS_RUN_HEAD_REPOSITORY=REPO, CI_METRICS_RUN_PULL_REQUESTS=pull_requests(8, 9)
    )
    code, out = from_artifact(ctx, tmp_path, artifact)
    assert code == 2
    assert out.splitlines()[-1] == (
        "error: refusing to post: PR #7 is not a pull request of the workflow run "
        "(it lists #8, #9); nothing posted"
    )
    assert fake_github.requests == []


def test_run_binding__head_repository_names_match_whatever_their_case(
    gh_context, fake_github, artifact, tmp_path
):
    """GitHub's owner and repository names are case-insensitive."""
    fake_github.add_pull(7, HEAD, head_ref="feature", head_repo=FORK.upper())
    code, out = from_artifact(gh_context(), tmp_path, artifact)
    assert code == 0, out
    assert len(fake_github.own_comments(7, MARKER)) == 1


def test_run_binding__a_pull_request_without_a_head_is_refused(
    gh_context, fake_github, artifact, tmp_path
):
    fake_github.add_pull(7, HEAD)
    fake_github.pulls[7]["head"] = None
    code, out = from_artifact(gh_context(), tmp_path, artifact)
    assert code == 2
    assert (
        "refusing to post: PR #7's head repository is gone (a deleted fork); nothing posted" in out
    )
    assert 7 not in fake_github.comments


def test_run_binding__github_failing_to_answer_is_not_a_refusal(
    gh_context, fake_github, artifact, tmp_path
):
    """Only a 404 says the pull request is not there; other errors exit 3, as GitHub errors."""
    fake_github.add_pull(7, HEAD, head_ref="feature", head_repo=FORK)
    fake_github.fail_next("GET", 403, message="Resource not accessible", path="/pulls/7$")
    code, out = from_artifact(gh_context(), tmp_path, artifact)
    assert code == 3
    assert "403: Resource not accessible" in out
    assert "refusing" not in out
    assert 7 not in fake_github.comments
