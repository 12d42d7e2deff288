"""The assets of the "Benchmark this device" page (docs/benchmark/): ONNX Runtime Web and the
KB's small benchmarked models, copied into the built site with a manifest the page reads.

ONNX Runtime Web is not committed: `npm ci` installs the version package-lock.json pins into
node_modules/, and `copy_assets` copies only the files the page loads (the ES module of each
backend and the SIMD WebAssembly binary it fetches) into site/benchmark/ort/, recording each
file's sha256, the version and the licence in site/benchmark/manifest.json. Without
node_modules the manifest says so and the page tells the reader how to enable it.

The models are the files `nnkb bench` measures (nnkb.models.sources.materialize, the same
cache), so the sha256 the page checks before running is the one in the results rows.

The page's inputs come from `web_inputs`' generator (mulberry32 and Box-Muller), written
the same way in docs/benchmark/webbench.js; it is not numpy's generator, so the values
differ from the ones `nnkb bench` binds (same distribution, other numbers).
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import re
import shutil
import zlib
from pathlib import Path

import numpy as np

from ...analysis.machine_label import short_label
from ...analysis.precision import precision_name
from ...analysis.standing import native_times
from ...bench.settings import HARNESS
from ...codec import Json
from ...kb import KB, Model
from ...models.sources import default_cache_dir, materialize
from ...models.sources._common import ModelSourceError, sha256_file, write_atomic
from ..shared.page import SiteContext

log = logging.getLogger("mkdocs.hooks.nnkb")

PACKAGE = "onnxruntime-web"
# Where the page lives in the site and where its assets go beside it.
PAGE_DIR = "benchmark"
MAX_MODEL_BYTES = 15 * 10**6
# Each backend: the ES module the page imports and the files it fetches next to it. The
# module names its glue script and that script its binary (checked by `copy_assets`).
BACKENDS: dict[str, tuple[str, ...]] = {
    "wasm": ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"),
    "webgpu": (
        "ort.webgpu.min.mjs",
        "ort-wasm-simd-threaded.asyncify.mjs",
        "ort-wasm-simd-threaded.asyncify.wasm",
    ),
}
# The npm package carries no licence file; its files' headers say "Licensed under the MIT
# License", and this is the licence of the repository it is built from.
LICENSE_FILE = Path(__file__).with_name("onnxruntime-web.LICENSE")
# The harness settings the page's stopping rule uses: the ones `nnkb bench` uses.
HARNESS_KEYS = (
    "version",
    "input_seed",
    "warmup_seconds",
    "warmup_min_runs",
    "min_repetitions",
    "min_measure_seconds",
    "max_repetitions",
    "ci_level",
    "ci_target",
    "row_budget_seconds",
)
ENABLE = (
    "This build has no ONNX Runtime Web: install Node.js and npm, then run `npm ci` in the "
    "repository (`make site` runs it when npm is present) and build the site again."
)


class WebBenchError(Exception):
    """The installed package is not the pinned one, or lacks a file the page needs."""


def pinned_version(repo_root: Path) -> str | None:
    """The onnxruntime-web version package-lock.json pins, or None without a lock file."""
    lock = repo_root / "package-lock.json"
    if not lock.is_file():
        return None
    packages = json.loads(lock.read_text(encoding="utf-8")).get("packages", {})
    return packages.get(f"node_modules/{PACKAGE}", {}).get("version")


def copy_assets(repo_root: Path, out: Path) -> Json:
    """Copy the runtime's files into `out` (site/benchmark/ort/); its manifest record.
    Raises WebBenchError when node_modules holds another version or lacks a file."""
    package = repo_root / "node_modules" / PACKAGE
    meta = json.loads((package / "package.json").read_text(encoding="utf-8"))
    pinned = pinned_version(repo_root)
    if meta["version"] != pinned:
        raise WebBenchError(
            f"node_modules/{PACKAGE} is {meta['version']} but package-lock.json pins {pinned}; "
            "run `npm ci`"
        )
    files: dict[str, Json] = {}
    dist = package / "dist"
    for backend, names in BACKENDS.items():
        for name, fetched in itertools.pairwise(names):
            if fetched not in (dist / name).read_text(encoding="utf-8"):
                raise WebBenchError(f"{PACKAGE} {pinned}: {name} no longer loads {fetched}")
        for name in names:
            source = dist / name
            if not source.is_file():
                raise WebBenchError(f"{PACKAGE} {pinned} has no dist/{name} ({backend})")
            if name not in files:
                write_atomic(out / name, source)
                files[name] = {"sha256": sha256_file(source), "bytes": source.stat().st_size}
    write_atomic(out / "LICENSE", LICENSE_FILE)
    return {
        "package": PACKAGE,
        "version": meta["version"],
        "license": meta.get("license"),
        "license_file": "ort/LICENSE",
        "backends": {backend: names[0] for backend, names in BACKENDS.items()},
        "files": files,
    }


def _too_big(kb: KB, model_id: str) -> bool:
    # The committed rows already say how big a file is: resnet-50 need not be built to learn
    # that it is over the limit. INT8 rows hold their smaller derived file's size.
    from ...results import load_all

    sizes = [
        row.model_file_bytes
        for results in load_all(kb.root)
        for row in results.rows
        if row.model == model_id and row.model_file_bytes and not row.settings.get("quantizer")
    ]
    return bool(sizes) and max(sizes) > MAX_MODEL_BYTES


def web_models(kb: KB, only: list[str] | None = None) -> list[Model]:
    """The benchmarked models the page offers: an ONNX file of at most MAX_MODEL_BYTES
    (judged from the results where they have it, else from the built file)."""
    chosen = []
    for model_id in sorted(kb.models):
        spec = kb.models[model_id].onnx
        if spec is None or spec.benchmark is False or (only and model_id not in only):
            continue
        if only is None and _too_big(kb, model_id):
            continue
        chosen.append(kb.models[model_id])
    return chosen


def copy_models(kb: KB, out: Path, only: list[str] | None = None) -> list[Json]:
    """Copy the models into `out` (site/benchmark/models/); their manifest records."""
    from ...bench.inputs import input_dtypes
    from ...models.graphstats import graph_stats

    cache = default_cache_dir(kb.root)
    records = []
    for model in web_models(kb, only):
        assert model.onnx is not None
        try:
            path = materialize(model, cache)
        except ModelSourceError as exc:
            log.info("nnkb: benchmark page leaves out %s: %s", model.id, exc)
            continue
        size = path.stat().st_size
        if size > MAX_MODEL_BYTES:
            continue
        stats = graph_stats(path, model.onnx.inputs)
        write_atomic(out / f"{model.id}.onnx", path)
        records.append(
            {
                "id": model.id,
                "name": model.display_name,
                "file": f"models/{model.id}.onnx",
                "sha256": sha256_file(path),
                "bytes": size,
                "inputs": {name: list(shape) for name, shape in model.onnx.inputs.items()},
                "input_dtypes": {n: d.name for n, d in input_dtypes(path).items()},
                "parameters": stats.parameters,
                "macs": stats.macs,
                "opset": stats.opset,
                "op_histogram": stats.op_histogram,
            }
        )
    return records


def standings(site: SiteContext, model_ids: list[str]) -> dict[str, Json]:
    """Per model, what a reader's result is set beside: each native machine's ONNX Runtime
    FP32 and fastest FP32 medians with what the site recommends there for the model's use
    cases, and the committed browser measurements (analysis.standing)."""
    names = site.names
    out: dict[str, Json] = {}
    for model_id in model_ids:
        model = site.kb.models[model_id]
        native = []
        for time in native_times(site.frame, model_id):
            machine = site.machines[time.machine]
            picks = []
            for use_case in model.use_cases:
                for rec in site.analysis.recommendations.get(use_case, []):
                    if rec.machine == time.machine and rec.pick is not None:
                        precision = precision_name(rec.pick.precision) or ""
                        picks.append(
                            f"{site.kb.use_cases[use_case].name}: {names.model(rec.model)} on "
                            f"{names.runtime(rec.runtime)} {precision.upper()}".strip()
                        )
            native.append(
                {
                    "machine": time.machine,
                    "label": short_label(machine.hardware),
                    "onnxruntime_p50": time.onnxruntime_p50,
                    "fastest_p50": time.fastest_p50,
                    "fastest_runtime": names.runtime(time.fastest_runtime),
                    "recommended": picks,
                }
            )
        browsers = [
            {"machine": f.machine.id, "label": f.machine.label, "p50": row.latency.p50}
            for f in site.browser_files
            for row in f.rows
            if row.model == model_id and row.ok and row.latency is not None
        ]
        out[model_id] = {"native": native, "browser": browsers}
    return out


def build(
    kb: KB,
    repo_root: Path,
    site_page_dir: Path,
    only: list[str] | None = None,
    site: SiteContext | None = None,
) -> Path:
    """Write the page's assets and manifest.json into `site_page_dir` (site/benchmark/);
    the manifest's path. Without node_modules the manifest holds `missing` instead of the
    runtime, and no model is copied."""
    runtime: Json | None = None
    missing = None
    if (repo_root / "node_modules" / PACKAGE / "package.json").is_file():
        runtime = copy_assets(repo_root, site_page_dir / "ort")
    else:
        missing = ENABLE
        log.info("nnkb: %s", ENABLE)
    models = copy_models(kb, site_page_dir / "models", only) if runtime else []
    manifest = {
        "runtime": runtime,
        "missing": missing,
        "harness": {key: HARNESS[key] for key in HARNESS_KEYS},
        "input_generator": INPUT_GENERATOR,
        "models": models,
        # What the reader's result is set beside: the same models measured natively here.
        "standings": standings(site, [m["id"] for m in models]) if site else {},
    }
    path = site_page_dir / "manifest.json"
    write_atomic(path, (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode())
    return path


# --- the page's seeded inputs --------------------------------------------------------------

INPUT_GENERATOR = (
    "float32 standard normal (integer inputs: zeros); each input its own mulberry32 stream "
    "seeded with (input_seed * 0x9E3779B9 + crc32(input name)) mod 2**32; two uniforms "
    "u1 = (a + 1) / 2**32, u2 = b / 2**32 give z = sqrt(-2 ln u1) cos(2 pi u2) (Box-Muller, "
    "one value per pair); not numpy's generator, so the values differ from the ones `nnkb "
    "bench` binds (nnkb.render.build.webbench.web_input makes the same values in Python)"
)


def _mulberry32(state: int, count: int) -> list[int]:
    out = []
    for _ in range(count):
        state = (state + 0x6D2B79F5) & 0xFFFFFFFF
        t = state
        t = ((t ^ (t >> 15)) * (t | 1)) & 0xFFFFFFFF
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & 0xFFFFFFFF)) & 0xFFFFFFFF
        out.append((t ^ (t >> 14)) & 0xFFFFFFFF)
    return out


def web_input(name: str, shape: list[int] | tuple[int, ...], seed: int) -> np.ndarray:
    """The page's float32 input `name`: the same values webbench.js makes (to float32
    rounding of the last libm digit)."""
    count = math.prod(shape)
    state = (seed * 0x9E3779B9 + zlib.crc32(name.encode())) & 0xFFFFFFFF
    raw = np.array(_mulberry32(state, 2 * count), dtype=np.float64).reshape(count, 2)
    u1 = (raw[:, 0] + 1.0) / 2.0**32
    u2 = raw[:, 1] / 2.0**32
    z = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    return z.astype(np.float32).reshape(tuple(shape))


def hook_build(kb_root: Path, repo_root: Path, site_dir: Path) -> None:
    """What the mkdocs hook runs after a build: the assets beside the built page."""
    from .site import build_context

    if not (site_dir / PAGE_DIR).is_dir():
        return  # a build without the page (a fixture site)
    try:
        site = build_context(kb_root)
        build(site.kb, repo_root, site_dir / PAGE_DIR, site=site)
    except (OSError, ValueError, WebBenchError) as exc:
        shutil.rmtree(site_dir / PAGE_DIR / "ort", ignore_errors=True)
        raise WebBenchError(f"nnkb: benchmark page assets: {exc}") from None


# The page is cross-origin isolated (COEP require-corp, set by its service worker), and such a
# page may only start a worker whose script response carries COEP too: mkdocs-material's search
# worker, served from assets/ outside the service worker's scope, is blocked there
# (net::ERR_BLOCKED_BY_RESPONSE) and search never starts. The page starts it through a one-line
# script beside it instead, inside the scope, which imports the theme's worker.
SEARCH_WORKER = "search-worker.js"
_SEARCH_CONFIG = re.compile(r'("search":\s*")([^"]+/workers/search\.[\w.]+\.js)(")')


def isolated_search(html: str, page_dir: Path) -> str:
    """The built page starting its search worker from beside it; writes that worker."""
    found = _SEARCH_CONFIG.search(html)
    if found is None:
        return html
    page_dir.mkdir(parents=True, exist_ok=True)
    (page_dir / SEARCH_WORKER).write_text(
        "// mkdocs-material's search worker, started from inside the service worker's scope\n"
        "// (render/build/webbench.py: isolated_search).\n"
        f"importScripts({json.dumps(found.group(2))});\n",
        encoding="utf-8",
    )
    return _SEARCH_CONFIG.sub(lambda m: m.group(1) + SEARCH_WORKER + m.group(3), html, count=1)
