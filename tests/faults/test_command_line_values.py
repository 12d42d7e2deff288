"""Budgets and timeouts must be positive finite seconds: anything else is a one-line usage
error with exit status 2, before any row runs."""

from __future__ import annotations

import pytest
from faultkit import assert_intact, bench, seeded


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--timeout", "-5"),
        ("--timeout", "0"),
        ("--budget", "nan"),
        ("--budget", "-1"),
        ("--budget", "inf"),
        ("--row-budget", "-1"),
        ("--row-budget", "soon"),
    ],
)
def test_a_non_positive_or_non_finite_value_is_a_usage_error_before_any_row(
    bench_env, capsys, option, value
):
    kb, out, earlier = seeded(bench_env)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        bench(kb, out, "--force", "--runtimes", "test-raise", option, value)
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith(f"nnkb bench: error: argument {option}: '{value}' ")
    assert "positive, finite number of seconds" in line or "is not a number" in line
    assert out.read_bytes() == earlier  # no row ran: the --force rerun never started
    assert_intact(out, earlier)


@pytest.mark.parametrize(
    ("option", "value"), [("--row-budget", "100000"), ("--timeout", "10000000")]
)
def test_a_row_budget_or_timeout_beyond_a_day_is_a_usage_error_before_any_row(
    bench_env, capsys, option, value
):
    """--row-budget 100000 used to store a row the schema refuses (blocking every later
    bench); --timeout 10000000 ended in an OverflowError and lost the row."""
    kb, out, earlier = seeded(bench_env)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        bench(kb, out, "--force", "--runtimes", "test-raise", option, value)
    assert exited.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"nnkb bench: error: argument {option}: '{value}' is more than a day")
    assert "expected at most 86400 seconds" in line
    assert out.read_bytes() == earlier
    assert_intact(out, earlier)
