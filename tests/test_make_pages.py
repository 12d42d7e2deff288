"""`make pages` builds the site from the committed results and benchmarks nothing.

It runs the Makefile's own `pages` target in a copy of the repository, with this test's Python
as the virtualenv, and modules that measure made unimportable in every process of the build
(mkdocs, its hook, the notebook's kernel): a build that reached the bench would fail. After
it, the copy's kb/ is byte for byte what it was, with no results file added.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What measures or fingerprints this machine; rendering needs none of it.
MEASURING = ["nnkb.bench.runner", "nnkb.bench.worker", "nnkb.bench.isolate",
             "nnkb.bench.measure", "nnkb.bench.machine"]  # fmt: skip
# Any sitecustomize of the environment is shadowed by this one: it only refuses imports.
GUARD = textwrap.dedent(
    f"""
    import sys

    class RefuseMeasuring:
        def find_spec(self, name, path=None, target=None):
            if name in {MEASURING!r}:
                raise ImportError(f"{{name}} imported while building the site: it must not benchmark")
            return None

    sys.meta_path.insert(0, RefuseMeasuring())
    """
)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_pages_builds_from_committed_results_and_benchmarks_nothing(tmp_path):
    copy = tmp_path / "repo"
    shutil.copytree(
        ROOT, copy,
        ignore=shutil.ignore_patterns(".git", ".venv", "site", ".cache", "__pycache__",
                                      ".pytest_cache", "*.egg-info"),
    )  # fmt: skip
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
    # The copy's install stamp is newer than its lock file, so make installs nothing.
    stamp = tmp_path / "installed"
    stamp.touch()
    before = snapshot(copy / "kb")
    env = {k: v for k, v in os.environ.items()
           if k not in ("NNKB_KB", "NNKB_CACHE", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")}  # fmt: skip
    env.update(
        PYTHONPATH=os.pathsep.join([str(guard), str(copy / "scripts")]),
        NO_MKDOCS_2_WARNING="1",
    )
    result = subprocess.run(
        ["make", "pages", f"BIN={Path(sys.executable).parent}", f"STAMP={stamp}"],
        cwd=copy, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "imported while building the site" not in result.stderr
    assert (copy / "site" / "index.html").is_file()
    assert (copy / "site" / "notebooks" / "reproduce" / "index.html").is_file()
    for results in (ROOT / "kb" / "results").glob("*.json"):
        assert (copy / "site" / "api" / "results" / results.name).is_file(), results.name
    after = snapshot(copy / "kb")
    assert sorted(after) == sorted(before), "make pages added or removed a file in kb/"
    assert after == before, "make pages changed a file in kb/"


def test_the_guard_refuses_the_bench(tmp_path):
    """The guard above works: with it, `nnkb bench` cannot start."""
    (tmp_path / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT / "scripts")])}
    result = subprocess.run(
        [sys.executable, "-c", "import nnkb.bench.runner"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "nnkb.bench.runner imported while building the site" in result.stderr
