"""Results files: typed rows that read and write the JSON exactly, one checked reader that
agrees with `nnkb validate`, deterministic atomic writes, and the format-1 migration."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from nnkb import results
from nnkb.results import migrate
from nnkb.validate import check_kb

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
COMMITTED = ROOT / "kb" / "results" / "amd-epyc-2c-linux-c907c428.json"
V1 = FIXTURES / "results_v1" / "amd-epyc-2c-6313b166.json"
SMALL = FIXTURES / "valid_kb" / "results" / "example-machine.json"
PEAK = results.Peak(1e11, "test", "2025-01-01T00:00:00Z")


def _machine(machine_id: str = "test-cpu-2c-00000000") -> results.Machine:
    return results.Machine(
        id=machine_id,
        label="Test CPU, 2 cores",
        hardware_class="x86-cpu",
        hardware=results.HardwarePart("Test CPU", "x86_64", 2, 2, ("avx2",), 1 << 30, PEAK),
        software=results.SoftwarePart("Linux", "3.11", {"onnxruntime": "1.0"}),
    )


def _row(
    model: str = "m", runtime: str = "onnxruntime", key: str = "a" * 64, **extra
) -> results.Row:
    # A latency row whose median is its first process's: the tests keep that process only.
    committed = next(
        r
        for r in results.read(COMMITTED).rows
        if r.ok
        and r.scenario == "latency"
        and r.latency is not None
        and r.processes
        and r.processes[0].p50 == r.latency.p50
    )
    return replace(committed, model=model, runtime=runtime, key=key, **extra)


def _file(rows: list[results.Row], machine_id: str = "test-cpu-2c-00000000") -> results.ResultsFile:
    return results.ResultsFile(machine=_machine(machine_id), rows=rows, harness={"version": "4"})


def test_committed_file_reads_and_writes_back_the_same_bytes():
    text = COMMITTED.read_text(encoding="utf-8")
    loaded = results.read(COMMITTED)
    assert loaded.format_version == results.FORMAT_VERSION == 2
    assert loaded.dumps() == text
    again = results.ResultsFile.from_json(json.loads(text))
    assert again.rows == loaded.rows and again.machine == loaded.machine
    ok = [r for r in loaded.rows if r.ok]
    assert ok and all(isinstance(r.latency, results.Stats) for r in ok)
    assert all(isinstance(p, results.ProcessSummary) for r in ok for p in r.processes or ())
    assert loaded.machine.peak == loaded.machine.hardware.peak
    assert loaded.machine.peak.fp32_flops > 1e9


def test_a_throughput_row_reads_writes_and_validates(tmp_path, kb_copy):
    rate = results.Throughput(412.5, 4, 2, 1, 3.0, 1238, "test: two streams of batch 4", None)
    row = _row("squeezenet-1-1", settings={"scenario": "throughput"}, throughput=rate)
    process = replace(row.processes[0], inferences_per_s=412.5)
    row = replace(row, processes=(process,), process_spread=None)
    assert row.scenario == "throughput" and _row().scenario == "latency"
    text = _file([row]).dumps()
    back = results.ResultsFile.from_json(json.loads(text)).rows[0]
    assert back.throughput == rate and back.processes == (process,)
    assert '"throughput"' not in _file([_row()]).dumps()  # written only when set
    kb_copy(tmp_path / "kb")
    path = tmp_path / "kb" / "results" / "test-cpu-2c-00000000.json"
    path.write_text(text, encoding="utf-8")
    assert results.read(path).rows[0].throughput == rate
    bad = json.loads(text)
    bad["rows"][0]["throughput"]["batch"] = 0
    path.write_text(json.dumps(bad, indent=1), encoding="utf-8")
    with pytest.raises(results.ResultsError, match="batch"):
        results.read(path)


def test_identity_is_model_runtime_and_canonical_settings():
    a = _row(settings={"b": 1, "a": 2})
    b = _row(settings={"a": 2, "b": 1}, key="b" * 64)
    assert a.identity == b.identity == ("m", "onnxruntime", '{"a":2,"b":1}')
    assert a.identity != _row(model="n").identity


def test_write_is_deterministic_and_sorted(tmp_path):
    rows = [_row("b", key="b" * 64), _row("a", "openvino", key="c" * 64), _row("a", key="d" * 64)]
    first, second = tmp_path / "1.json", tmp_path / "2.json"
    results.write_atomic(first, _file(rows))
    results.write_atomic(second, _file(list(reversed(rows))))
    assert first.read_bytes() == second.read_bytes()
    text = first.read_text()
    assert text.endswith("}\n") and text.startswith('{\n "format_version": 2,')
    loaded = json.loads(text)
    assert [(r["model"], r["runtime"]) for r in loaded["rows"]] == [
        ("a", "onnxruntime"),
        ("a", "openvino"),
        ("b", "onnxruntime"),
    ]
    assert loaded["generated_by"] == "nnkb bench"
    assert "achieved_flops" not in text and "peak_fraction" not in text


def test_write_only_when_content_changed(tmp_path):
    path = tmp_path / "r.json"
    assert results.write_atomic(path, _file([_row()])) is True
    os.utime(path, (1_000_000, 1_000_000))
    assert results.write_atomic(path, _file([_row()])) is False
    assert path.stat().st_mtime == 1_000_000
    assert results.write_atomic(path, _file([_row(key="e" * 64)]))
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temp file left behind


def test_non_finite_numbers_are_refused_not_written(tmp_path):
    path = tmp_path / "r.json"
    latency = replace(_row().latency, p99=float("inf"))
    with pytest.raises(ValueError):
        results.write_atomic(path, _file([_row(latency=latency)]))
    assert list(tmp_path.iterdir()) == []


def test_load_all_reads_every_machine(tmp_path, kb_copy):
    kb_copy(tmp_path / "kb")
    (tmp_path / "kb" / "results" / "example-machine.json").unlink()
    for machine_id in ("b-cpu-2c-11111111", "a-cpu-4c-22222222"):
        path = tmp_path / "kb" / "results" / f"{machine_id}.json"
        results.write_atomic(path, _file([_row("squeezenet-1-1")], machine_id))
    loaded = results.load_all(tmp_path / "kb")
    assert [f.machine.id for f in loaded] == ["a-cpu-4c-22222222", "b-cpu-2c-11111111"]
    assert loaded[0].rows[0].model == "squeezenet-1-1"
    assert results.load_all(tmp_path / "nowhere") == []


def test_read_reports_file_and_position(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{\n "rows": [\n')
    with pytest.raises(results.ResultsError, match=r"bad\.json:3:1: bad: JSON syntax error"):
        results.read(path)
    path.write_text(json.dumps({"format_version": 2}))
    with pytest.raises(results.ResultsError, match="generated_by"):
        results.read(path)


def test_reading_a_format_1_file_says_to_migrate(tmp_path):
    path = tmp_path / "amd-epyc-2c-6313b166.json"
    shutil.copy(V1, path)
    with pytest.raises(results.ResultsError) as caught:
        results.read(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{path}:2:")
    assert f"run `python -m nnkb.results.migrate {path}`" in message


def _invalid_cases() -> list[str]:
    return sorted(p.name for p in (FIXTURES / "invalid").glob("results-*"))


@pytest.mark.parametrize("case", _invalid_cases())
def test_the_reader_refuses_what_validate_refuses(case, tmp_path, kb_copy):
    """Every invalid results fixture: `nnkb validate` and the reader (load_all, as the site
    reads) both refuse it, with the same first problem."""
    kb = kb_copy(tmp_path / "kb", "valid_kb", f"invalid/{case}/kb")
    problems = sorted(check_kb(kb).problems)
    assert problems
    if case == "results-stray-file":  # a layout problem of the folder, not of a results file
        assert not problems[0].path.endswith(".json")
        return
    with pytest.raises(results.ResultsError) as caught:
        results.load_all(kb)
    first = problems[0]
    assert str(caught.value).startswith(f"{kb / 'results' / 'example-machine.json'}:{first.line}:")
    assert first.message in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"p50": NaN', "NaN is not a JSON number"),
        ('"p50": Infinity', "Infinity is not a JSON number"),
        ('"p50": 1e999', "inf is not a finite number"),
        ('"p50": 0', "p50: expected a number >= 1e-09"),
        ('"p50": -0.002', "p50: expected a number >= 1e-09"),
        ('"fp32_flops": 1e-300', "fp32_flops: expected a number >= 1000000.0"),
        ('"ci95_low": 0.0', "ci95_low: expected a number >= 1e-09"),
    ],
)
def test_zero_negative_and_non_finite_figures_are_refused_with_their_line(text, expected, tmp_path):
    # The valid fixture's small file, not a committed one: each case reads it whole, schema
    # and positions included, and the reader's checks are the same for any size.
    source = SMALL.read_text()
    name = text.split(":")[0]
    lines = source.splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip().startswith(name + ":"))
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    comma = "," if lines[index].rstrip().endswith(",") else ""
    lines[index] = indent + text + comma
    path = tmp_path / SMALL.name
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(results.ResultsError) as caught:
        results.read(path)
    assert str(caught.value).startswith(f"{path}:{index + 1}:")
    assert expected in str(caught.value)


def test_two_rows_of_the_same_identity_are_refused(tmp_path):
    path = tmp_path / "test-cpu-2c-00000000.json"
    path.write_text(_file([_row(), _row(key="b" * 64)]).dumps())
    with pytest.raises(results.ResultsError, match="a second row of model 'm', runtime"):
        results.read(path)


def test_migration_keeps_every_measurement(tmp_path):
    path = tmp_path / V1.name
    shutil.copy(V1, path)
    before = json.loads(path.read_text())
    assert migrate.main([str(path)]) == 0
    [path] = tmp_path.glob("*.json")  # renamed to the id that names the OS family
    after = results.read(path)
    assert path.read_text() == after.dumps()
    # The id now names the OS family (Linux); the rest of the name is the old one's.
    assert (
        after.machine.id.startswith("amd-epyc-2c-linux-")
        and after.machine.id != before["machine"]["id"]
    )
    assert after.machine.peak.to_json() == before["machine"]["peak"]
    fingerprint = before["machine"]["fingerprint"]
    assert after.machine.hardware.to_json() == {
        **{k: fingerprint[k] for k in migrate.HARDWARE_FIELDS},
        "peak": before["machine"]["peak"],
        "os_family": "linux",
    }
    assert after.machine.software.to_json() == {k: fingerprint[k] for k in migrate.SOFTWARE_FIELDS}
    assert after.harness == before["harness"]
    migrated = {r.identity: r.to_json() for r in after.rows}
    assert len(migrated) == len(before["rows"]) == 44
    for old in before["rows"]:
        new = migrated[(old["model"], old["runtime"], results.canonical_json(old["settings"]))]
        for name, value in old.items():
            if name not in ("key", *migrate.DERIVED):
                assert new[name] == value, (old["model"], old["runtime"], name)
        assert new["key"] != old["key"]  # the model id is in the key now
    # Running it again changes nothing; the committed file holds this migration's rows (with
    # the weights each measured, python -m nnkb.results.record_weights) wherever they have
    # not been measured again since.
    assert migrate.main([str(path)]) == 0
    assert path.read_text() == after.dumps()
    # The results file as it was before its rows were all measured again (a fixture copy).
    frozen = ROOT / "tests" / "fixtures" / "results_v2" / "amd-epyc-2c-linux-c907c428.json"
    committed = {r.identity: r for r in results.read(frozen).rows}
    kept = [r for r in after.rows if r.identity in committed and committed[r.identity].key == r.key]
    assert len(kept) >= 30  # the rows a later bench did not replace
    for row in kept:
        assert (
            dataclasses.replace(row, weights=committed[row.identity].weights)
            == (committed[row.identity])
        )


def test_migration_refuses_what_it_cannot_read(tmp_path, capsys):
    path = tmp_path / "x.json"
    path.write_text('{"format_version": 1, "generated_by": "nnkb bench"}')
    assert migrate.main([str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a format-1 results file" in err and str(path) in err
    assert path.read_text() == '{"format_version": 1, "generated_by": "nnkb bench"}'


def test_validate_accepts_rows_measured_in_several_processes(tmp_path, kb_copy):
    """A row with its processes (one failed) and the faster one's latency is valid."""
    kb = kb_copy(tmp_path / "kb")
    path = kb / "results" / "example-machine.json"
    data = json.loads(path.read_text())
    row = data["rows"][0]
    first = {k: row["latency"][k] for k in ("p50", "ci95_low", "ci95_high", "n")}
    row["processes"] = [
        {**first, "measured_at": row["measured_at"]},
        {**first, "p50": 0.0025, "ci95_high": 0.0026, "measured_at": "2026-11-25T08:05:00Z"},
        {
            "status": "crashed",
            "reason": "worker killed by SIGSEGV",
            "measured_at": "2026-11-25T08:09:00Z",
        },
    ]
    row["process_spread"] = 0.0025 / 0.0021 - 1
    row["verification"] = None
    path.write_text(json.dumps(data, indent=2))
    assert check_kb(kb).problems == []
    loaded = results.read(path)
    assert [p.measured for p in loaded.rows[0].processes] == [True, True, False]

    row["processes"][1]["p50"] = 0.002  # faster than the reported latency
    path.write_text(json.dumps(data, indent=2))
    [problem] = check_kb(kb).problems
    assert "must equal the lowest p50 of the row's processes (0.002)" in problem.message
    with pytest.raises(results.ResultsError, match="lowest p50"):
        results.read(path)
