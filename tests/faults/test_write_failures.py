"""A results file that cannot be written: one line naming the file and the cause, exit
status 1, no traceback, and the previous file intact with every earlier row."""

from __future__ import annotations

import errno
import os

import pytest
from faultkit import assert_intact, bench, seeded

from nnkb.results import io as results_io


def _one_line_error(err: str, *parts: str) -> None:
    [line] = err.splitlines()
    assert line.startswith("nnkb bench: ") and "Traceback" not in err
    for part in parts:
        assert part in line


def test_a_full_disk_keeps_the_previous_file_and_says_so(bench_env, capsys, monkeypatch):
    kb, out, earlier = seeded(bench_env)
    capsys.readouterr()

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(results_io.os, "fsync", disk_full)
    assert bench(kb, out, "--models", "b", "--runtimes", "test-raise") == 1
    _one_line_error(capsys.readouterr().err, str(out), "cannot write", "No space left on device")
    assert out.read_bytes() == earlier
    assert sorted(p.name for p in out.parent.iterdir()) == [".r.json.lock", "r.json"]
    assert_intact(out, earlier)


def test_a_read_only_file_system_keeps_the_previous_file_and_says_so(
    bench_env, capsys, monkeypatch
):
    kb, out, earlier = seeded(bench_env)
    capsys.readouterr()

    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(results_io.tempfile, "mkstemp", read_only)
    assert bench(kb, out, "--models", "b", "--runtimes", "test-raise") == 1
    _one_line_error(capsys.readouterr().err, str(out), "Read-only file system")
    assert_intact(out, earlier)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_keeps_the_previous_file_and_says_so(bench_env, capsys):
    kb, out, earlier = seeded(bench_env)
    capsys.readouterr()
    out.parent.chmod(0o555)
    try:
        assert bench(kb, out, "--models", "b", "--runtimes", "test-raise") == 1
    finally:
        out.parent.chmod(0o755)
    _one_line_error(capsys.readouterr().err, str(out), "Permission denied")
    assert_intact(out, earlier)


def test_a_missing_folder_is_refused_before_any_row_runs(bench_env, capsys):
    kb, out, earlier = seeded(bench_env)
    capsys.readouterr()
    missing = bench_env / "no-such-folder" / "r.json"
    assert bench(kb, missing, "--runtimes", "test-raise") == 1
    captured = capsys.readouterr()
    _one_line_error(captured.err, str(missing), "does not exist")
    assert "[1/" not in captured.err  # no row ran
    assert not missing.parent.exists()
    assert_intact(out, earlier)
