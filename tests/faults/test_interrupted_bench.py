"""An interrupted bench exits non-zero and keeps every row it finished; a --budget that runs
out before every row ran exits non-zero and says how to finish."""

from __future__ import annotations

from faultkit import assert_intact, bench, seeded

from nnkb import results
from nnkb.bench import runner


def test_an_interrupted_run_exits_130_and_keeps_the_rows_it_finished(
    bench_env, capsys, monkeypatch
):
    kb, out, earlier = seeded(bench_env)
    capsys.readouterr()
    execute = runner.Run.execute
    calls = []

    def interrupted_second_row(self, p, budget_left):
        calls.append(p.label)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return execute(self, p, budget_left)

    monkeypatch.setattr(runner.Run, "execute", interrupted_second_row)
    assert bench(kb, out, "--runtimes", "test-raise", "test-nan") == 130
    assert "nnkb: interrupted" in capsys.readouterr().err
    stored = results.read(out, named=False).by_identity()
    assert [i[:2] for i in stored] == [("a", "test-nan"), ("a", "test-raise")]
    assert_intact(out, earlier)


def test_a_spent_budget_exits_3_and_the_stored_rows_stay(bench_env, capsys, monkeypatch):
    kb, out, earlier = seeded(bench_env)
    capsys.readouterr()
    now = iter([0.0, 0.0] + [100.0] * 20)  # the budget is spent after the first row
    monkeypatch.setattr(runner, "clock", lambda: next(now))
    assert bench(kb, out, "--budget", "50", "--runtimes", "test-raise", "test-nan") == 3
    captured = capsys.readouterr()
    assert "skipped 2" in captured.out
    assert "--budget ran out with 2 row(s) not run; run again to measure them" in captured.err
    assert_intact(out, earlier)
