"""`nnkb check-results`: errors as `nnkb validate` reports them, plausibility warnings with
file, line and the rule, exit status by severity."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from nnkb import check_results
from nnkb.bench.machine import machine_id
from nnkb.bench.settings import HARNESS_VERSION
from nnkb.cli import main
from nnkb.results import ProcessSummary, ResultsFile, Row, read
from nnkb.yamlsafe import load_json

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "kb" / "results" / "amd-epyc-2c-linux-c907c428.json"


@pytest.fixture
def kb(tmp_path) -> Path:
    """A KB folder with the repository's models and hardware classes (the ids rows name),
    whose results hold the committed machine: the comparable one."""
    for folder in ("models", "hardware"):
        shutil.copytree(ROOT / "kb" / folder, tmp_path / "kb" / folder)
    (tmp_path / "kb" / "results").mkdir(parents=True)
    shutil.copy(COMMITTED, tmp_path / "kb" / "results" / COMMITTED.name)
    return tmp_path / "kb"


def _scaled(row: Row, factor: float) -> Row:
    assert row.latency is not None
    stats = row.latency
    latency = replace(
        stats,
        **{k: getattr(stats, k) * factor for k in
           ("p50", "p90", "p99", "mean", "min", "stdev", "ci95_low", "ci95_high")},
    )  # fmt: skip
    processes = tuple(
        ProcessSummary(p.measured_at, p.p50 * factor, p.ci95_low * factor,  # type: ignore[operator]
                       p.ci95_high * factor, p.n)  # type: ignore[operator]
        if p.measured else p
        for p in row.processes or ()
    )  # fmt: skip
    return replace(row, latency=latency, processes=processes or None)


def contributed(
    folder: Path, *, cores: int = 2, drop: tuple[str, ...] = (), edit=None, keep_id=False
) -> tuple[Path, ResultsFile]:
    """Another machine's results file, made from the committed one: another CPU model,
    `cores` cores, the `drop`ped instruction sets removed, rows changed by `edit`."""
    results = read(COMMITTED)
    hardware = replace(
        results.machine.hardware,
        cpu_model="AMD EPYC 9R14",
        physical_cores=cores,
        logical_cpus=cores,
        isa_features=tuple(f for f in results.machine.hardware.isa_features if f not in drop),
    )
    new_id = results.machine.id if keep_id else machine_id(hardware)
    machine = replace(results.machine, id=new_id, hardware=hardware)
    # Measured with this checkout's harness, like a file a contributor makes today.
    rows = [replace(r, harness_version=HARNESS_VERSION) for r in results.rows]
    rows = edit(rows) if edit else rows
    made = replace(results, machine=machine, rows=rows)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{new_id}.json"
    path.write_text(made.dumps())
    return path, made


def _first_ok(rows: list[Row], runtime: str = "onnxruntime") -> int:
    return next(i for i, r in enumerate(rows) if r.runtime == runtime and r.ok)


def _line(path: Path, *pointer) -> int:
    line = load_json(path).mark_for(pointer).line
    assert f'"{pointer[-1]}"' in path.read_text().splitlines()[line - 1]
    return line


def test_committed_results_pass(kb, capsys):
    assert main(["check-results", "--kb", str(kb), str(COMMITTED)]) == 0
    out, err = capsys.readouterr()
    assert "0 errors" in err
    # Rows measured with an earlier harness than this checkout's are the only thing it may say.
    assert all("warning: " in line and "harness version" in line for line in out.splitlines())


def test_broken_statistic_is_an_error_with_file_and_line(kb, tmp_path, capsys, monkeypatch):
    def broken(rows):
        i = _first_ok(rows)
        rows = list(rows)
        rows[i] = replace(rows[i], latency=replace(rows[i].latency, p90=rows[i].latency.p50 / 2))
        return rows

    path, made = contributed(tmp_path / "in", edit=broken)
    i = next(
        n for n, r in enumerate(made.sorted_rows()) if r.latency and r.latency.p90 < r.latency.p50
    )
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert main(["check-results", "--kb", str(kb), str(path)]) == 1
    out = capsys.readouterr().out
    line = _line(path, "rows", i, "latency", "p90")
    assert f"{path.as_posix()}:{line}:" in out
    assert f"rows[{i}].latency.p90: p50" in out and "must be <= p90" in out
    assert f"::error file={path.as_posix().replace(':', '%3A')},line={line}," in out
    assert "warning" not in out  # a file with errors gets no plausibility checks


def test_implausible_row_is_warned_about_with_file_and_line(kb, tmp_path, capsys):
    def slow(rows):
        rows = list(rows)
        i = _first_ok(rows)
        rows[i] = _scaled(rows[i], 10.0)
        return rows

    path, made = contributed(tmp_path / "in", edit=slow)
    i = next(n for n, r in enumerate(made.sorted_rows()) if r.ok and r.runtime == "onnxruntime")
    assert main(["check-results", "--kb", str(kb), str(path)]) == 0
    out = capsys.readouterr().out
    line = _line(path, "rows", i, "latency", "p50")
    [warning] = out.splitlines()
    assert warning.startswith(f"{path.as_posix()}:{line}:")
    assert f"rows[{i}].latency.p50: warning:" in warning
    assert "10.0x slower than expected" in warning and "amd-epyc-2c-linux-c907c428" in warning
    assert "within 3x" in warning and "FP32 peak" in warning  # the rule is stated
    # --strict: a warning fails the check.
    assert main(["check-results", "--strict", "--kb", str(kb), str(path)]) == 1


@pytest.mark.parametrize("factor", [2.5, 1 / 2.5])
def test_rows_within_the_factor_are_plausible(kb, tmp_path, capsys, factor):
    def changed(rows):
        return [_scaled(r, factor) if r.ok else r for r in rows]

    path, _ = contributed(tmp_path / "in", edit=changed)
    assert main(["check-results", "--strict", "--kb", str(kb), str(path)]) == 0
    assert capsys.readouterr().out == ""


def test_a_faster_row_is_warned_too_and_the_peak_scales_the_expectation(kb, tmp_path, capsys):
    def fast(rows):
        return [_scaled(r, 1 / 4) if r.ok else r for r in rows]

    path, made = contributed(tmp_path / "in", edit=fast)
    assert main(["check-results", "--kb", str(kb), str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    peers = [line for line in out if "4.0x faster than expected" in line]
    # Every ok row that has a comparable row elsewhere is warned once; a row whose only peer
    # is not comparable (no stable median to scale) is not, and those are few.
    ok = sum(r.ok for r in made.rows)
    assert 0.95 * ok <= len(peers) <= ok
    # 4x faster puts the fastest FP32 rows beyond what the machine's own peak allows: one
    # warning more, that needs no peer.
    others = [line for line in out if line not in peers]
    # Past 200 warnings in a file the rest are counted in one line, which says so.
    hidden = [line for line in others if "more problem" in line]
    assert all(": warning: and " in line and "not shown" in line for line in hidden), hidden
    [own] = [line for line in others if line not in hidden]
    assert "faster than the machine's own measured FP32 peak allows" in own
    # The same rows on a machine with a 4x higher FP32 peak are as fast as they should be.
    hardware = made.machine.hardware
    peak = replace(hardware.peak, fp32_flops=hardware.peak.fp32_flops * 4)
    faster = replace(made, machine=replace(made.machine, hardware=replace(hardware, peak=peak)))
    path.write_text(faster.dumps())
    assert main(["check-results", "--strict", "--kb", str(kb), str(path)]) == 0
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    "machine",
    [{"cores": 8}, {"drop": ("avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16")}],
    ids=["cores-beyond-2x", "other-isa-class"],
)
def test_machines_that_are_not_comparable_are_not_compared(kb, tmp_path, capsys, machine):
    def slow(rows):
        return [_scaled(r, 10.0) if r.ok else r for r in rows]

    path, _ = contributed(tmp_path / "in", edit=slow, **machine)
    assert main(["check-results", "--kb", str(kb), str(path)]) == 0
    assert capsys.readouterr().out == ""


def test_wrong_machine_id_is_warned(kb, tmp_path, capsys):
    path, _ = contributed(tmp_path / "in", keep_id=True)
    assert main(["check-results", "--kb", str(tmp_path / "empty"), str(path)]) == 0
    out = capsys.readouterr().out
    line = _line(path, "machine", "id")
    assert f"{path.as_posix()}:{line}:" in out
    assert "machine id 'amd-epyc-2c-linux-c907c428' does not match its hardware part" in out
    hardware = read(path).machine.hardware
    assert f"which gives '{machine_id(hardware)}'" in out


def test_old_harness_and_unpinned_runtime_are_warned(kb, tmp_path, capsys, monkeypatch):
    def old(rows):
        rows = list(rows)
        i = _first_ok(rows)
        rows[i] = replace(rows[i], harness_version=str(int(HARNESS_VERSION) - 1))
        j = _first_ok(rows, "openvino")
        rows[j] = replace(rows[j], runtime_version="2025.1.0")
        return rows

    path, made = contributed(tmp_path / "in", edit=old)
    rows = made.sorted_rows()
    i = next(n for n, r in enumerate(rows) if r.harness_version != HARNESS_VERSION)
    j = next(n for n, r in enumerate(rows) if r.runtime_version == "2025.1.0")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert main(["check-results", "--kb", str(kb), str(path)]) == 0
    out = capsys.readouterr().out
    harness_line = _line(path, "rows", i, "harness_version")
    version_line = _line(path, "rows", j, "runtime_version")
    assert (
        f"rows[{i}].harness_version: warning: rows[{i}] was measured with harness version "
        f"{int(HARNESS_VERSION) - 1}, older than this checkout's {HARNESS_VERSION}"
    ) in out
    assert f"{path.as_posix()}:{harness_line}:" in out
    assert f"{path.as_posix()}:{version_line}:" in out
    pinned = check_results.pinned_versions()["openvino"]
    assert f"measured with openvino 2025.1.0; requirements.txt pins openvino=={pinned}" in out
    assert f"::warning file={path.as_posix().replace(':', '%3A')},line={harness_line}," in out
    assert "::error" not in out


def test_pins_and_isa_classes():
    pins = check_results.pinned_versions()
    assert check_results.pins_for("opencv", pins) == {
        "opencv-python-headless": pins["opencv-python-headless"]
    }
    assert set(check_results.pins_for("onnxruntime", pins)) == {"onnxruntime"}
    assert check_results.version_matches("5.0.0", "5.0.0.93")
    assert not check_results.version_matches("5.0.1", "5.0.0.93")
    assert check_results.isa_class("x86_64", ["avx2", "avx512f"]) == "avx512"
    assert check_results.isa_class("x86_64", ["avx", "avx2"]) == "avx2"
    assert check_results.isa_class("aarch64", ["asimd", "sve"]) == "sve"
    assert check_results.isa_class("aarch64", ["asimd", "bf16"]) == "neon"
