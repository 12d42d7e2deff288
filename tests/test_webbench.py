"""The "Benchmark this device" page in a real browser: its assets built into a temp folder
(render/build/webbench.py, SqueezeNet 1.1 only), served on 127.0.0.1, driven in headless Chromium
(Debian's package, launched as tests/test_browser.py does) to benchmark SqueezeNet 1.1 on
WebAssembly with a two-second budget. The downloaded file passes the checks of `nnkb validate`
and `nnkb check-results`, and the page's output on its seeded input agrees with native ONNX
Runtime's output on the same input (made in Python by webbench.web_input).
"""

from __future__ import annotations

import json
import math
import re
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest

from browser_env import CHROMIUM, HOW
from nnkb.bench.keys import row_key
from nnkb.check_results import check_files
from nnkb.render.build import webbench
from nnkb.render.build.site import build_context
from nnkb.results import check_results_file, read

ROOT = Path(__file__).resolve().parent.parent
MODEL = "squeezenet-1-1"
# The page's output on the seeded input against native ONNX Runtime's on the same input:
# both run the same FP32 graph, with other kernels (WebAssembly SIMD against AVX2/AVX-512)
# and other summation orders, so they agree to float32 rounding, not bit for bit (3e-7 of the
# largest logit in headless Chromium on x86-64 against ONNX Runtime 1.32 with AVX2).
TOLERANCE = 1e-4  # max |web - native| / max |native|

pytestmark = pytest.mark.slow

if not CHROMIUM.is_file():
    pytest.skip(f"no Chromium at {CHROMIUM}: {HOW}", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason=f"no Playwright: {HOW}")
if not (ROOT / "node_modules" / webbench.PACKAGE / "package.json").is_file():
    pytest.skip(
        f"no node_modules/{webbench.PACKAGE}: run `npm ci` (or `make npm`)", allow_module_level=True
    )


class _Handler(SimpleHTTPRequestHandler):
    # Python 3.11's mimetypes knows neither: browsers refuse modules and streaming wasm
    # served as anything else.
    extensions_map = {  # noqa: RUF012 - the base class declares it an instance variable
        **SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".wasm": "application/wasm",
    }

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The page (its script and assets; a bare HTML page around the same container) served
    on 127.0.0.1."""
    site = tmp_path_factory.mktemp("webbench")
    page = site / webbench.PAGE_DIR
    context = build_context(ROOT / "kb")  # the committed results: what the page compares with
    webbench.build(context.kb, ROOT, page, only=[MODEL], site=context)
    for name in ("webbench.js", "coi-sw.js"):
        shutil.copy(ROOT / "docs" / "benchmark" / name, page / name)
    (page / "index.html").write_text(
        '<!doctype html><meta charset="utf-8"><title>Benchmark this device</title>'
        '<div id="nnkb-webbench"></div><script type="module" src="webbench.js"></script>\n'
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{webbench.PAGE_DIR}/", page
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def run(served: tuple[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One benchmark of SqueezeNet 1.1 on WebAssembly: the downloaded file and the page's
    state."""
    url, page_dir = served
    outside: list[str] = []
    errors: list[str] = []

    def stop_outside(route: Any) -> None:
        if urlsplit(route.request.url).scheme not in ("data", "blob"):
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        context = browser.new_context(accept_downloads=True)
        context.route(re.compile(r"^(?!http://127\.0\.0\.1[:/]).*"), stop_outside)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url, wait_until="load")
        # The page reloads itself once under its service worker (cross-origin isolation).
        page.locator("#nnkb-wb-start").wait_for(timeout=60000)
        for box in page.locator("#nnkb-wb-models input").all():
            box.set_checked(box.get_attribute("value") == MODEL)
        page.fill("#nnkb-wb-budget", "2")
        page.click("#nnkb-wb-start")
        page.wait_for_function("window.nnkbWebBench.done", timeout=180000)
        state = page.evaluate(
            "({outputs: window.nnkbWebBench.outputs, threads: window.nnkbWebBench.threads,"
            " isolated: window.crossOriginIsolated,"
            " status: document.getElementById('nnkb-wb-status').textContent,"
            " standing: document.getElementById('nnkb-wb-standing').innerText})"
        )
        with page.expect_download() as info:
            page.click("#nnkb-wb-download a")
        download = info.value
        path = tmp_path_factory.mktemp("download") / download.suggested_filename
        download.save_as(path)
        browser.close()
    return {"path": path, "state": state, "outside": outside, "errors": errors, "dir": page_dir}


