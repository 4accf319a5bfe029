"""Changed lines from real git repositories and saved diffs."""

from __future__ import annotations

import pytest

from ci_metrics.errors import GitError, InputError
from ci_metrics.inputs.gitdiff import (
    diff_from_file,
    diff_from_git,
    parse_diff,
    resolve_base,
    run_git,
    unquote_path,
)
from support.project import git, write


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
    with pytest.raises(GitError) as info:
        resolve_base(root, None)
    assert str(info.value) == (
        "no base ref found (tried origin/HEAD, origin/main, origin/master, main, master); "
        "pass --base"
    )


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


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ('"a\\"b\\\\c\\nd"', 'a"b\\c\nd'),
        ('"\\a\\b\\f\\n\\r\\t\\v"', "\a\b\f\n\r\t\v"),
        ('"b/caf\\303\\251.py"', "b/café.py"),
        # not UTF-8: the name Python (and coverage.py) gives the file, os.fsdecode's
        ('"b/caf\\351.py"', "b/caf\udce9.py"),
        # core.quotePath=false: a name quoted for its tab keeps its other bytes raw
        ('"b/tab\\tcaf\udce9.py"', "b/tab\tcaf\udce9.py"),
        ("plain", "plain"),
        ('say"', 'say"'),  # only a name that starts with a quote is quoted
    ],
    ids=[
        "quote-backslash-newline",
        "c-escapes",
        "octal-utf8",
        "octal-not-utf8",
        "raw-not-utf8",
        "plain",
        "quote",
    ],
)
def test_unquote_path__decodes_gits_c_quoting(raw, path):
    assert unquote_path(raw) == path


@pytest.mark.parametrize(
    "raw",
    ['"\\777.py"', '"ab\\"', '"a\\qb"', '"a"b"', '"'],
    ids=["octal-over-a-byte", "unterminated", "unknown-escape", "bare-quote-inside", "lone-quote"],
)
def test_unquote_path__malformed_quoting_is_input_error(raw):
    """git's own unquoting refuses these; so do we, with one clear error, never a crash."""
    with pytest.raises(InputError) as info:
        unquote_path(raw)
    assert str(info.value) == f"malformed diff: bad quoted path {raw}"


def test_diff_from_file__a_malformed_quoted_path_is_input_error(tmp_path):
    path = tmp_path / "pr.diff"
    path.write_text('--- "a/\\777.py"\n+++ "b/\\777.py"\n@@ -1 +1 @@\n-a\n+b\n')
    with pytest.raises(InputError, match="bad quoted path"):
        diff_from_file(path)


@pytest.mark.parametrize("quote_path", ["true", "false"])
def test_diff_from_git__file_names_git_quotes_whatever_core_quotepath_says(repo, quote_path):
    """A user's core.quotePath changes how git prints names, never the names we read."""
    names = ["tab\there.py", 'say "hi".py', "back\\slash.py", "café.py", "ünï/ç.py"]
    for name in names:
        write(repo, name, "x = 1\n")
    latin1 = ["caf\udce9.py", "tab\tcaf\udce9.py"]  # not UTF-8; the second is quoted either way
    for name in latin1:
        (repo / name).write_text("y = 1\n", encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "names")
    git(repo, "config", "core.quotePath", quote_path)
    diff = diff_from_git(repo, "main")
    assert diff.changed == {name: {1} for name in [*names, *latin1]}


def test_diff_from_git__names_its_base_and_counts_each_binary_file(repo):
    (repo / "logo.bin").write_bytes(b"\x00\x09")
    (repo / "icon.bin").write_bytes(b"\x00\x08")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "images")
    diff = diff_from_git(repo, "main")
    assert (diff.base, diff.binary, diff.changed) == ("main", 2, {})


def test_diff_from_git__reads_changed_lines_that_are_not_utf8(repo):
    (repo / "keep.py").write_bytes(b"a = 1\nb = '\xe9'\nc = 3\n")
    git(repo, "commit", "-q", "-am", "latin-1")
    assert diff_from_git(repo, "main").changed == {"keep.py": {2}}


def test_diff_from_git__diffs_the_merge_base_with_the_runner_it_is_given(tmp_path):
    calls = []

    def runner(args, cwd):
        calls.append(list(args))
        if args[0] == "merge-base":
            return "f00d\n"
        return "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -0,0 +1 @@\n+a = 1\n"

    diff = diff_from_git(tmp_path, "origin/main", runner)
    assert (diff.base, diff.changed) == ("origin/main", {"a.py": {1}})
    assert calls[0] == ["merge-base", "origin/main", "HEAD"]
    assert calls[1][-1] == "f00d"  # the diff runs against the merge base, not the branch tip
    assert len(calls) == 2


def test_resolve_base__a_range_is_not_a_base(repo):
    with pytest.raises(GitError) as info:
        resolve_base(repo, "main..feature")
    assert str(info.value) == "base ref 'main..feature' does not exist"


