"""What the workflows' jobs wait for and hand on to each other.

Every ``needs`` is used (an output, a result, or an artifact the job downloads),
every path a job uploads is one that a step or a tool of that job writes, and
every artifact a job downloads from its own run was uploaded by a job it needs.
The paths the tools write come from the tools themselves: ci-metrics' argument
parser (defaults and the flags each step passes), the tox envs (tox.ini and those
``scripts/layer_envs.py`` generates), ``.coveragerc`` and ``scripts/mutation.py``'s
own ``--output`` default.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import re
import shlex
from pathlib import Path

import pytest

from ci_metrics.cli import build_parser
from scripts.layer_envs import load_layer_envs, run_keys
from tests.unit.scripts.repo_config import (
    LAYER_WORKFLOW,
    ROOT,
    WORKFLOWS,
    ini,
    job_steps,
    jobs,
    layer_jobs,
    load,
    tox_config,
)

EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
TOX_SUBSTITUTION = re.compile(r"\{[^{}]*\}")
ENV_VAR = re.compile(r"^\$(\w+)$")
CALLERS = ("ci.yml", "baseline.yml")
WORKFLOW_NAMES = (*CALLERS, "tox-layer.yml")


#: The reusable layer workflow's layer: one name wherever it appears.
LAYER = "LAYER"


def as_glob(text: str) -> str:
    """A workflow value with each ``${{ }}`` expression standing for any text, but the
    layer input, which stands for the same layer everywhere."""
    text = text.replace("${{ inputs.layer }}", LAYER)
    return EXPRESSION.sub("*", text)


def sample(pattern: str) -> str:
    """One concrete name a glob stands for."""
    return pattern.replace("*", "x")


def overlaps(pattern: str, other: str) -> bool:
    """Whether two globs can name the same thing (either's sample matches the other)."""
    return fnmatch.fnmatchcase(sample(pattern), other) or fnmatch.fnmatchcase(
        sample(other), pattern
    )


def steps(workflow: str, job: dict) -> list[dict]:
    """A job's steps; a call of the reusable layer workflow has that workflow's steps."""
    if job.get("uses") == LAYER_WORKFLOW:
        return [s for called in jobs("tox-layer.yml").values() for s in job_steps(called)]
    return job_steps(job)


def job_env(workflow: str, job: dict) -> dict[str, str]:
    if job.get("uses") == LAYER_WORKFLOW:
        return {k: v for called in jobs("tox-layer.yml").values() for k, v in called["env"].items()}
    return {**load(WORKFLOWS / workflow).get("env", {}), **job.get("env", {})}


def uploads(workflow: str, job: dict) -> list[dict]:
    return [s for s in steps(workflow, job) if s.get("uses", "").startswith("actions/upload-")]


def downloads(workflow: str, job: dict) -> list[dict]:
    """Downloads of artifacts of the same run (``run-id`` names another run)."""
    return [
        s
        for s in steps(workflow, job)
        if s.get("uses", "").startswith("actions/download-") and "run-id" not in s.get("with", {})
    ]


def artifact_pattern(step: dict) -> str:
    given = step["with"]
    return as_glob(str(given.get("name") or given.get("pattern")))


# -- what the tools write -----------------------------------------------------------


def tox_glob(template: str, env: str) -> str:
    """A tox.ini path as a glob: relative to the project, other substitutions any text."""
    text = template.replace("{toxinidir}/", "").replace("{env_name}", env)
    return TOX_SUBSTITUTION.sub("*", text)


def tox_writes(env: str) -> set[str]:
    """What ``tox run -e <env>`` writes, from its tox.ini or generated section and the
    tools its commands run; any layer (the layer workflow's) writes as the generated do."""
    generated = load_layer_envs(ROOT / "pyproject.toml").sections
    if env == LAYER or (env in generated and "commands" in generated[env]):
        keys = generated.get(env) or run_keys((), env, 0)
        written = set()
        for arg in keys["commands"].split():
            flag, _, value = arg.partition("=")
            if flag in ("--junitxml", "--report-log"):
                written.add(tox_glob(value, env))
        for line in keys["set_env"].splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "COVERAGE_FILE":
                written.add(tox_glob(value.strip(), env))
        return written
    if env == "html":
        return {ini(".coveragerc")["html"]["directory"].rstrip("/") + "/"}
    if env == "mutation":
        return mutation_writes()
    return set()


def mutation_writes() -> set[str]:
    """``scripts/mutation.py``'s output folder (its ``--output`` default) and the
    files it names there."""
    source = (ROOT / "scripts" / "mutation.py").read_text()
    folder = None
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", "") == "add_argument"
            and node.args
            and getattr(node.args[0], "value", None) == "--output"
        ):
            default = next(k.value for k in node.keywords if k.arg == "default")
            folder = ast.literal_eval(default.args[0])  # Path("results/mutation")
    assert folder, "scripts/mutation.py: no --output default"
    names = {"scores.json", "survivors.md"}
    assert all(f'"{name}"' in source for name in names)
    return {f"{folder}/{name}" for name in names} | {f"{folder}/*.log"}


