import pytest

from scripts.check_links import check_file, main, slugify


@pytest.fixture
def docs(tmp_path):
    (tmp_path / "guide.md").write_text(
        "# Guide\n\n## Add a `layer` (step 1)\n\n## Add a layer (step 1)\n\ntext\n"
    )
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "note.md").write_text("# Note\n")
    return tmp_path


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("Quickstart", "quickstart"),
        ("Add a `layer` (step 1)", "add-a-layer-step-1"),
        ("What [runs](x.md) when?", "what-runs-when"),
        ("tox -e api", "tox--e-api"),
    ],
)
def test_slugify__matches_github_anchors(heading, slug):
    assert slugify(heading) == slug


def test_check_file__accepts_valid_links_and_anchors(docs):
    page = docs / "index.md"
    page.write_text(
        "[g](guide.md) [a](guide.md#add-a-layer-step-1) [dup](guide.md#add-a-layer-step-1-1)\n"
        "[n](sub/note.md#note) [self](#top) [web](https://example.org/x) ![img](sub)\n"
        "# Top\n[ref]: guide.md#guide\n"
    )
    assert check_file(page) == []


def test_check_file__reports_missing_files_and_anchors_with_line_numbers(docs):
    page = docs / "index.md"
    page.write_text("intro\n[gone](missing.md)\n\n[bad](guide.md#nowhere) [self](#nope)\n")
    broken = [str(b) for b in check_file(page)]
    assert broken == [
        f"{page}:2: broken link 'missing.md': missing.md does not exist",
        f"{page}:4: broken link 'guide.md#nowhere': no heading #nowhere in guide.md",
        f"{page}:4: broken link '#nope': no heading #nope in index.md",
    ]


def test_check_file__ignores_links_in_code(docs):
    page = docs / "index.md"
    page.write_text("```md\n[x](missing.md)\n```\n`[y](missing.md)`\n~~~\n[z](gone.md)\n~~~\n")
    assert check_file(page) == []


def test_check_file__other_fence_marker_does_not_close_a_block(docs):
    page = docs / "index.md"
    page.write_text("```\n~~~\n[x](missing.md)\n```\n[y](gone.md)\n")
    assert [b.target for b in check_file(page)] == ["gone.md"]


def test_main__exit_codes_and_messages(docs, capsys):
    (docs / "bad.md").write_text("[x](nope.md)\n")
    assert main([str(docs / "guide.md")]) == 0
    assert main([str(docs)]) == 1
    captured = capsys.readouterr()
    assert "bad.md:1: broken link 'nope.md'" in captured.err
    assert "3 file(s), 1 broken link(s)" in captured.out
    assert main([str(docs / "absent.md")]) == 2
    assert "absent.md does not exist" in capsys.readouterr().err
