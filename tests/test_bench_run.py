"""`nnkb bench` end to end on a tiny KB: real runtimes in worker subprocesses, misbehaving
test adapters, the cache, the budget, and a kill -9 of the parent mid-run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import psutil
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "bench"))
import tinykb

from nnkb import results
from nnkb.bench import plan, runner
from nnkb.bench.settings import HARNESS
from nnkb.cli import main

REAL = ["onnxruntime", "openvino", "opencv"]
# Fields the verification process may change in a row the main pass wrote.
# What a verification process adds to a row (its phases gain the process's seconds).
VERIFIED = ("processes", "process_spread", "latency", "phases")
PEAK = results.Peak(1e11, "test", "2025-01-01T00:00:00Z")


@pytest.fixture
def bench_env(quiet_bench, monkeypatch):
    """Test adapters registered, cache in tmp, short warm-up, no peak measurement."""
    # A CPU with bf16 units: OpenVINO's default-precision rows run (not applicable where the
    # default is FP32), its FP16 rows are not applicable. The same plan on every test machine.
    monkeypatch.setattr(plan, "cpu_flags", lambda: {"sse2", "avx2", "avx512_bf16"})
    return quiet_bench


def bench(kb: Path, out: Path, *extra: str) -> int:
    return main(["bench", "--kb", str(kb), "--results", str(out), "--row-budget", "0.2", *extra])


def rows_of(
    out: Path, variant: str | None = None, scenario: str | None = None
) -> dict[tuple[str, str], dict]:
    """Rows by (model, runtime) of one variant: the default settings, or OpenVINO's
    `inference_precision_hint` variant when `variant` names the hint; latency rows unless
    `scenario` names another."""
    results.read(out, named=False)  # passes every check `nnkb validate` runs
    data = json.loads(out.read_text())
    return {
        (r["model"], r["runtime"]): r
        for r in data["rows"]
        if r["settings"].get("inference_precision_hint") == variant
        and not r["settings"].get("quantizer")
        and r["settings"].get("scenario") == scenario
    }


def test_real_runtimes_and_failures_become_rows(bench_env, capsys):
    kb = tinykb.make_kb(bench_env, {"tiny": tinykb.conv_net(), "garbage": b"\x00garbage\xff" * 9})
    out = bench_env / "r.json"
    fakes = ["test-segfault", "test-abort", "test-nan", "test-raise", "test-missing"]
    fakes += ["test-profile-raise", "test-profile-segfault"]
    assert bench(kb, out, "--timeout", "60", "--runtimes", *REAL, *fakes) == 0
    rows = rows_of(out)
    assert len(rows) == 20
    f32 = rows_of(out, "f32")
    assert sorted(f32) == [("garbage", "openvino"), ("tiny", "openvino")]
    assert f32[("tiny", "openvino")]["precision"] == "f32"
    assert f32[("tiny", "openvino")]["agreement"]["max_abs_error"] < 1e-4
    assert f32[("garbage", "openvino")]["status"] == "failed"

    for runtime in REAL:
        ok = rows[("tiny", runtime)]
        assert ok["status"] == "ok", ok["reason"]
        # Two processes, the reported latency the faster one's; the profile from the first.
        first, second = ok["processes"]
        assert first["measured_at"] == ok["measured_at"] <= second["measured_at"]
        assert ok["latency"]["p50"] == min(first["p50"], second["p50"])
        assert ok["process_spread"] == pytest.approx(
            max(first["p50"], second["p50"]) / ok["latency"]["p50"] - 1
        )
        assert ok["latency"]["n"] >= HARNESS["min_repetitions"]
        lat = ok["latency"]
        assert lat["min"] <= lat["ci95_low"] <= lat["p50"] <= lat["ci95_high"] <= lat["p99"]
        assert ok["session_create_s"] > 0 and ok["first_inference_s"] > 0
        assert ok["peak_rss_bytes"] > 10_000_000
        assert ok["precision"] in ("f32", "bf16", "f16")
        assert ok["opset"] >= 13 and ok["op_histogram"] == {
            "Conv": 1,
            "Flatten": 1,
            "Gemm": 1,
            "GlobalAveragePool": 1,
            "Relu": 1,
        }
        assert ok["macs"] > 0 and "achieved_flops" not in ok and "peak_fraction" not in ok
        assert ok["agreement"]["max_abs_error"] < 0.05
        assert ok["agreement"]["reference"].startswith("onnxruntime")
        # The runtime's own profiler, by its own operator names: the convolution (fused with
        # the Relu or not) is one of them, and the shares cover all of the kernel time.
        profile = ok["op_profile"]
        assert profile, ok["op_profile_source"]
        assert sum(profile.values()) == pytest.approx(1.0, abs=2e-3)
        assert all(0 < share <= 1 for share in profile.values())
        assert any("conv" in op.lower() for op in profile), profile
        assert ok["op_profile_source"].startswith(runtime)
        assert ok["op_profile_runs"] >= HARNESS["profile_min_runs"]
        bad = rows[("garbage", runtime)]
        assert bad["status"] == "failed" and bad["reason"].startswith("load: ")
        assert "\n" not in bad["reason"] and bad["latency"] is None
        assert bad["op_profile"] is None and bad["op_profile_source"] is None
    assert rows[("tiny", "onnxruntime")]["agreement"]["max_abs_error"] < 1e-4
    assert rows[("tiny", "onnxruntime")]["agreement"]["top1_agree"] is True
    assert "PROTOBUF" in rows[("garbage", "onnxruntime")]["reason"]
    # OpenVINO names the kernel of each operator type, and with it the precision it ran in.
    kernels = f32[("tiny", "openvino")]["op_profile_kernels"]
    assert kernels and any(k.endswith("_f32") for k in kernels.values()), kernels

    # A profiler that raises, or kills its process, costs the row its profile only.
    for behaviour, why in [
        ("raise", "not profiled: simulated profiler failure second line"),
        ("segfault", "not profiled: the worker crashed or timed out while profiling"),
    ]:
        row = rows[("tiny", f"test-profile-{behaviour}")]
        assert row["status"] == "ok" and row["latency"]["n"] >= HARNESS["min_repetitions"]
        assert row["agreement"]["max_abs_error"] < 1e-4
        assert (row["op_profile"], row["op_profile_runs"]) == (None, None)
        assert row["op_profile_source"] == why
    assert rows[("tiny", "test-nan")]["op_profile"] is None

    for model in ("tiny", "garbage"):
        assert rows[(model, "test-segfault")]["status"] == "crashed"
        assert "SIGSEGV" in rows[(model, "test-segfault")]["reason"]
        assert "SIGABRT" in rows[(model, "test-abort")]["reason"]
        assert rows[(model, "test-missing")]["status"] == "unavailable"
        raised = rows[(model, "test-raise")]
        assert (raised["status"], raised["reason"]) == (
            "failed",
            "inference: simulated failure second line of the message",
        )
    nan = rows[("tiny", "test-nan")]
    assert nan["status"] == "mismatch" and "non-finite" in nan["reason"]
    assert bad["processes"] is None and bad["process_spread"] is None
    # Throughput twins: ONNX Runtime's and OpenCV DNN's FP32 rows (OpenVINO's is its FP32
    # variant's), no agreement, accuracy or profile; both processes' rates recorded.
    twins = {**rows_of(out, scenario="throughput"), **rows_of(out, "f32", "throughput")}
    for runtime in REAL:
        row = twins[("tiny", runtime)]
        assert row["status"] == "ok", row["reason"]
        rates = [p["inferences_per_s"] for p in row["processes"]]
        assert len(rates) == 2 and row["throughput"]["inferences_per_s"] == max(rates)
        assert row["process_spread"] == pytest.approx(max(rates) / min(rates) - 1)
        assert row["throughput"]["batch"] == 1  # the tiny graph fixes its batch dimension
        assert (row["agreement"], row["op_profile"], row.get("accuracy")) == (None, None, None)
        assert twins[("garbage", runtime)]["status"] == "failed"
    assert len(twins[("tiny", "onnxruntime")]["throughput"]["search"]) >= 2  # 1 x n, n x 1
    assert twins[("tiny", "openvino")]["throughput"]["search"] is None  # OpenVINO chose
    # Beside the 22 FP32 and default rows: 4 INT8 rows per model (ONNX Runtime, its two
    # profiler doubles, OpenVINO; garbage's fail to quantise) and OpenVINO FP16, not
    # applicable; 5 throughput twins per model (FP32 and INT8 of ONNX Runtime and OpenVINO,
    # OpenCV DNN FP32).
    assert (
        "ran 42 (failed 23, unavailable 4), cached 0, skipped 0; "
        "verified 15 (second process failed 0), verification skipped 0"
    ) in capsys.readouterr().out


def test_a_hang_is_killed_at_the_timeout(bench_env):
    kb = tinykb.make_kb(bench_env, {"tiny": tinykb.conv_net()})
    out = bench_env / "r.json"
    assert bench(kb, out, "--timeout", "1.5", "--runtimes", "test-hang", "test-raise") == 0
    rows = rows_of(out)
    assert rows[("tiny", "test-hang")]["status"] == "timeout"
    assert "1.5 s" in rows[("tiny", "test-hang")]["reason"]
    assert rows[("tiny", "test-raise")]["status"] == "failed"  # the run went on


def test_cache_reruns_only_what_changed(bench_env, capsys):
    kb = tinykb.make_kb(bench_env, {"a": tinykb.conv_net(0), "b": tinykb.conv_net(1)})
    out = bench_env / "r.json"
    runtimes = ("--runtimes", "onnxruntime", "test-raise")
    assert bench(kb, out, *runtimes) == 0
    first = rows_of(out)
    # ONNX Runtime FP32 and INT8, their throughput twins, test-raise
    assert "ran 10" in capsys.readouterr().out

    os.utime(out, (1_000_000, 1_000_000))
    (kb / "models" / "a.yaml").write_text(
        (kb / "models" / "a.yaml").read_text().replace("A tiny net.", "New prose.")
    )
    assert bench(kb, out, *runtimes) == 0
    assert "ran 0 (failed 0, unavailable 0), cached 10" in capsys.readouterr().out
    assert out.stat().st_mtime == 1_000_000  # nothing changed, nothing written

    path, sha = tinykb.write_model(bench_env / "files", "b", tinykb.conv_net(7))
    (kb / "models" / "b.yaml").write_text(tinykb.model_yaml(path, sha))
    assert bench(kb, out, *runtimes) == 0
    assert "ran 5 (failed 1, unavailable 0), cached 5" in capsys.readouterr().out
    second = rows_of(out)
    assert len(second) == 4  # stale rows replaced, not added
    for runtime in ("onnxruntime", "test-raise"):
        assert second[("a", runtime)] == first[("a", runtime)]
        assert second[("b", runtime)]["key"] != first[("b", runtime)]["key"]
        assert second[("b", runtime)]["model_sha256"] == sha

    assert bench(kb, out, "--force", "--models", "a", "--runtimes", "test-raise") == 0
    assert "ran 1 (failed 1, unavailable 0), cached 0" in capsys.readouterr().out

    # A row whose settings the adapter no longer measures is stale and dropped.
    stored = results.read(out, named=False)
    stale = next(r for r in stored.rows if r.runtime == "test-raise")
    stored.rows.append(replace(stale, settings={"behaviour": "an older default"}, key="0" * 64))
    results.write_atomic(out, stored)
    assert bench(kb, out, *runtimes) == 0
    assert "ran 0" in capsys.readouterr().out
    assert len(json.loads(out.read_text())["rows"]) == 10

    (kb / "models" / "b.yaml").unlink()
    assert bench(kb, out, *runtimes) == 0
    assert "ran 0" in capsys.readouterr().out
    assert sorted(rows_of(out)) == [("a", "onnxruntime"), ("a", "test-raise")]


def test_budget_skips_rows_without_writing_them(bench_env, capsys, monkeypatch):
    kb = tinykb.make_kb(bench_env, {"a": tinykb.conv_net(0)})
    out = bench_env / "r.json"
    now = iter([0.0] + [100.0] * 10)  # the budget is spent before the first row
    monkeypatch.setattr(runner, "clock", lambda: next(now))
    status = bench(kb, out, "--budget", "50", "--runtimes", "test-raise", "test-nan")
    assert status == runner.BUDGET_SPENT
    captured = capsys.readouterr()
    assert "ran 0 (failed 0, unavailable 0), cached 0, skipped 2" in captured.out
    assert "--budget ran out with 2 row(s) not run; run again" in captured.err
    assert not out.exists()


def _workers_of(cache: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if "nnkb.bench.worker" in (proc.info["cmdline"] or []) and proc.environ().get(
                "NNKB_CACHE"
            ) == str(cache):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return found


def test_kill_9_leaves_a_valid_file_and_resume_completes_it(bench_env, capsys):
    models = {f"m{i}": tinykb.conv_net(i) for i in range(3)}
    kb = tinykb.make_kb(bench_env, models)
    out = bench_env / "r.json"
    args = ["--runtimes", "test-noisy", "test-raise", "--row-budget", "0.4"]
    # Pre-seed the machine section so the subprocess reuses the peak instead of measuring it.
    assert bench(kb, out, "--runtimes", "test-raise", "--models", "m0") == 0
    capsys.readouterr()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    parent = subprocess.Popen(
        [sys.executable, "-m", "nnkb.cli", "bench", "--kb", str(kb), "--results", str(out), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(rows_of(out)) < 3:
        time.sleep(0.02)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    partial = rows_of(out)  # schema-valid JSON after the kill
    assert 3 <= len(partial) < 6

    deadline = time.monotonic() + 5
    while _workers_of(bench_env / "cache") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _workers_of(bench_env / "cache") == []  # the row in flight died with its parent

    assert bench(kb, out, *args) == 0
    summary = capsys.readouterr().out
    assert f"ran {6 - len(partial)} " in summary and f"cached {len(partial)}" in summary
    complete = rows_of(out)
    assert len(complete) == 6
    for identity, row in partial.items():
        # Finished rows were not redone; an ok one only gained its missing second process.
        first = {k: v for k, v in row.items() if k not in VERIFIED}
        assert {k: v for k, v in complete[identity].items() if k not in VERIFIED} == first
        if row["status"] == "ok":
            assert complete[identity]["processes"][0] == row["processes"][0]
            unverified = {k: v for k, v in complete[identity]["phases"].items()
                          if k != "verification"}  # fmt: skip
            assert unverified == {k: v for k, v in row["phases"].items() if k != "verification"}
    for row in complete.values():
        assert len(row["processes"] or []) == (2 if row["status"] == "ok" else 0)
    assert complete[("m1", "test-noisy")]["latency"]["converged"] is False


def test_verification_keeps_the_faster_process_and_survives_a_crash(bench_env, capsys):
    kb = tinykb.make_kb(bench_env, {"a": tinykb.conv_net(0)})
    out = bench_env / "r.json"
    assert bench(kb, out, "--runtimes", "test-phased", "test-second-crash", "test-raise") == 0
    assert "verified 2 (second process failed 1)" in capsys.readouterr().out
    rows = rows_of(out)
    phased = rows[("a", "test-phased")]  # 4 ms per inference in its first process, 1 ms next
    first, second = phased["processes"]
    assert second["p50"] < first["p50"] and phased["latency"]["p50"] == second["p50"]
    assert (phased["latency"]["n"], phased["latency"]["ci95_low"]) == (
        second["n"],
        second["ci95_low"],
    )
    assert phased["process_spread"] == pytest.approx(first["p50"] / second["p50"] - 1)
    assert phased["process_spread"] > 1.0
    # What each step cost: the worker's own steps, its start-up and the second process.
    assert {"build", "start", "load", "measure", "verification"} <= set(phased["phases"])
    assert phased["phases"]["verification"] > 0
    # A crash of the second process is noted; the row stays ok with the first measurement.
    crash = rows[("a", "test-second-crash")]
    assert crash["status"] == "ok" and crash["process_spread"] is None
    assert crash["latency"]["p50"] == crash["processes"][0]["p50"]
    assert crash["processes"][1]["status"] == "crashed"
    assert "SIGSEGV" in crash["processes"][1]["reason"]
    assert rows[("a", "test-raise")]["processes"] is None  # failed rows are not verified

    assert bench(kb, out, "--runtimes", "test-phased", "test-second-crash") == 0
    assert "ran 0 (failed 0, unavailable 0), cached 2, skipped 0; verified 0" in (
        capsys.readouterr().out
    )


def test_budget_skips_verification_and_resume_runs_only_it(bench_env, capsys, monkeypatch):
    kb = tinykb.make_kb(bench_env, {"a": tinykb.conv_net(0)})
    out = bench_env / "r.json"
    # The budget clock jumps past --budget once the main pass has measured the row.
    now = [0.0]
    execute = runner.Run.execute

    def slow_execute(self, p, budget_left):
        row = execute(self, p, budget_left)
        now[0] += 100.0
        return row

    monkeypatch.setattr(runner, "clock", lambda: now[0])
    monkeypatch.setattr(runner.Run, "execute", slow_execute)
    assert bench(kb, out, "--budget", "50", "--runtimes", "test-phased") == 0
    assert "ran 1 (failed 0, unavailable 0), cached 0, skipped 0; verified 0 " in (
        capsys.readouterr().out
    )
    row = rows_of(out)[("a", "test-phased")]
    assert row["status"] == "ok" and len(row["processes"]) == 1
    assert row["verification"].startswith("skipped: the --budget ran out")

    # The next run has budget: it adds the missing process and does not remeasure the row.
    assert bench(kb, out, "--runtimes", "test-phased") == 0
    summary = capsys.readouterr().out
    assert "ran 0 (failed 0, unavailable 0), cached 1, skipped 0; verified 1 " in summary
    resumed = rows_of(out)[("a", "test-phased")]
    assert resumed["processes"][0] == row["processes"][0] and len(resumed["processes"]) == 2
    assert resumed["verification"] is None
    assert resumed["latency"]["p50"] == resumed["processes"][1]["p50"]
    assert (bench_env / "cache" / "test-phased.processes").read_text() == "2"