CI_METRICS_OUTPUTS = {
    # verb (and action) -> the attributes of its parsed arguments that it writes
    ("plan",): ("output_dir/",),
    ("collect",): ("output",),
    ("report",): ("output_dir/",),
    ("post",): ("artifact",),
    ("baseline", "merge"): ("baseline", "durations"),
    ("baseline", "fetch"): ("baseline", "durations"),
}


def ci_metrics_writes(argv: list[str]) -> set[str]:
    verbs = build_parser()._subparsers._group_actions[0].choices  # argparse keeps them here
    args = verbs[argv[1]].parse_args(argv[2:])
    key = (argv[1], getattr(args, "action", None))
    outputs = CI_METRICS_OUTPUTS.get(key[:1] if key[1] is None else key, ())
    written = set()
    for attribute in outputs:
        is_folder = attribute.endswith("/")
        value = getattr(args, attribute.rstrip("/"))
        written.add(Path(value).as_posix() + ("/" if is_folder else ""))
    return written


def expand(arg: str, env: dict[str, str]) -> str:
    match = ENV_VAR.match(arg)
    return as_glob(env.get(match.group(1), "*")) if match else arg


def written_by(workflow: str, job: dict) -> set[str]:
    """Every path the job's run steps (and the tools they call) write."""
    written: set[str] = set()
    for step in steps(workflow, job):
        if "run" not in step:
            continue
        env = {**job_env(workflow, job), **step.get("env", {})}
        argv = [expand(arg, env) for arg in shlex.split(step["run"])]
        if argv[0] == "ci-metrics":
            written |= ci_metrics_writes(argv)
        elif argv[:2] == ["tox", "run"]:
            for env_name in argv[argv.index("-e") + 1].split(","):
                written |= tox_writes(env_name)
            if "--result-json" in argv:
                written.add(argv[argv.index("--result-json") + 1])
    return written


def is_written(path: str, written: set[str]) -> bool:
    path = as_glob(path)
    if path.endswith("/"):  # a folder: something is written inside it
        return any(overlaps(w, path + "*") or w == path for w in written)
    return any(overlaps(path, w) or (w.endswith("/") and overlaps(path, w + "*")) for w in written)


def all_jobs():
    for workflow in WORKFLOW_NAMES:
        for name, job in jobs(workflow).items():
            yield workflow, name, job


# -- the checks -----------------------------------------------------------------------


@pytest.mark.parametrize(("workflow", "name", "job"), list(all_jobs()), ids=lambda v: str(v))
def test_workflows__every_uploaded_path_is_written_by_a_step_or_tool_of_the_job(
    workflow, name, job
):
    if job.get("uses") == LAYER_WORKFLOW:
        return  # checked as tox-layer.yml's own job
    written = written_by(workflow, job)
    for step in uploads(workflow, job):
        for line in str(step["with"]["path"]).splitlines():
            path = line.strip()
            if path and not path.startswith("!"):
                assert is_written(path, written), (
                    f"{workflow}/{name}: uploads {path}, which no step writes "
                    f"(written: {sorted(written)})"
                )


def test_workflows__the_upload_check_knows_the_paths_the_tools_write():
    """The derived paths are the real ones (and a wrong upload would be caught)."""
    layer_job = jobs("tox-layer.yml")["test"]
    written = written_by("tox-layer.yml", layer_job)
    assert "results/coverage/layers/.coverage.LAYER-py**" in written
    assert is_written("results/LAYER/", written)
    assert not is_written("results/coverage/.coverage", written)
    report = written_by("ci.yml", jobs("ci.yml")["report"])
    assert {
        "results/ci_metrics/snapshot.json",
        "results/report/",
        "results/report/comment-artifact.json",
        "results/coverage/html/",
    } <= report
    assert not is_written("results/snapshot.json", report)  # the path once uploaded by mistake


