"""The benchmark methodology in one place.

`HARNESS` is written into every results file, so the methodology page is generated from
the numbers that were actually used. Bump `HARNESS_VERSION` whenever a change here (or in
measure.py / inputs.py) can change a measured number: it is part of every row's cache
key, so bumping it reruns every row.
"""

from __future__ import annotations

from ..codec import Json

HARNESS_VERSION = "5"

# Each row's worker process may use at most this fraction of the machine's memory as address
# space (RLIMIT_AS), so one huge model fails its own row instead of taking the machine down;
# the environment variable NNKB_WORKER_MEMORY_FRACTION overrides it (a number in (0, 1]).
# Not in HARNESS: it decides whether a row can run at all, never what it measures.
WORKER_MEMORY_FRACTION = 0.5

HARNESS: Json = {
    "version": HARNESS_VERSION,
    "timer": "time.perf_counter_ns",
    "isolation": "one subprocess per row (python -m nnkb.bench.worker), killed on timeout",
    "inputs": "float32 standard normal (integer inputs: zeros), numpy default_rng(input_seed), "
    "made once per row and bound to the session before timing",
    "input_seed": 0,
    # Sized for a 2-core machine: ~33 rows (one of them ~40 GMACs) finish cold in < 10 min.
    "warmup_seconds": 0.5,
    "warmup_min_runs": 1,
    "min_repetitions": 10,
    # A stable 10-sample window can sit inside a slow or fast phase of a shared machine;
    # measuring at least this long spreads the samples over more of them.
    "min_measure_seconds": 1.0,
    "max_repetitions": 100_000,
    "ci_level": 0.95,
    "ci_target": 0.02,
    "ci_method": "distribution-free confidence interval of the median from binomial order "
    "statistics; repetitions stop when it lies within ±ci_target of the median "
    "(after at least min_repetitions and min_measure_seconds) or the row budget runs out",
    "row_budget_seconds": 8.0,
    # The machine has slow and fast phases minutes long (the same row measured a minute apart
    # differed by up to 1.7x while each process's own interval was ±1%): every row is
    # measured in this many processes, the later ones after the rest of the matrix.
    "processes_per_row": 2,
    "process_rule": "after all rows have run, each ok row is measured once more in a fresh "
    "worker process (same model, runtime, settings and stopping rule; no reference check "
    "and no operator profile), in the same order, so a row's two processes are separated by "
    "the rest of the matrix; the row's latency is the statistics of the faster process (the "
    "lower median), like timeit's best of several runs, so every runtime gets the same two "
    "chances at the machine's fast phase; process_spread = max median / min median - 1 "
    "says how far the two processes disagreed",
    "row_timeout_seconds": 180.0,
    "reference": "onnxruntime CPUExecutionProvider, ORT_DISABLE_ALL, FP32",
    "relative_error": "max |y - y_ref| / (|y_ref| + 1e-3 * max |y_ref|) over all output elements",
    # Harness 5: precision variants, read back, checked against FP32 over many inputs.
    "agreement_inputs": 64,
    "agreement_method": "after the timed repetitions, the row's session runs the 64 agreement "
    "inputs (nnkb.bench.agreement: eight synthetic families, seed 2) and its outputs are "
    "compared with the reference runtime's FP32 outputs on the same inputs (computed once per "
    "model and cached) by the metric of the model's output kind: top-1/top-5 agreement "
    "(classifiers), cosine similarity (embeddings), Spearman rank correlation of anomaly maps, "
    "signal-to-noise ratio in dB (every output), share of boxes with the same top class "
    "(detectors)",
    "precision_readback": "after the timed repetitions: ONNX Runtime's optimised graph "
    "(optimized_model_filepath) and OpenVINO's runtime model (rt_info runtimePrecision) are "
    "read, and the convolutions and matrix products that ran in int8 counted",
    "calibration": "INT8 variants are calibrated on 32 inputs: seeded synthetic inputs of the "
    "eight families (seed 1) for every model except the PP-OCR text recogniser, which is "
    "calibrated on 32 text lines rendered like the OCR corpus with another seed",
    "task_accuracy": "rows of the PP-OCR text recogniser read the 500-line rendered OCR "
    "corpus with the row's runtime and precision after the timed repetitions (character "
    "error rate, line accuracy)",
    "peak_method": "numpy float32 matmul, 2048 x 2048, best of 5, all cores",
    # The operator profile comes after the timed repetitions and never enters the latency.
    "profile_min_runs": 3,
    "profile_seconds": 1.0,
    "profile_max_runs": 100,
    "profile_top": 10,
    "profile_method": "after the timed repetitions, extra inferences with the runtime's own "
    "profiler on (ONNX Runtime: a second session with enable_profiling; OpenVINO: the model "
    "compiled again with PERF_COUNT; OpenCV DNN: the timed net's per-layer times from "
    "getPerfProfile), the first inference of a new session left out; kernel time summed by "
    "the runtime's operator type and recorded as shares of the total (the largest "
    "profile_top types, the rest as 'other')",
    # The throughput scenario (rows whose settings say "scenario": "throughput"). Sized so a
    # row of a small model (search + window) costs a few seconds on 2 cores.
    "throughput_batches": [1, 2, 4],
    "throughput_trial_seconds": 0.3,
    "throughput_warmup_seconds": 0.3,
    "throughput_window_seconds": 2.0,
    "throughput_method": "each throughput row keeps every physical core busy the runtime's "
    "own way, in its own worker process like a latency row, with inputs made once from "
    "input_seed (a batch of b inputs: the same seeded generator with b as the first "
    "dimension): OpenVINO compiles the model with PERFORMANCE_HINT THROUGHPUT, reads back "
    "the NUM_STREAMS and OPTIMAL_NUMBER_OF_INFER_REQUESTS it chose and keeps an "
    "AsyncInferQueue of that many requests busy; ONNX Runtime tries every batch size of "
    "throughput_batches (batch fixed at 1 where the graph fixes its batch dimension) with "
    "every split of the physical cores into parallel sessions x intra-op threads (1 x 2 "
    "and 2 x 1 on 2 cores), each trial throughput_trial_seconds after one untimed request "
    "per session, and measures the fastest trial again; OpenCV DNN tries the batch sizes "
    "the same way on one net with one thread per physical core. The chosen configuration "
    "then warms up for throughput_warmup_seconds and runs closed-loop (each stream sends "
    "its next request when its last one returns) for throughput_window_seconds: "
    "inferences_per_s = inferences completed (each item of a batch is one) / time from the "
    "window's start to the end of its last request, as OpenVINO's benchmark_app counts; "
    "the row's latency statistics are those of the requests completed in the window, and "
    "its trials are recorded in throughput.search. No agreement, task accuracy or "
    "operator profile: the latency twin has them. The verification process repeats the "
    "whole procedure and the row keeps the process with more inferences per second",
}
