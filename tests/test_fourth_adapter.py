"""Adding a runtime is one adapter file (and a framework entry naming it), nothing else.

The package, a fixture KB, mkdocs.yml and docs/ are copied to a temporary repository; one
adapter file is dropped into the copy's bench/runtimes/ (ONNX Runtime with basic graph
optimisation only) and one framework YAML into its kb/frameworks/. Then every stage, run from
the copy as a separate process, includes the new runtime: the plan, the bench (with the FP32
reference check), the validator and the strict site build.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from nnkb import results

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_KB = ROOT / "tests" / "fixtures" / "site_kb"
NAME = "onnxruntime-basic"
DISPLAY = "ONNX Runtime basic"
# A sentence only the new adapter says: the methodology page must carry it.
MARKER = "only its basic graph optimisations"

ADAPTER_FILE = f'''"""ONNX Runtime, CPU execution provider, basic graph optimisations only."""

from __future__ import annotations

from typing import Any

from .onnxruntime import OnnxRuntime


class OnnxRuntimeBasic(OnnxRuntime):
    name = "{NAME}"
    display_name = "{DISPLAY}"
    reference = False  # ONNX Runtime with every optimisation off stays the reference
    methodology = (
        "**{DISPLAY}** (adapter `{NAME}`) is ONNX Runtime with {MARKER} "
        "(`ORT_ENABLE_BASIC`: constant folding and redundant node removal, no fusions)."
    )

    def settings(self) -> dict[str, Any]:
        return {{**super().settings(), "graph_optimization_level": "ORT_ENABLE_BASIC"}}


ADAPTER = OnnxRuntimeBasic()
'''

FRAMEWORK_FILE = f"""# yaml-language-server: $schema=../../scripts/nnkb/schemas/framework.schema.json
name: ONNX Runtime with basic optimisation
kind: inference-runtime
maintainer: Microsoft
status: active
summary: ONNX Runtime limited to its basic graph optimisations.
description: The same runtime as ONNX Runtime, with constant folding and no operator fusion.
website: https://onnxruntime.ai
licence: MIT
platforms:
  values: [linux]
  source: {{title: "ONNX Runtime install", url: "https://onnxruntime.ai/docs/install/"}}
onnx:
  exports: false
  runs: true
  source: {{title: "ONNX Runtime", url: "https://onnxruntime.ai/docs/"}}
hardware:
  values: [x86-cpu]
  source: {{title: "Execution providers", url: "https://onnxruntime.ai/docs/execution-providers/"}}
install:
  linux: pip install onnxruntime
  source: {{title: "ONNX Runtime install", url: "https://onnxruntime.ai/docs/install/"}}
benchmark_adapters: [{NAME}]
sources:
  - {{title: "Graph optimizations", url: "https://onnxruntime.ai/docs/performance/model-optimizations/graph-optimizations.html"}}
"""


def run(repo: Path, *args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    """A command run from the copy: its package on the path, its folder as the cwd."""
    env = {
        **os.environ,
        "PYTHONPATH": str(repo / "scripts"),
        "NNKB_CACHE": str(cache),
        "NO_MKDOCS_2_WARNING": "1",
        # The site config sits in a folder of its own (conftest's fixture_site_config), so the
        # KB is named rather than found beside it.
        "NNKB_KB": str(repo / "kb"),
    }
    env.pop("NNKB_EXTRA_ADAPTERS", None)
    return subprocess.run(
        [sys.executable, *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """The copy, with the two new files dropped in and nothing else changed."""
    repo = tmp_path_factory.mktemp("fourth-adapter") / "repo"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "scripts", repo / "scripts", ignore=ignore)
    shutil.copytree(FIXTURE_KB, repo / "kb")
    shutil.copytree(ROOT / "docs", repo / "docs")
    shutil.copy(ROOT / "mkdocs.yml", repo / "mkdocs.yml")
    (repo / "scripts" / "nnkb" / "bench" / "runtimes" / f"{NAME}.py").write_text(ADAPTER_FILE)
    (repo / "kb" / "frameworks" / "onnx-runtime-basic.yaml").write_text(FRAMEWORK_FILE)
    return repo


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fourth-adapter-cache")


@pytest.fixture(scope="module")
def benched(repo, cache) -> Path:
    """The copy's results file after benchmarking one model on the new runtime."""
    done = run(
        repo,
        "-m",
        "nnkb.cli",
        "bench",
        "--kb",
        "kb",
        "--models",
        "squeezenet-1-1",
        "--runtimes",
        NAME,
        "--row-budget",
        "0.3",
        cache=cache,
    )
    assert done.returncode == 0, done.stderr
    written = [
        p for p in (repo / "kb" / "results").glob("*.json") if p.name != "fixture-machine.json"
    ]
    assert len(written) == 1, done.stdout
    return written[0]


def test_the_copy_discovers_the_adapter_without_a_registration_line(repo, cache):
    code = (
        "from nnkb.bench.runtimes import load_adapters, reference_adapter\n"
        "a = load_adapters()\n"
        "print(sorted(a), reference_adapter(a).name)\n"
        f"print(a['{NAME}'].label(a['{NAME}'].settings()))\n"
    )
    done = run(repo, "-c", code, cache=cache)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"['onnxruntime', '{NAME}', 'opencv', 'openvino'] onnxruntime",
        f"{DISPLAY} · FP32",  # inherits ONNX Runtime's precision variants
    ]