@pytest.mark.parametrize(("workflow", "name", "job"), list(all_jobs()), ids=lambda v: str(v))
def test_workflows__every_needed_job_is_used(workflow, name, job):
    """A job waits only for jobs whose outputs, result or artifacts it uses."""
    needs = job.get("needs", [])
    needs = [needs] if isinstance(needs, str) else needs
    text = json.dumps(job)
    if "toJSON(needs)" in text:  # all-green: judges every job it needs
        return
    for dep in needs:
        made = [artifact_pattern(s) for s in uploads(workflow, jobs(workflow)[dep])]
        taken = [artifact_pattern(s) for s in downloads(workflow, job)]
        used = f"needs.{dep}." in text or any(overlaps(a, b) for a in made for b in taken)
        assert used, f"{workflow}/{name} needs {dep} but uses nothing of it: drop it"


@pytest.mark.parametrize(("workflow", "name", "job"), list(all_jobs()), ids=lambda v: str(v))
def test_workflows__every_artifact_downloaded_is_uploaded_by_a_needed_job(workflow, name, job):
    needs = job.get("needs", [])
    needs = [needs] if isinstance(needs, str) else needs
    made = [artifact_pattern(s) for dep in needs for s in uploads(workflow, jobs(workflow)[dep])]
    for step in downloads(workflow, job):
        wanted = artifact_pattern(step)
        assert any(overlaps(wanted, m) for m in made), (
            f"{workflow}/{name}: downloads {wanted}, which no job it needs uploads"
        )


@pytest.mark.parametrize("workflow", CALLERS)
def test_layer_jobs__wait_for_the_plan_alone(workflow):
    """The layers wait only for the job that makes their matrix; tox-layer.yml is one job."""
    for name, job in jobs(workflow).items():
        if job.get("uses") == LAYER_WORKFLOW:
            assert job["needs"] == "plan", f"{workflow}/{name}"
            assert "needs" not in jobs(workflow)["plan"]
    assert list(jobs("tox-layer.yml")) == ["test"]
    assert "needs" not in jobs("tox-layer.yml")["test"]


def test_ci__the_report_waits_for_the_plan_the_layers_and_the_baseline_only():
    ci = jobs("ci.yml")
    layer_jobs = {n for n, j in ci.items() if j.get("uses") == LAYER_WORKFLOW}
    assert set(ci["report"]["needs"]) == layer_jobs | {"baseline", "plan"}


def fetch_step(workflow: str, job: str) -> dict:
    return next(
        s
        for s in jobs(workflow)[job]["steps"]
        if s.get("run", "").startswith("ci-metrics baseline fetch")
    )


@pytest.mark.parametrize(
    ("workflow", "job"), [("ci.yml", "baseline"), ("baseline.yml", "previous")]
)
def test_baseline_jobs__say_whether_they_found_one_and_upload_only_then(workflow, job):
    step = fetch_step(workflow, job)
    found = f"steps.{step['id']}.outputs.found"
    assert jobs(workflow)[job]["outputs"] == {"found": f"${{{{ {found} }}}}"}
    (upload,) = uploads(workflow, jobs(workflow)[job])
    assert upload["if"] == f"{found} == 'true'"
    assert upload["with"]["if-no-files-found"] == "error"


@pytest.mark.parametrize(
    ("workflow", "job", "source"),
    [("ci.yml", "report", "baseline"), ("baseline.yml", "record", "previous")],
)
def test_baseline_downloads__are_skipped_when_none_was_found(workflow, job, source):
    (name,) = {artifact_pattern(s) for s in uploads(workflow, jobs(workflow)[source])}
    taking = [s for s in downloads(workflow, jobs(workflow)[job]) if artifact_pattern(s) == name]
    assert taking
    for step in taking:
        assert step["if"] == f"needs.{source}.outputs.found == 'true'"


def test_tox_layer__a_sharded_layer_fetches_its_durations_itself():
    """Only a layer split into shards pays for the baseline's durations, in its own job,
    with the callers' durations env: ci-metrics at uv.lock's versions, through tox."""
    job = jobs("tox-layer.yml")["test"]
    (fetch,) = [s for s in job["steps"] if s.get("name") == "fetch durations"]
    assert fetch["if"] == "inputs.shards > 1 && inputs.durations-env != ''"
    assert fetch["run"] == 'tox run -e "$DURATIONS_ENV"'
    assert job["env"]["DURATIONS_ENV"] == "${{ inputs.durations-env }}"
    assert "--durations-path .test_durations" in job["env"]["PYTEST_ADDOPTS"]
    assert job["permissions"] == {"contents": "read", "actions": "read"}
    calls = [*layer_jobs("ci.yml").values(), *layer_jobs("baseline.yml").values()]
    assert {call["with"]["durations-env"] for call in calls} == {"durations"}
    command = tox_config()["testenv:durations"]["commands"].split()
    assert command[-2:] == ["--durations", ".test_durations"]
    assert command[:5] == ["python", "-m", "ci_metrics", "baseline", "fetch"]
