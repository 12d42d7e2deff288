"""A results file made by the "Benchmark this device" page (tests/fixtures/browser_results/,
downloaded by tests/test_webbench.py): the checks of `nnkb validate` and `nnkb check-results`
accept it, and the site shows it as its own runtime on its own machine page, never in the
frame that rankings and recommendations read."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from nnkb.bench.machine import machine_id
from nnkb.check_results import check_files
from nnkb.render.build.site import build_context
from nnkb.render.build.webbench import _mulberry32, web_input
from nnkb.render.pages.browser import web_label
from nnkb.render.pages.machines import machine_pages
from nnkb.render.shared.page import MACHINES_INDEX, machine_path
from nnkb.results import check_results_file, read
from nnkb.validate import check_kb

FIXTURES = Path(__file__).parent / "fixtures"
(BROWSER_FILE,) = sorted((FIXTURES / "browser_results").glob("*.json"))


def test_the_checks_accept_a_browser_results_file() -> None:
    problems, _ = check_results_file(BROWSER_FILE)
    assert problems == []
    findings = check_files([BROWSER_FILE], FIXTURES / "valid_kb")
    assert [f.line_text() for f in findings] == []


def test_the_machine_id_is_the_one_the_fingerprint_gives() -> None:
    results = read(BROWSER_FILE)
    # The page (webbench.js) and nnkb.bench.machine.machine_id make the same id.
    assert machine_id(results.machine.hardware) == results.machine.id == BROWSER_FILE.stem
    assert results.machine.id.startswith("browser-chromium-linux-")


def test_a_browser_file_reads_and_writes_back_as_it_was() -> None:
    results = read(BROWSER_FILE)
    again = type(results).from_json(results.to_json(), BROWSER_FILE)
    assert again.machine == results.machine
    assert again.machine.hardware.browser is not None
    assert again.machine.hardware.browser.backend == "wasm"


def test_the_site_shows_browser_rows_apart(tmp_path: Path, kb_copy: Callable[..., Path]) -> None:
    kb = kb_copy(tmp_path / "kb")
    shutil.copy(BROWSER_FILE, kb / "results" / BROWSER_FILE.name)
    assert check_kb(kb).problems == []
    site = build_context(kb)
    stem = BROWSER_FILE.stem
    assert [r.machine.id for r in site.browser_files] == [stem]
    assert stem not in set(site.frame["machine"])  # no ranking or recommendation sees it
    assert "onnxruntime-web" not in set(site.frame["runtime"])
    pages = machine_pages(site)
    page = pages[machine_path(stem)]
    assert "ONNX Runtime Web · WebAssembly" in page
    assert "never ranked against native ones" in page
    assert "## Measured in a browser" in pages[MACHINES_INDEX]


def test_web_labels_name_the_backend() -> None:
    assert web_label("onnxruntime-web", {"backend": "webgpu"}) == "ONNX Runtime Web · WebGPU"
    assert web_label("onnxruntime", {}) == "onnxruntime"


def test_the_page_inputs_are_mulberry32_normals() -> None:
    # mulberry32's first outputs for state 0, as webbench.js's mulberry32 gives them.
    assert _mulberry32(0, 3) == [1144304738, 1416247, 958946056]
    values = web_input("input", (1, 3, 8, 8), 0)
    assert values.dtype.name == "float32" and values.shape == (1, 3, 8, 8)
    assert abs(float(values.mean())) < 0.5 and 0.5 < float(values.std()) < 1.5


def test_without_npm_the_page_says_how_to_enable_it(tmp_path: Path) -> None:
    from nnkb.kb import load_kb
    from nnkb.render.build import webbench

    repo = tmp_path / "repo"  # a checkout where `npm ci` never ran: no node_modules
    repo.mkdir()
    manifest = json.loads(
        webbench.build(load_kb(FIXTURES / "valid_kb"), repo, tmp_path / "benchmark").read_text()
    )
    assert manifest["runtime"] is None and manifest["models"] == []
    assert "npm ci" in manifest["missing"]
    assert not (tmp_path / "benchmark" / "ort").exists()
