"""`make site` reruns a step only when one of its inputs changed since it last passed: the
validator, the bench (whose planning alone costs seconds) and the mkdocs build. The Makefile
runs here in a folder of its own with stand-in `nnkb` and `mkdocs` that log their calls."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOL = """#!/bin/sh
echo "$(basename "$0") $1" >> "{log}"
if [ "$(basename "$0")" = mkdocs ]; then mkdir -p site; fi
"""

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    for folder in ("kb/models", "kb/results", "scripts/nnkb", "docs", "bin"):
        (repo / folder).mkdir(parents=True)
    shutil.copy(ROOT / "Makefile", repo / "Makefile")
    for name in ("requirements.lock", "requirements-models.txt", "pyproject.toml", "mkdocs.yml",
                 "kb/models/m.yaml", "kb/results/machine.json", "scripts/nnkb/cli.py",
                 "docs/index.md", "package.json", "package-lock.json"):  # fmt: skip
        (repo / name).write_text("x\n")
    for tool in ("nnkb", "mkdocs"):
        (repo / "bin" / tool).write_text(TOOL.format(log=repo / "calls.log"))
        (repo / "bin" / tool).chmod(0o755)
    past = time.time() - 100  # every input older than the install stamp made below
    for path in repo.rglob("*"):
        os.utime(path, (past, past))
    (repo / "installed").touch()
    # `npm ci` already ran (make's npm stamp newer than package-lock.json).
    (repo / "node_modules").mkdir()
    (repo / "node_modules" / ".package-lock.json").touch()
    return repo


def make_site(repo: Path) -> list[str]:
    """The tools `make site` ran this time."""
    log = repo / "calls.log"
    log.write_text("")
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    result = subprocess.run(
        ["make", "-s", "site", f"BIN={repo / 'bin'}", f"STAMP={repo / 'installed'}"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return log.read_text().splitlines()


def touch(path: Path) -> None:
    later = time.time() + 10  # newer than every stamp, whatever the file system's resolution
    os.utime(path, (later, later))


def test_a_second_make_site_with_nothing_changed_runs_nothing(repo):
    assert make_site(repo) == ["nnkb validate", "nnkb bench", "mkdocs build"]
    assert make_site(repo) == []


def test_a_changed_kb_entry_reruns_every_step(repo):
    make_site(repo)
    touch(repo / "kb" / "models" / "m.yaml")
    assert make_site(repo) == ["nnkb validate", "nnkb bench", "mkdocs build"]


def test_new_results_rerun_the_bench_and_the_build_but_not_the_validator(repo):
    # The bench writes results after validating; the site's hook validates what changed.
    make_site(repo)
    touch(repo / "kb" / "results" / "machine.json")
    assert make_site(repo) == ["nnkb bench", "mkdocs build"]


def test_a_docs_edit_rebuilds_the_site_only(repo):
    make_site(repo)
    touch(repo / "docs" / "index.md")
    assert make_site(repo) == ["mkdocs build"]
