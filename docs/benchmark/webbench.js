// "Benchmark this device": runs the KB's small models with ONNX Runtime Web in this browser by
// the method of `nnkb bench` and writes a results file in the format `nnkb validate` checks.
// manifest.json (written by scripts/nnkb/render/build/webbench.py at build time) lists the runtime's
// files, the models with their sha256 and the harness settings. Nothing is fetched from
// another site. window.nnkbWebBench holds the state (the browser test reads it).

const here = new URL("./", import.meta.url);
const RUNTIME = "onnxruntime-web";
const BACKEND_NAMES = { wasm: "WebAssembly", webgpu: "WebGPU" };
const CONTRIBUTING = new URL("../contributing/#add-a-results-file-from-your-browser", here).href;
const state = { ready: false, running: false, done: false, rows: [], outputs: {}, results: null };
window.nnkbWebBench = state;

// ---- the seeded inputs (the same generator as nnkb.render.build.webbench.web_input) ------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(text) {
  let c = 0xffffffff;
  for (const byte of new TextEncoder().encode(text)) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// mulberry32 (Tommy Ettinger, public domain): a 32-bit state, one uint32 per call.
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const ZEROS = { int64: BigInt64Array, int32: Int32Array, uint8: Uint8Array, int8: Int8Array, bool: Uint8Array };