def test_plan_includes_the_new_runtime_for_every_model(repo, cache):
    done = run(repo, "-m", "nnkb.cli", "bench", "--kb", "kb", "--dry-run", cache=cache)
    assert done.returncode == 0, done.stderr
    for model in ("squeezenet-1-1", "resnet-18", "mobilefacenet"):
        assert f"{model} × {NAME} " in done.stdout


def test_bench_measures_the_new_runtime_against_the_fp32_reference(benched):
    results.read(benched, named=False)  # every check of nnkb validate
    data = json.loads(benched.read_text())
    # The FP32 row; it also inherits ONNX Runtime's INT8 variant.
    mine = [r for r in data["rows"] if r["runtime"] == NAME]
    # Its throughput twins (FP32, INT8: inherited from ONNX Runtime) are rows of their own.
    twins = [r for r in mine if r["settings"].get("scenario") == "throughput"]
    assert len(twins) == 2 and all(r["status"] == "ok" for r in twins), twins
    rows = [r for r in mine if r not in twins]
    (row,) = [r for r in rows if not r["settings"].get("quantizer")]
    assert [r["settings"].get("quantizer") for r in rows].count("onnxruntime") == 1
    assert row["status"] == "ok", row["reason"]
    assert row["model"] == "squeezenet-1-1"
    assert row["settings"]["graph_optimization_level"] == "ORT_ENABLE_BASIC"
    assert row["agreement"]["reference"].endswith("CPUExecutionProvider ORT_DISABLE_ALL fp32")
    assert row["agreement"]["max_abs_error"] < 1e-3
    assert data["machine"]["software"]["runtimes"][NAME] is not None


def test_validate_accepts_the_framework_naming_the_new_adapter(repo, cache, benched):
    done = run(repo, "-m", "nnkb.cli", "validate", "--kb", "kb", cache=cache)
    assert done.returncode == 0, done.stdout + done.stderr
    # An adapter the copy does not have is reported with file and line.
    framework = repo / "kb" / "frameworks" / "onnx-runtime-basic.yaml"
    original = framework.read_text()
    try:
        framework.write_text(original.replace(f"[{NAME}]", "[onnxruntime-turbo]"))
        done = run(repo, "-m", "nnkb.cli", "validate", "--kb", "kb", cache=cache)
    finally:
        framework.write_text(original)
    assert done.returncode == 1
    assert "onnx-runtime-basic.yaml:" in done.stdout and "onnxruntime-turbo" in done.stdout


@pytest.fixture(scope="module")
def site(repo, cache, benched, tmp_path_factory, site_config) -> Path:
    """`mkdocs build --strict` of the copy. The copy's concept pages link to entries the
    fixture KB does not have, so the build uses a config that inherits the copy's mkdocs.yml
    with a one-page docs folder (as tests/test_site_build.py does)."""
    work = repo / "fixture-site"
    work.mkdir()
    config = site_config(work, root=repo)
    out = tmp_path_factory.mktemp("fourth-adapter-site")
    done = run(
        repo,
        "-m",
        "mkdocs",
        "build",
        "--strict",
        "-f",
        str(config),
        "-d",
        str(out),
        cache=cache,
    )
    assert done.returncode == 0, done.stderr
    assert not [line for line in done.stderr.splitlines() if line.startswith("WARNING")]
    return out


def test_site_builds_strictly_with_the_new_runtimes_rows(site):
    table = (site / "api" / "results.csv").read_text()
    assert f",{NAME}," in table


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.hidden += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def content_text(page: Path) -> str:
    """The text a reader sees in a built page's content (not the nav), whitespace collapsed.

    Not the HTML: the abbr extension wraps every known abbreviation in the content, so the page
    holds `<abbr title="...">ONNX</abbr> Runtime basic`, never "ONNX Runtime basic"."""
    html = page.read_text()
    article = html[html.index("<article") : html.index("</article>")]
    parser = _Text()
    parser.feed(article)
    return " ".join("".join(parser.parts).split())


def test_site_names_the_new_runtime_by_its_display_name(site):
    text = content_text(site / "models" / "squeezenet-1-1" / "index.html")
    # The tables link the framework entry under its own name ("ONNX Runtime with basic
    # optimisation"); where the page names the runtime itself, in the kernel time columns and
    # the largest shares, it takes the adapter's display name.
    assert f"{DISPLAY} · FP32, " in text  # a column "ONNX Runtime basic · FP32, 49.9 ms"
    assert f"Largest share: {DISPLAY} · FP32 Conv " in text


def test_methodology_page_says_what_the_new_adapter_says(site):
    page = (site / "methodology" / "index.html").read_text()
    assert MARKER in page


def test_framework_page_names_the_adapter_it_lists(site):
    page = (site / "frameworks" / "onnx-runtime-basic" / "index.html").read_text()
    assert NAME in page
