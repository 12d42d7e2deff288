"""Rows of one machine never land in another machine's results file: a --results file whose
hardware part differs from this machine's is refused before any row runs, and kept intact."""

from __future__ import annotations

from dataclasses import replace

from faultkit import assert_intact, bench, seeded

from nnkb import results


def test_a_results_file_of_other_hardware_is_refused_and_kept(bench_env, capsys):
    kb, out, _ = seeded(bench_env)
    stored = results.read(out, named=False)
    other = replace(stored.machine.hardware, cpu_model="Other CPU", physical_cores=64)
    stored.machine = replace(stored.machine, id="other-cpu-64c-00000000", hardware=other)
    results.write_atomic(out, stored)
    earlier = out.read_bytes()
    capsys.readouterr()

    assert bench(kb, out, "--models", "b", "--runtimes", "test-raise") == 1
    captured = capsys.readouterr()
    [line] = captured.err.splitlines()
    assert line.startswith(f"nnkb bench: {out}: holds results of machine 'other-cpu-64c-00000000'")
    assert "[1/" not in captured.err  # no row ran
    assert out.read_bytes() == earlier
    assert_intact(out, earlier)
