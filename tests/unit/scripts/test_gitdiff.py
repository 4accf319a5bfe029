"""Changed lines from real git repositories and saved diffs."""

from __future__ import annotations

import pytest

from ci_metrics.errors import GitError, InputError
from ci_metrics.gitdiff import (
    diff_from_file,
    diff_from_git,
    parse_diff,
    resolve_base,
    run_git,
    unquote_path,
)
from tests.unit.scripts.conftest import git, write


@pytest.fixture
def repo(tmp_path):
    """A repository with a base commit on main and a feature branch checked out."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, "keep.py", "a = 1\nb = 2\nc = 3\n")
    write(root, "old name.py", "x = 1\ny = 2\n" + "".join(f"z{i} = {i}\n" for i in range(20)))
    write(root, "gone.py", "q = 1\n")
    write(root, "logo.bin", "")
    (root / "logo.bin").write_bytes(b"\x00\x01\x02")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    return root


def test_diff_from_git__renames_deletions_binary_spaces_and_working_tree(repo):
    write(repo, "keep.py", "a = 1\nb = 20\nc = 3\nd = 4\n")
    git(repo, "mv", "old name.py", "new name.py")
    (repo / "new name.py").write_text(
        "x = 1\ny = 3\n" + "".join(f"z{i} = {i}\n" for i in range(20)), encoding="utf-8"
    )
    git(repo, "rm", "-q", "gone.py")
    (repo / "logo.bin").write_bytes(b"\x00\x09\x02\x07")
    write(repo, "notes.md", "hello\n")
    write(repo, "ünï.py", "u = 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "change")
    write(repo, "keep.py", "a = 1\nb = 20\nc = 3\nd = 4\ne = 5\n")  # uncommitted
    diff = diff_from_git(repo, "main")
    assert diff.changed["keep.py"] == {2, 4, 5}
    assert diff.changed["new name.py"] == {2}
    assert diff.changed["ünï.py"] == {1}
    assert diff.deleted == ["gone.py"]
    assert diff.binary == 1
    assert set(diff.python_files()) == {"keep.py", "new name.py", "ünï.py"}
    assert diff.changed_line_count == 6


def test_diff_from_git__no_changes_is_an_empty_diff(repo):
    diff = diff_from_git(repo, "main")
    assert diff.changed == {}
    assert diff.python_files() == {}


def test_resolve_base__requested_defaults_and_missing(repo):
    assert resolve_base(repo, "main") == "main"
    assert resolve_base(repo, None) == "main"
    with pytest.raises(GitError, match="base ref 'nope' does not exist"):
        resolve_base(repo, "nope")


def test_resolve_base__no_default_base_names_the_candidates(tmp_path):
    root = tmp_path / "r"
    root.mkdir()
    git(root, "init", "-q", "-b", "trunk")
    with pytest.raises(GitError, match=r"no base ref found .*pass --base"):
        resolve_base(root, None)


def test_run_git__failure_reports_git_message(tmp_path):
    with pytest.raises(GitError, match=r"git rev-parse failed: .*not a git repository"):
        run_git(["rev-parse", "HEAD"], tmp_path)


def test_run_git__missing_directory_is_git_error(tmp_path):
    with pytest.raises(GitError, match="cannot run git"):
        run_git(["status"], tmp_path / "missing")


def test_parse_diff__hunk_counts_quoted_paths_and_dev_null():
    text = "\n".join(
        [
            'diff --git "a/tab\\there.py" "b/tab\\there.py"',
            '--- "a/tab\\there.py"',
            '+++ "b/tab\\there.py"',
            "@@ -1 +1 @@",
            "-a",
            "+b",
            "@@ -5,0 +6,3 @@",
            "+c",
            "+d",
            "+e",
            "@@ -9,2 +12,0 @@",
            "-f",
            "-g",
            "diff --git a/gone.py b/gone.py",
            "deleted file mode 100644",
            "--- a/gone.py",
            "+++ /dev/null",
            "@@ -1,3 +0,0 @@",
            "-h",
            "-i",
            "-j",
            "diff --git a/odd b/odd",
            "+++ /dev/null",
            "diff --git a/x.py b/x.py",
            "new file mode 100644",
            "--- /dev/null",
            "+++ b/x.py",
            "@@ -0,0 +1,2 @@",
            "+k",
            "+l",
            "diff --git a/sp ace.py b/sp ace.py",
            "--- a/sp ace.py\t",
            "+++ b/sp ace.py\t",
            "@@ -3 +3,2 @@",
            "-m",
            "\\ No newline at end of file",
            "+n",
            "+o",
            'diff --git "a/\\303\\244.py" "b/\\303\\244.py"',
            '--- "a/\\303\\244.py"',
            '+++ "b/\\303\\244.py"',
            "@@ -1 +1 @@",
            "-p",
            "+q",
        ]
    )
    diff = parse_diff(text)
    assert diff.changed == {
        "tab\there.py": {1, 6, 7, 8},
        "x.py": {1, 2},
        "sp ace.py": {3, 4},
        "ä.py": {1},
    }
    assert diff.deleted == ["gone.py"]


def test_unquote_path__escapes():
    assert unquote_path('"a\\"b\\\\c\\nd"') == 'a"b\\c\nd'
    assert unquote_path("plain") == "plain"


def test_diff_from_file__reads_and_rejects_empty_or_missing(tmp_path):
    path = tmp_path / "pr.diff"
    path.write_text(
        "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1 +1,2 @@\n-a\n+b\n+c\n",
        encoding="utf-8",
    )
    assert diff_from_file(path).changed == {"a.py": {1, 2}}
    path.write_text("  \n", encoding="utf-8")
    with pytest.raises(InputError, match="is empty"):
        diff_from_file(path)
    with pytest.raises(InputError, match="cannot read diff file"):
        diff_from_file(tmp_path / "missing.diff")


def test_parse_diff__added_line_starting_with_two_pluses_is_not_a_header():
    text = "\n".join(
        [
            "diff --git a/a.py b/a.py",
            "--- a/a.py",
            "+++ b/a.py",
            "@@ -1,2 +1,4 @@",
            " kept = 1",
            "+x = 1",
            "+++ y",
            "-- z",
            "+w = 2",
            "@@ -9 +10 @@",
            "-old = 1",
            "+new = 1",
            "diff --git a/b.py b/b.py",
            "--- a/b.py",
            "+++ b/b.py",
            "@@ -3,0 +4 @@",
            "+b = 1",
        ]
    )
    diff = parse_diff(text)
    assert diff.changed == {"a.py": {2, 3, 4, 10}, "b.py": {4}}
    assert diff.deleted == []


def test_parse_diff__hunk_shorter_than_its_header_is_input_error():
    text = "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1 +1,3 @@\n+x = 1\n"
    with pytest.raises(InputError, match=r"hunk .* ends early"):
        parse_diff(text)


def test_diff_from_git__unrelated_history_says_what_to_do(repo):
    git(repo, "checkout", "-q", "--orphan", "other")
    git(repo, "rm", "-rq", "--cached", ".")
    write(repo, "other.py", "o = 1\n")
    git(repo, "add", "other.py")
    git(repo, "commit", "-q", "-m", "unrelated")
    git(repo, "checkout", "-q", "-f", "feature")
    with pytest.raises(GitError, match=r"no common history with other.*--base"):
        diff_from_git(repo, "other")


def test_diff_from_git__shallow_clone_without_merge_base_says_fetch_depth_0(repo, tmp_path):
    write(repo, "keep.py", "a = 10\n")
    git(repo, "commit", "-q", "-am", "feature 1")
    git(repo, "checkout", "-q", "main")
    write(repo, "gone.py", "q = 2\n")
    git(repo, "commit", "-q", "-am", "main moves on")
    git(repo, "checkout", "-q", "feature")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", repo.as_uri(), str(clone))
    git(clone, "fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main")
    with pytest.raises(GitError, match=r"shallow.*fetch-depth: 0"):
        diff_from_git(clone, "origin/main")


def test_parse_diff__junk_inside_a_hunk_is_input_error():
    text = "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n*what\n"
    with pytest.raises(InputError, match=r"unexpected line in hunk @@ -1 \+1 @@: '\*what'"):
        parse_diff(text)


def test_parse_diff__hunk_without_a_file_header_is_skipped():
    assert parse_diff("@@ -0,0 +1 @@\n+x = 1\n").changed == {}


def test_diff_from_git__no_merge_base_and_no_shallow_answer_reads_as_unrelated(tmp_path):
    def runner(args, cwd):
        raise GitError(f"git {args[0]} failed: 1")

    with pytest.raises(GitError, match="no common history with main"):
        diff_from_git(tmp_path, "main", runner)