// [ort type, data]: float32 standard normal, integer inputs zeros (nnkb.bench.inputs).
function makeInput(name, shape, seed, dtype) {
  const count = shape.reduce((a, b) => a * b, 1);
  if (dtype && dtype !== "float32") {
    if (!ZEROS[dtype]) throw new Error(`input ${name}: no ${dtype} inputs in the browser`);
    return [dtype, new ZEROS[dtype](count)];
  }
  const next = mulberry32((Math.imul(seed, 0x9e3779b9) + crc32(name)) >>> 0);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const u1 = (next() + 1) / 2 ** 32;
    const u2 = next() / 2 ** 32;
    data[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  return ["float32", data];
}

// ---- statistics (nnkb.bench.stats) ------------------------------------------------------

function logaddexp(a, b) {
  const m = Math.max(a, b);
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

// 1-based ranks of the distribution-free interval of the median (binomial order statistics).
function medianCiRanks(n, level) {
  const alphaHalf = (1 - level) / 2;
  let logPmf = -n * Math.log(2);
  let logCdf = logPmf;
  let r = 0;
  for (let k = 0; k < n && logCdf <= Math.log(alphaHalf); k++) {
    r = k + 1;
    logPmf += Math.log(n - k) - Math.log(k + 1);
    logCdf = logaddexp(logCdf, logPmf);
  }
  return r < 1 || r > n - r + 1 ? null : [r, n - r + 1];
}

function percentile(sorted, q) {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function ciWithin(values, target, level) {
  const sorted = Float64Array.from(values).sort();
  const ranks = medianCiRanks(sorted.length, level);
  if (!ranks) return false;
  const median = percentile(sorted, 0.5);
  const low = sorted[ranks[0] - 1];
  const high = sorted[ranks[1] - 1];
  return median > 0 && median - low <= target * median && high - median <= target * median;
}

function summarize(values, converged, level) {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const ranks = medianCiRanks(n, level);
  const ci = ranks ? [sorted[ranks[0] - 1], sorted[ranks[1] - 1]] : [sorted[0], sorted[n - 1]];
  const mean = sorted.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? sorted.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return {
    n,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    mean,
    min: sorted[0],
    stdev: Math.sqrt(variance),
    ci95_low: ci[0],
    ci95_high: ci[1],
    converged,
  };
}

// ---- Python's json.dumps(sort_keys=True): the row key and the machine id hash it -------

function pyJson(value) {
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error("pyJson: only integers are hashed");
    return String(value);
  }
  if (typeof value === "string") {
    return JSON.stringify(value).replace(
      /[\u0080-\uffff]/g,
      (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
    );
  }
  if (Array.isArray(value)) return "[" + value.map(pyJson).join(", ") + "]";
  return "{" + Object.keys(value).sort().map((k) => pyJson(k) + ": " + pyJson(value[k])).join(", ") + "}";
}

async function sha256Hex(data) {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

// ---- the machine: what the browser says about the device --------------------------------

async function browserFingerprint(backend, threads) {
  const ua = navigator.userAgent;
  const data = navigator.userAgentData;
  let high = {};
  if (data && data.getHighEntropyValues) {
    try {
      high = await data.getHighEntropyValues(["architecture", "bitness", "fullVersionList", "platformVersion"]);
    } catch (_) {
      high = {};
    }
  }
  const brands = (high.fullVersionList || (data && data.brands) || []).filter((b) => !/not.?a.?brand/i.test(b.brand));
  const brand = brands.find((b) => b.brand !== "Chromium") || brands[0];
  let family;
  let version;
  if (brand) [family, version] = [brand.brand, brand.version];
  else {
    const m = ua.match(/(Firefox|Edg|Chrome|Version)\/([\d.]+)/);
    family = m ? { Edg: "Microsoft Edge", Version: "Safari" }[m[1]] || m[1] : "unknown browser";
    version = m ? m[2] : "";
  }
  const platform = (data && data.platform) || (ua.match(/Windows|Mac OS X|Android|iPhone|iPad|Linux/) || [null])[0];
  let arch = "unknown";
  if (high.architecture) arch = high.architecture === "arm" ? (high.bitness === "64" ? "aarch64" : "arm") : high.bitness === "64" ? "x86_64" : "x86";
  else if (/x86_64|x64|Win64|amd64/i.test(ua)) arch = "x86_64";
  else if (/aarch64|arm64/i.test(ua)) arch = "aarch64";
  let adapter = null;
  if (navigator.gpu) {
    try {
      const gpu = await navigator.gpu.requestAdapter();
      const info = gpu && (gpu.info || (gpu.requestAdapterInfo && (await gpu.requestAdapterInfo())));
      if (info) adapter = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(" ") || "unnamed adapter";
    } catch (_) {
      adapter = null;
    }
  }
  const cores = navigator.hardwareConcurrency || 1;
  const memory = navigator.deviceMemory ? Math.round(navigator.deviceMemory * 2 ** 30) : null;
  const browser = {
    user_agent: ua,
    browser: `${family} ${version}`.trim(),
    family,
    platform,
    mobile: data ? Boolean(data.mobile) : null,
    webgpu_adapter: adapter,
    backend,
    threads,
    cross_origin_isolated: Boolean(window.crossOriginIsolated),
  };
  const hardware = {
    cpu_model: "not told by the browser",
    arch,
    physical_cores: cores, // the browser tells logical cores only
    logical_cpus: cores,
    isa_features: [],
    memory_bytes: memory,
    peak: null,
    browser,
  };
  // nnkb.results.machine.HardwarePart.identity and nnkb.bench.machine.machine_id.
  const identity = {
    arch,
    logical_cpus: cores,
    memory_bytes: memory,
    browser: { family, platform, mobile: browser.mobile, webgpu_adapter: adapter },
  };
  const digest = await sha256Hex(pyJson(identity));
  const slug = `${family} ${platform || ""}`.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40).replace(/-+$/, "") || "cpu";
  return {
    id: `browser-${slug}-${cores}t-${digest.slice(0, 8)}`,
    label: `${family} on ${platform || "unknown OS"}, ${arch}, ${cores} logical cores (browser)`,
    hardware_class: null,
    hardware,
    software: {
      os: [platform, high.platformVersion].filter(Boolean).join(" ") || "unknown",
      python: "none (measured in a web browser)",
      runtimes: { [RUNTIME]: state.manifest.runtime.version },
    },
  };
}

// ---- the page ---------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

const ms = (s) => (s * 1000).toPrecision(3) + " ms";

async function isolate() {
  // Threads need cross-origin isolation; the service worker adds the headers after a reload.
  if (window.crossOriginIsolated) {
    sessionStorage.removeItem("nnkb-coi-reload");
    return null;
  }
  if (!("serviceWorker" in navigator) || !window.isSecureContext) {
    return "this browser has no service worker here (the page needs https or localhost)";
  }
  try {
    await navigator.serviceWorker.register(new URL("coi-sw.js", here), { scope: here.pathname });
  } catch (err) {
    return `the service worker could not be registered (${err.message})`;
  }
  if (sessionStorage.getItem("nnkb-coi-reload")) return "the page is not cross-origin isolated even with the service worker";
  sessionStorage.setItem("nnkb-coi-reload", "1");
  await navigator.serviceWorker.ready;
  location.reload();
  return new Promise(() => {}); // the reload replaces this page
}

async function start(root) {
  const manifest = await (await fetch(new URL("manifest.json", here))).json();
  state.manifest = manifest;
  if (!manifest.runtime) {
    root.replaceChildren(el("p", { class: "nnkb-webbench-missing", text: manifest.missing }));
    state.ready = true; // settled: nothing to isolate or run
    return;
  }
  const why = await isolate();
  const cores = navigator.hardwareConcurrency || 1;
  state.threads = why ? 1 : cores;
  const threadNote = why
    ? `Runs on one thread: ${why}. Native runtimes use every core, so expect a larger gap.`
    : `Cross-origin isolated: WebAssembly uses ${cores} threads.`;
  const models = el("fieldset", { id: "nnkb-wb-models" }, el("legend", { text: "Models" }));
  for (const m of manifest.models) {
    const box = el("input", { type: "checkbox", value: m.id });
    if (m.id === "squeezenet-1-1") box.checked = true;
    models.append(el("label", {}, box, ` ${m.name} (${(m.bytes / 1e6).toFixed(1)} MB)`), el("br"));
  }
  const backend = el("select", { id: "nnkb-wb-backend" }, el("option", { value: "wasm", text: "WebAssembly (CPU)" }));
  if (navigator.gpu && (await navigator.gpu.requestAdapter().catch(() => null))) {
    backend.append(el("option", { value: "webgpu", text: "WebGPU (GPU)" }));
  }
  const budget = el("input", { id: "nnkb-wb-budget", type: "number", min: "1", max: "120", style: "width: 5em", value: String(manifest.harness.row_budget_seconds) });
  const button = el("button", { id: "nnkb-wb-start", class: "md-button md-button--primary", text: "Run" });
  const progress = el("progress", { id: "nnkb-wb-progress", max: "1", value: "0" });
  const status = el("p", { id: "nnkb-wb-status", text: `ONNX Runtime Web ${manifest.runtime.version}. ${threadNote}` });
  const body = el("tbody");
  const table = el(
    "table",
    // A table wider than a phone scrolls sideways: it takes the keyboard focus to be scrolled.
    { id: "nnkb-wb-rows", tabindex: "0", "aria-label": "Results measured in this browser" },
    el("thead", {}, el("tr", {}, ...["Model", "Runtime", "Median", "95 % interval", "Runs", "Converged", "First inference"].map((h) => el("th", { text: h })))),
    body,
  );
  const download = el("p", { id: "nnkb-wb-download" });
  const standing = el("div", { id: "nnkb-wb-standing" });
  root.replaceChildren(
    models,
    el("p", {}, el("label", {}, "Backend ", backend), "  ", el("label", {}, "Budget per model, seconds ", budget)),
    el("p", {}, button, " ", progress),
    status,
    table,
    standing,
    download,
  );
  button.addEventListener("click", async () => {
    const chosen = manifest.models.filter((m) => models.querySelector(`input[value="${m.id}"]`).checked);
    button.disabled = true;
    backend.disabled = true; // one backend per results file
    state.running = true;
    try {
      await runAll(chosen, backend.value, Number(budget.value) || manifest.harness.row_budget_seconds, { status, progress, body, download, standing });
    } catch (err) {
      status.textContent = `Stopped: ${err.message}`;
    }
    state.running = false;
    state.done = true;
    button.disabled = false;
  });
  state.ready = true;
}

async function loadRuntime(backend) {
  if (state.ort) return state.ort;
  const runtime = state.manifest.runtime;
  const module = await import(new URL("ort/" + runtime.backends[backend], here).href);
  const ort = module.InferenceSession ? module : module.default;
  ort.env.wasm.wasmPaths = new URL("ort/", here).href;
  ort.env.wasm.numThreads = state.threads;
  state.ort = ort;
  return ort;
}

const pause = () => new Promise((resolve) => setTimeout(resolve, 0));

async function measureModel(ort, model, backend, budgetS, ui) {
  const h = state.manifest.harness;
  const row = {
    model: model.id,
    model_sha256: model.sha256,
    runtime: RUNTIME,
    runtime_version: state.manifest.runtime.version,
    settings: { backend, threads: state.threads },
    harness_version: h.version,
    budget_s: budgetS,
    status: "ok",
    reason: null,
    measured_at: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    inputs: model.inputs,
    latency: null,
    session_create_s: null,
    first_inference_s: null,
    peak_rss_bytes: null,
    model_file_bytes: model.bytes,
    parameters: model.parameters,
    macs: model.macs,
    opset: model.opset,
    op_histogram: model.op_histogram,
    precision: null,
    op_profile: null,
    op_profile_source: "none: ONNX Runtime Web's profiler is not read by the page",
    op_profile_runs: null,
    op_profile_kernels: null,
    agreement: null,
    processes: null,
    process_spread: null,
    verification: "measured in one page (a browser run has one process)",
  };
  row.key = await sha256Hex(
    pyJson({
      model: row.model,
      model_sha256: row.model_sha256,
      runtime: RUNTIME,
      runtime_version: row.runtime_version,
      settings: row.settings,
      inputs: row.inputs,
      input_seed: h.input_seed,
      harness_version: h.version,
    }),
  );
  ui.status.textContent = `${model.name}: downloading and checking the file`;
  const bytes = new Uint8Array(await (await fetch(new URL(model.file, here))).arrayBuffer());
  const digest = await sha256Hex(bytes);
  if (digest !== model.sha256) {
    return { ...row, status: "failed", reason: `model file sha256 ${digest} is not the manifest's ${model.sha256}` };
  }
  let session;
  const feeds = {};
  try {
    let t = performance.now();
    session = await ort.InferenceSession.create(bytes, { executionProviders: [backend], graphOptimizationLevel: "all" });
    row.session_create_s = (performance.now() - t) / 1000;
    for (const [name, shape] of Object.entries(model.inputs)) {
      const [type, data] = makeInput(name, shape, h.input_seed, model.input_dtypes[name]);
      feeds[name] = new ort.Tensor(type, data, shape);
    }
    t = performance.now();
    const first = await session.run(feeds);
    row.first_inference_s = (performance.now() - t) / 1000;
    state.outputs[model.id] = Object.fromEntries(
      Object.entries(first).map(([name, tensor]) => [name, { dims: tensor.dims, data: Array.from(tensor.data.slice(0, 200000)) }]),
    );
  } catch (err) {
    return { ...row, status: "failed", reason: String(err.message || err).split("\n")[0].slice(0, 300) };
  }
  ui.status.textContent = `${model.name}: warming up`;
  const warmEnd = performance.now() + h.warmup_seconds * 1000;
  for (let runs = 0; runs < h.warmup_min_runs || performance.now() < warmEnd; runs++) await session.run(feeds);
  // The stopping rule of nnkb.bench.measure.repeat_until_converged.
  const times = [];
  let nextCheck = h.min_repetitions;
  let converged = false;
  const first = performance.now();
  const earliestStop = first + Math.min(h.min_measure_seconds, budgetS) * 1000;
  const deadline = first + budgetS * 1000;
  let shown = first;
  while (times.length < h.max_repetitions) {
    const t0 = performance.now();
    await session.run(feeds);
    const t1 = performance.now();
    times.push((t1 - t0) / 1000);
    const n = times.length;
    if (n >= nextCheck && t1 >= earliestStop) {
      if (ciWithin(times, h.ci_target, h.ci_level)) {
        converged = true;
        break;
      }
      nextCheck = n + Math.max(1, Math.floor(n / 10));
    }
    if (n >= h.min_repetitions && t1 >= deadline) break;
    if (t1 - shown > 250) {
      // Let the page draw the progress; outside the timed region.
      ui.progress.value = Math.min(1, (t1 - first) / (deadline - first));
      ui.status.textContent = `${model.name}: ${n} runs`;
      await pause();
      shown = performance.now();
    }
  }
  await session.release();
  row.latency = summarize(times, converged, h.ci_level);
  const { n, p50, ci95_low, ci95_high } = row.latency;
  row.processes = [{ ci95_high, ci95_low, measured_at: row.measured_at, n, p50 }];
  return row;
}

// Where the reader's device stands: each measured model beside the same model measured
// natively on the site's machines (manifest.standings, from the committed results) and in
// committed browser results. The closest machine is the one whose native ONNX Runtime FP32
// median is nearest the reader's, by ratio.
const STANDING_CAVEAT =
  "A browser figure is an indication, not a native measurement: ONNX Runtime Web runs " +
  "WebAssembly (or WebGPU) inside the page, usually well behind the native runtime on the " +
  "same device. The closest machine is the one whose native speed your browser comes " +
  "nearest to, not necessarily a device like yours.";

function closestNative(native, mine) {
  let closest = null;
  let best = Infinity;
  for (const n of native) {
    const base = n.onnxruntime_p50 || n.fastest_p50;
    if (!base) continue;
    const distance = Math.abs(Math.log(mine / base));
    if (distance < best) {
      best = distance;
      closest = n;
    }
  }
  return closest;
}

function showStanding(chosen, out) {
  const parts = [el("h2", { text: "Where your device stands" }), el("p", { text: STANDING_CAVEAT })];
  for (const model of chosen) {
    const row = state.rows.find((r) => r.model === model.id);
    const ref = (state.manifest.standings || {})[model.id];
    if (!row || !row.latency || !ref) continue;
    const mine = row.latency.p50;
    if (!ref.native.length && !ref.browser.length) {
      parts.push(el("p", { text: `${model.name}: no machine of the site has measured it yet.` }));
      continue;
    }
    const rows = ref.native.map((n) => el("tr", {},
      el("td", { text: n.label }),
      el("td", { text: "native" }),
      el("td", { text: n.onnxruntime_p50 ? ms(n.onnxruntime_p50) : "not measured" }),
      el("td", { text: n.fastest_p50 ? `${ms(n.fastest_p50)} (${n.fastest_runtime})` : "" }),
      el("td", { text: n.onnxruntime_p50 ? `${(mine / n.onnxruntime_p50).toFixed(1)}x` : "" }),
    ));
    for (const b of ref.browser) {
      rows.push(el("tr", {}, el("td", { text: b.label }), el("td", { text: "browser" }), el("td", { text: ms(b.p50) }), el("td", { text: "" }), el("td", { text: `${(mine / b.p50).toFixed(1)}x` })));
    }
    parts.push(el("h3", { text: `${model.name}: ${ms(mine)} here` }));
    parts.push(el("table", { class: "nnkb-wb-standing", tabindex: "0", "aria-label": `${model.name} beside the site's machines` },
      el("thead", {}, el("tr", {}, ...["Machine", "Kind", "ONNX Runtime FP32 median", "Fastest FP32 (runtime)", "Yours ÷ theirs"].map((h) => el("th", { text: h })))),
      el("tbody", {}, ...rows)));
    const closest = closestNative(ref.native, mine);
    if (closest) {
      const where = closest.recommended.length ? ` There the site recommends ${closest.recommended.join("; ")}.` : "";
      parts.push(el("p", { text: `Closest measured machine: ${closest.label}.${where}` }));
    }
  }
  out.replaceChildren(...parts);
}

async function runAll(chosen, backend, budgetS, ui) {
  const ort = await loadRuntime(backend);
  const machine = await browserFingerprint(backend, state.threads);
  for (const [i, model] of chosen.entries()) {
    ui.progress.value = 0;
    const row = await measureModel(ort, model, backend, budgetS, ui);
    state.rows = state.rows.filter((r) => r.model !== row.model).concat([row]);
    const label = `ONNX Runtime Web · ${BACKEND_NAMES[backend]}`;
    const cells = row.latency
      ? [ms(row.latency.p50), `${ms(row.latency.ci95_low)} – ${ms(row.latency.ci95_high)}`, String(row.latency.n), row.latency.converged ? "yes" : "no (budget)", ms(row.first_inference_s)]
      : [row.status, row.reason, "", "", ""];
    ui.body.append(el("tr", {}, el("td", { text: model.name }), el("td", { text: label }), ...cells.map((c) => el("td", { text: c }))));
    ui.status.textContent = `${i + 1} of ${chosen.length} models done`;
  }
  showStanding(chosen, ui.standing);
  const h = state.manifest.harness;
  state.results = {
    format_version: 2,
    generated_by: `the site's "Benchmark this device" page (docs/benchmark/webbench.js), ${RUNTIME} ${state.manifest.runtime.version}`,
    harness: {
      ...h,
      timer: "performance.now()",
      isolation: "one browser page; no subprocess, one process per row",
      inputs: state.manifest.input_generator,
      processes_per_row: 1,
    },
    machine,
    rows: state.rows,
  };
  const blob = new Blob([JSON.stringify(state.results, null, 1) + "\n"], { type: "application/json" });
  const link = el("a", { href: URL.createObjectURL(blob), download: `${machine.id}.json`, class: "md-button", text: `Download ${machine.id}.json` });
  ui.download.replaceChildren(link, " then add it to kb/results/ by a pull request: ", el("a", { href: CONTRIBUTING, text: "how" }), ".");
  ui.progress.value = 1;
}

const root = document.getElementById("nnkb-webbench");
if (root) {
  start(root).catch((err) => {
    root.replaceChildren(el("p", { text: `The benchmark could not start: ${err.message}` }));
  });
}