def test_the_page_loads_nothing_from_elsewhere(run: dict[str, Any]) -> None:
    assert run["outside"] == []
    assert run["errors"] == []


def test_the_downloaded_file_passes_the_results_checks(run: dict[str, Any]) -> None:
    path: Path = run["path"]
    problems, _ = check_results_file(path)
    assert problems == [], [p.line_text() for p in problems]
    findings = check_files([path], ROOT / "kb")
    # The machine id the page made is the one nnkb.bench.machine.machine_id makes: no
    # warning; nor any other (harness version, runtime version, plausibility).
    assert [f.line_text() for f in findings] == []
    results = read(path)
    assert results.machine.id.startswith("browser-")
    assert results.machine.hardware.browser is not None
    assert results.machine.hardware.browser.backend == "wasm"


def test_the_row_is_squeezenet_on_webassembly_with_a_finite_median(run: dict[str, Any]) -> None:
    results = read(run["path"])
    (row,) = results.rows
    assert (row.model, row.runtime, row.status) == (MODEL, webbench.PACKAGE, "ok"), row.reason
    assert row.settings["backend"] == "wasm"
    assert row.latency is not None
    assert math.isfinite(row.latency.p50) and row.latency.p50 > 0
    assert row.latency.n >= 10
    manifest = json.loads((run["dir"] / "manifest.json").read_text())
    (model,) = manifest["models"]
    # The bytes the page ran are the bytes `nnkb bench` measured (its rows' sha256).
    native = read(ROOT / "kb" / "results" / "amd-epyc-2c-linux-03102ef5.json")
    assert row.model_sha256 == model["sha256"]
    assert model["sha256"] in {r.model_sha256 for r in native.rows if r.model == MODEL}
    # The key is the one nnkb.bench.keys.row_key gives for the same identity.
    assert row.key == row_key(
        MODEL,
        row.model_sha256,
        row.runtime,
        row.runtime_version,
        row.settings,
        row.inputs or {},
        manifest["harness"]["input_seed"],
        row.harness_version,
    )


def test_the_output_agrees_with_native_onnx_runtime(run: dict[str, Any]) -> None:
    import onnxruntime as ort

    manifest = json.loads((run["dir"] / "manifest.json").read_text())
    (model,) = manifest["models"]
    feeds = {
        name: webbench.web_input(name, shape, manifest["harness"]["input_seed"])
        for name, shape in model["inputs"].items()
    }
    session = ort.InferenceSession(
        str(run["dir"] / model["file"]), providers=["CPUExecutionProvider"]
    )
    (name,) = [o.name for o in session.get_outputs()]
    (native,) = session.run([name], feeds)
    web = run["state"]["outputs"][MODEL][name]
    assert web["dims"] == list(native.shape)
    got = np.asarray(web["data"], dtype=np.float32).reshape(native.shape)
    error = float(np.max(np.abs(got - native)) / np.max(np.abs(native)))
    assert error <= TOLERANCE, error


def test_the_result_is_set_beside_the_sites_machines(run: dict[str, Any]) -> None:
    """After a run the page says where the device stands: the same model's native medians on
    the site's machines, the closest of them and what the site recommends there, and that a
    browser figure is an indication."""
    standing = run["state"]["standing"]
    assert "Where your device stands" in standing
    assert "indication, not a native measurement" in standing
    manifest = json.loads((run["dir"] / "manifest.json").read_text())
    native = manifest["standings"][MODEL]["native"]
    assert native and all(n["label"] in standing for n in native)
    assert "Closest measured machine: " in standing
