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
