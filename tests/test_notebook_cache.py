"""The build cache: a notebook runs again only when what it reads changed; a second build of an
unchanged site executes nothing; the notebook page shows no path of the build machine."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nnkb.render.build import buildcache
from nnkb.render.build.notebook import NotebookError, executed_notebook

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_KB = ROOT / "tests" / "fixtures" / "site_kb"
ENV = "python 3 test\npackage==1"  # a fixed environment fingerprint: the tests change it


class CountingRunner:
    """Stands in for nbclient: writes the source as the executed copy and counts the runs."""

    def __init__(self) -> None:
        self.runs = 0

    def __call__(self, source: Path, target: Path, kb_root: Path) -> None:
        self.runs += 1
        target.write_bytes(source.read_bytes())


@pytest.fixture
def setup(tmp_path):
    kb = tmp_path / "kb"
    shutil.copytree(FIXTURE_KB, kb)
    notebook = tmp_path / "docs" / "notebooks" / "nb.ipynb"
    notebook.parent.mkdir(parents=True)
    notebook.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                    "nbformat_minor": 5}))  # fmt: skip
    return kb, notebook, tmp_path / "cache" / "notebooks"


def test_unchanged_inputs_reuse_the_executed_copy(setup):
    kb, notebook, cache = setup
    runner = CountingRunner()
    first, ran_first = executed_notebook(notebook, kb, cache, runner, ENV)
    second, ran_second = executed_notebook(notebook, kb, cache, runner, ENV)
    assert (ran_first, ran_second) == (True, False)
    assert first == second and first.is_file() and first.parent == cache
    assert runner.runs == 1


@pytest.mark.parametrize("change", ["results", "kb entry", "notebook", "environment", "new file"])
def test_a_changed_input_runs_the_notebook_again(setup, change):
    kb, notebook, cache = setup
    runner = CountingRunner()
    old, _ = executed_notebook(notebook, kb, cache, runner, ENV)
    env = ENV
    if change == "results":
        results = kb / "results" / "fixture-machine.json"
        results.write_text(results.read_text().replace('"ok"', '"failed"', 1))
    elif change == "kb entry":
        entry = next((kb / "models").glob("*.yaml"))
        entry.write_text(entry.read_text() + "\n# edited\n")
    elif change == "notebook":
        notebook.write_text(notebook.read_text().replace('"cells": []', '"cells": [] '))
    elif change == "environment":
        env = ENV.replace("package==1", "package==2")
    else:
        (kb / "results" / "another-machine.json").write_text("{}")
    new, ran = executed_notebook(notebook, kb, cache, runner, env)
    assert ran and new != old and runner.runs == 2
    assert not old.exists(), "the copy under the old key should be removed"


def test_lock_and_dot_files_do_not_count(setup):
    kb, notebook, cache = setup
    runner = CountingRunner()
    executed_notebook(notebook, kb, cache, runner, ENV)
    (kb / "results" / ".fixture-machine.json.lock").write_text("")
    _, ran = executed_notebook(notebook, kb, cache, runner, ENV)
    assert not ran


def test_a_failed_run_leaves_nothing_in_the_cache(setup):
    kb, notebook, cache = setup

    def failing(source: Path, target: Path, kb_root: Path) -> None:
        target.write_text("half written")
        raise NotebookError("cell 3 raised")

    with pytest.raises(NotebookError):
        executed_notebook(notebook, kb, cache, failing, ENV)
    assert list(cache.iterdir()) == []
    runner = CountingRunner()
    _, ran = executed_notebook(notebook, kb, cache, runner, ENV)
    assert ran


def test_a_truncated_cache_entry_is_a_miss(tmp_path):
    buildcache.store(tmp_path, "k1", {"pages": {"a.md": "# A"}})
    assert buildcache.load(tmp_path, "k1") == {"pages": {"a.md": "# A"}}
    entry = tmp_path / "k1.pickle"
    entry.write_bytes(entry.read_bytes()[:5])
    assert buildcache.load(tmp_path, "k1") is None
    buildcache.store(tmp_path, "k2", 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k2.pickle"]


# --- real builds ---------------------------------------------------------------------------

NOTEBOOK = {
    "cells": [
        {"cell_type": "markdown", "id": "a1", "metadata": {}, "source": ["# Tiny\n"]},
        {
            "cell_type": "code", "execution_count": None, "id": "b2", "metadata": {},
            "outputs": [],
            "source": ["import os\n", "from pathlib import Path\n",
                       "n = len(list((Path(os.environ['NNKB_KB']) / 'results').glob('*.json')))\n",
                       "print(f'results files: {n}')\n"],
        },
    ],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                "name": "python3"}},
    "nbformat": 4, "nbformat_minor": 5,
}  # fmt: skip


def build(config: Path, kb: Path, site: Path, cache: Path | None = None):
    env = {**os.environ, "NNKB_KB": str(kb), "NO_MKDOCS_2_WARNING": "1"}
    env.pop("NNKB_BUILD_CACHE", None)
    if cache is not None:
        env["NNKB_BUILD_CACHE"] = str(cache)
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)]
    result = subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=600, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


@pytest.mark.slow
def test_second_build_of_an_unchanged_site_executes_nothing(tmp_path, site_config, kb_copy):
    kb = kb_copy(tmp_path / "kb", FIXTURE_KB)
    work = tmp_path / "work"
    work.mkdir()
    config = site_config(work)
    (work / "docs" / "notebooks").mkdir()
    (work / "docs" / "notebooks" / "tiny.ipynb").write_text(json.dumps(NOTEBOOK))
    with config.open("a") as out:
        out.write("  - notebooks/tiny.ipynb\n")
    first = build(config, kb, tmp_path / "site")
    assert "nnkb: notebook notebooks/tiny.ipynb executed" in first
    assert "nnkb: generated pages rendered" in first
    page = tmp_path / "site" / "notebooks" / "tiny" / "index.html"
    assert "results files: 1" in page.read_text()
    page.unlink()
    second = build(config, kb, tmp_path / "site")
    assert "nnkb: notebook notebooks/tiny.ipynb from the cache" in second
    assert "nnkb: generated pages from the build cache" in second
    assert "executed" not in second and "Kernel is running" not in second
    assert "results files: 1" in page.read_text()
    # The caches are beside the fixture's mkdocs.yml, and nothing was written into docs/.
    assert len(list((work / ".cache" / "nnkb" / "notebooks").glob("*.ipynb"))) == 1
    assert sorted(p.name for p in (work / "docs" / "notebooks").iterdir()) == ["tiny.ipynb"]


@pytest.mark.slow
def test_real_notebook_page_shows_no_build_path_and_links_methodology(tmp_path):
    build(ROOT / "mkdocs.yml", ROOT / "kb", tmp_path / "site", cache=tmp_path / "cache")
    site = tmp_path / "site"
    page = (site / "notebooks" / "reproduce" / "index.html").read_text(encoding="utf-8")
    assert str(ROOT) not in page and str(Path.home()) + "/" not in page
    assert "kb: " in page  # the KB path, relative to the repository
    links = set(re.findall(r'href="([^"]*methodology[^"]*)"', page))
    assert links == {"../../methodology/"}
    assert (site / "notebooks" / "reproduce" / "../../methodology/index.html").resolve().is_file()


def test_bytecode_and_dot_files_are_not_content(tmp_path):
    import hashlib

    def digest() -> str:
        hasher = hashlib.sha256()
        buildcache.hash_tree(hasher, "x", tmp_path)
        return hasher.hexdigest()

    (tmp_path / "a.py").write_text("x = 1\n")
    before = digest()
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / ".a.py.swp").write_bytes(b"\0")
    assert digest() == before
    (tmp_path / "a.py").write_text("x = 2\n")
    assert digest() != before