def test_run_git__reports_a_message_that_is_not_utf8(repo):
    """git echoes a pathspec as the bytes it was given: still one readable error."""
    with pytest.raises(GitError) as info:
        run_git(["checkout", "\udcff"], repo)
    assert (
        str(info.value)
        == "git checkout failed: error: pathspec '\ufffd' did not match any file(s) known to git"
    )


def test_diff_from_file__reads_lines_that_are_not_utf8_and_names_the_file_as_base(tmp_path):
    path = tmp_path / "pr.diff"
    path.write_bytes(b"--- a/a.py\n+++ b/a.py\n@@ -1 +1,2 @@\n-a\n+b = '\xe9'\n+c\n")
    diff = diff_from_file(path)
    assert (diff.base, diff.changed) == (str(path), {"a.py": {1, 2}})


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


def test_parse_diff__text_alone_names_no_base():
    assert parse_diff("--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-a\n+b\n").base == ""


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
    with pytest.raises(InputError) as info:
        parse_diff(text)
    assert str(info.value) == "malformed diff: hunk @@ -1 +1,3 @@ ends early"


def test_diff_from_git__unrelated_history_says_what_to_do(repo):
    git(repo, "checkout", "-q", "--orphan", "other")
    git(repo, "rm", "-rq", "--cached", ".")
    write(repo, "other.py", "o = 1\n")
    git(repo, "add", "other.py")
    git(repo, "commit", "-q", "-m", "unrelated")
    git(repo, "checkout", "-q", "-f", "feature")
    with pytest.raises(GitError) as info:
        diff_from_git(repo, "other")
    assert str(info.value) == (
        "HEAD has no common history with other (unrelated histories): "
        "pass --base with a ref that HEAD was branched from, or --diff-file"
    )


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
    with pytest.raises(GitError) as info:
        diff_from_git(clone, "origin/main")
    assert str(info.value) == (
        "the clone is shallow and does not hold the merge base of origin/main and HEAD: "
        "fetch the whole history (actions/checkout with `fetch-depth: 0`, "
        "or `git fetch --unshallow`)"
    )


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


def _hunk(header, *body):
    return "\n".join(["diff --git a/a.py b/a.py", "--- a/a.py", "+++ b/a.py", header, *body])


@pytest.mark.parametrize(
    ("hunk", "changed"),
    [
        (_hunk("@@ -1,2 +1,2 @@", "-a", "-b", "+c", "+d"), {1, 2}),
        (_hunk("@@ -1,3 +1,3 @@", " a", "-b", "+B", " c"), {2}),
        (_hunk("@@ -1,2 +1,2 @@", "-a", "+A", " b"), {1}),
        (_hunk("@@ -4,2 +4 @@", "-a", " b"), set()),
        # a context line whose single space an editor or a mail client stripped
        (_hunk("@@ -1,3 +1,3 @@", " a", "", "-c", "+C"), {3}),
    ],
    ids=["replace-two", "context-around", "context-last", "removal-then-context", "blank"],
)
def test_parse_diff__hunks_with_context_and_replacements(hunk, changed):
    assert parse_diff(hunk).changed == {"a.py": changed}


@pytest.mark.parametrize(
    ("hunk", "line"),
    [
        (_hunk("@@ -1,2 +1 @@", "+a", "+b", "-c", "-d"), "'+b'"),
        (_hunk("@@ -1 +1,2 @@", "-a", "-b", "+c", "+d"), "'-b'"),
        (_hunk("@@ -1 +1,2 @@", "-a", "+b", " c"), "' c'"),
        (_hunk("@@ -1,2 +0,0 @@", "-a", " b"), "' b'"),
    ],
    ids=["more-added-than-counted", "more-removed", "context-past-old", "context-past-new"],
)
def test_parse_diff__lines_beyond_the_hunk_headers_counts_are_input_error(hunk, line):
    header = hunk.splitlines()[3]
    with pytest.raises(InputError) as info:
        parse_diff(hunk)
    assert str(info.value) == f"malformed diff: unexpected line in hunk {header}: {line}"


def test_parse_diff__paths_without_the_a_b_prefixes():
    """``git diff --no-prefix`` (or diff.noprefix) names files as they are."""
    text = "--- keep.py\n+++ keep.py\n@@ -1 +1 @@\n-a\n+b\n"
    assert parse_diff(text).changed == {"keep.py": {1}}


def test_parse_diff__a_deleted_file_first_in_the_diff():
    text = "--- a/gone.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-q = 1\n"
    diff = parse_diff(text)
    assert (diff.deleted, diff.changed) == (["gone.py"], {})


def test_parse_diff__a_name_ending_in_a_space_or_an_x_is_kept_whole():
    text = (
        "--- a/note \t\n+++ b/note \t\n@@ -1 +1 @@\n-a\n+b\n"
        "--- a/fooX\n+++ b/fooX\n@@ -1 +1 @@\n-a\n+b\n"
    )
    assert parse_diff(text).changed == {"note ": {1}, "fooX": {1}}
