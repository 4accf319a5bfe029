"""A git repository with five layers, for the plan's rules, and base snapshots of it.

Layers (``[tool.ci_metrics.layers.*]``):

* ``api`` owns ``apps/api``, tests in ``tests/api`` (which import ``apps.api.views``,
  which imports ``lib.util``, which imports ``lib.deep`` relatively);
* ``lib`` owns ``lib``, tests in ``tests/lib``; two shards, ``redis = true``;
* ``tool`` owns ``tools`` but ``tools/sub``, tests in ``tests/tool``;
* ``sub`` owns ``tools/sub``: a distribution in a src layout with its own tests folder
  (not a package), whose helper module ``support`` its tests import by name;
* ``e2e`` owns ``apps`` and imports none of it (it would start processes).

``main`` has two commits; ``feature`` is checked out at ``main``'s head. The tests change
files on it and run ``ci-metrics plan``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ci_metrics.model.outcomes import TestResult
from ci_metrics.model.snapshot import Snapshot
from support.project import git, write
from support.snapshots import file_entry

PYPROJECT = """\
[tool.ci_metrics]
thresholds = { project_lines = false, project_branches = false, diff = false }

[tool.ci_metrics.plan]
# No test reads these.
unaffected = ["docs/**", "*.md"]

[tool.ci_metrics.layers.api]
owns = ["apps/api"]
tests = ["tests/api"]
python = ["3.11", "3.13"]
workers = 0

[tool.ci_metrics.layers.lib]
owns = ["lib"]
tests = ["tests/lib"]
python = ["3.11"]
shards = 2
workers = 2
redis = true
plugins = ["hypothesis"]

[tool.ci_metrics.layers.tool]
owns = ["tools", "!tools/sub"]
tests = ["tests/tool"]
python = ["3.11"]

[tool.ci_metrics.layers.sub]
owns = ["tools/sub"]
tests = ["tools/sub/tests"]
python = ["3.11"]

[tool.ci_metrics.layers.e2e]
owns = ["apps"]
tests = ["tests/e2e"]
python = ["3.11"]
"""

FILES = {
    "pyproject.toml": PYPROJECT,
    "README.md": "# Sample\n",
    "docs/guide.md": "# Guide\n",
    "notes.txt": "notes\n",
    "apps/__init__.py": "",
    "apps/api/__init__.py": "",
    "apps/api/views.py": "from lib.util import helper\n\n\ndef view():\n    return helper()\n",
    "apps/api/models.py": "MODEL = 1\n",
    "lib/__init__.py": "",
    "lib/util.py": "from . import deep\n\n\ndef helper():\n    return deep.VALUE\n",
    "lib/deep.py": "VALUE = 1\n",
    "lib/spawned.py": "def main():\n    return 0\n",
    "tests/__init__.py": "",
    "tests/api/__init__.py": "",
    "tests/api/test_views.py": "from apps.api.views import view\n\n\ndef test_view():\n"
    "    assert view() == 1\n",
    "tests/lib/__init__.py": "",
    "tests/lib/test_util.py": "from lib import util\n\n\ndef test_helper():\n"
    "    assert util.helper() == 1\n",
    "tests/tool/__init__.py": "",
    "tests/tool/test_tool.py": "def test_nothing():\n    assert True\n",
    "tests/e2e/__init__.py": "",
    "tests/e2e/test_e2e.py": "import subprocess\n\n\ndef test_up():\n    assert subprocess\n",
    "tools/__init__.py": "",
    "tools/run.py": "print('run')\n",
    "tools/sub/pyproject.toml": "[project]\nname = 'sub'\n",
    "tools/sub/src/subpkg/__init__.py": "",
    "tools/sub/src/subpkg/core.py": "def core():\n    return 1\n",
    "tools/sub/tests/conftest.py": "",
    "tools/sub/tests/support/__init__.py": "from subpkg.core import core\n",
    "tools/sub/tests/test_core.py": "from support import core\n\n\ndef test_core():\n"
    "    assert core() == 1\n",
}

LAYERS = ("api", "lib", "tool", "sub", "e2e")
#: Which layers ran which file at the base (their coverage contexts).
RAN = {
    "apps/api/views.py": ("api",),
    "apps/api/models.py": ("api",),
    "lib/util.py": ("api", "lib"),
    "lib/deep.py": ("lib",),
    # started as a process by the e2e tests, which never import it
    "lib/spawned.py": ("e2e",),
    "tools/run.py": ("tool",),
    "tools/sub/src/subpkg/core.py": ("sub",),
}


@dataclass(frozen=True)
class PlanRepo:
    """The work tree and where its base snapshots are kept."""

    root: Path
    snapshots: Path

    def sha(self, ref: str) -> str:
        return git(self.root, "rev-parse", ref).strip()

    def commit(self, message: str = "change") -> str:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "--allow-empty", "-m", message)
        return self.sha("HEAD")

    def write(self, rel: str, text: str) -> None:
        write(self.root, rel, text)

    def keep_snapshot(self, ref: str = "main", **changes: object) -> Path:
        """A base snapshot of ``ref`` in the snapshots folder, every layer passed; keyword
        arguments replace parts of its document (``version=1``, ``tests={...}``)."""
        doc = base_snapshot(self.sha(ref)).to_json() | changes
        path = self.snapshots / f"{self.sha(ref)}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc), encoding="utf-8")
        return path


def base_snapshot(sha: str, layers=LAYERS, failed: tuple[str, ...] = ()) -> Snapshot:
    """A version 2 snapshot of ``sha``: each file ran by the layers :data:`RAN` names, one
    passed test per layer (failed for the layers in ``failed``)."""
    files = {
        path: file_entry([1], layers={layer: [1] for layer in ran if layer in layers})
        for path, ran in RAN.items()
    }
    tests = {
        layer: {
            f"tests/{layer}/test_x.py::t": TestResult(
                "failed" if layer in failed else "passed", 0.1
            )
        }
        for layer in layers
    }
    return Snapshot(
        created_at="2026-03-01T12:00:00+00:00",
        sha=sha,
        run_id="41",
        files=files,
        tests=tests,
        timing={},
    )


def build_plan_repo(root: Path) -> PlanRepo:
    """The repository described above, ``feature`` checked out."""
    repo = PlanRepo(root / "repo", root / "snapshots")
    repo.root.mkdir()
    git(repo.root, "init", "-q", "-b", "main")
    for rel, text in FILES.items():
        write(repo.root, rel, text)
    repo.commit("first")
    repo.write("tools/run.py", "print('run, again')\n")
    repo.commit("second")
    git(repo.root, "checkout", "-q", "-b", "feature")
    return repo
