"""Faults in the KB's files: only regular files inside the KB are read, and never more than
the size limit plus one byte.

A symlink may point at a secret (whose content must not reach CI logs or PR annotations) or at
/dev/zero; a FIFO blocks whoever opens it; a folder can sit where a file belongs. Each case is
built at test time in a copy of the valid fixture KB.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import traceback
from pathlib import Path

import pytest

from nnkb import cli, yamlsafe
from nnkb.kb import KBError, load_kb
from nnkb.yamlsafe import YamlProblem, load_json, load_yaml, read_regular_file

REPO = Path(__file__).resolve().parents[2]
VALID_KB = REPO / "tests" / "fixtures" / "valid_kb"
SECRET = "SECRET-TOKEN-5f3a9c"
REGULAR_ONLY = "KB files must be regular files"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """tmp/kb: a copy of the valid fixture KB; tmp/outside: a folder outside it with a secret."""
    shutil.copytree(VALID_KB, tmp_path / "kb")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text(f"# {SECRET}\nname: {SECRET}\n")
    (outside / "secret.json").write_text(f'{{"token": "{SECRET}"}}\n')
    return tmp_path


def replace_with_symlink(path: Path, target: Path) -> None:
    path.unlink()
    path.symlink_to(target)


def validate(workdir: Path) -> subprocess.CompletedProcess[str]:
    """`nnkb validate --kb kb` in a child process, so a read that blocks (a FIFO, a device)
    cannot hang the tests: the child is killed after TIMEOUT seconds. The child is a fork of
    this process, which has nnkb imported already; a new interpreter would spend half a second
    importing it. (These cases exist only where there is fork: FIFOs, device nodes, /dev/zero.)"""
    args = ["validate", "--kb", "kb"]
    out, err = workdir / "validate.out", workdir / "validate.err"
    pid = os.fork()
    if pid == 0:  # the child: runs the command and exits, never returns into pytest
        status = 70
        try:
            with open(out, "w") as stdout, open(err, "w") as stderr:
                sys.stdout, sys.stderr = stdout, stderr
                try:
                    os.chdir(workdir)
                    os.environ.pop("GITHUB_ACTIONS", None)
                    status = cli.main(args)
                except BaseException:
                    traceback.print_exc()  # the test sees "Traceback" in stderr
                    raise
        finally:
            os._exit(status)  # also when the command raised: the child never runs pytest on
    deadline = time.monotonic() + TIMEOUT
    while (ended := os.waitpid(pid, os.WNOHANG))[0] == 0:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"nnkb validate was still running after {TIMEOUT} s: a read blocked")
        time.sleep(0.01)
    code = os.waitstatus_to_exitcode(ended[1])
    return subprocess.CompletedProcess(args, code, out.read_text(), err.read_text())


TIMEOUT = 120


def validate_here(workdir: Path, monkeypatch, capsys, *, github: bool = False):
    """`nnkb validate --kb kb` in this process, for the cases where no read can block: no
    interpreter to start. Returns what `validate` returns."""
    monkeypatch.chdir(workdir)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    if github:
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
    args = ["validate", "--kb", "kb"]
    status = cli.main(args)
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(args, status, out, err)


def assert_refused(result: subprocess.CompletedProcess[str], line: str) -> None:
    output = result.stdout + result.stderr
    assert line in result.stdout.splitlines(), output
    assert result.returncode == 1
    assert "Traceback" not in output
    assert SECRET not in output


def test_symlinked_entry_is_refused_without_reading_its_target(workdir, monkeypatch, capsys):
    entry = workdir / "kb" / "models" / "squeezenet-1-1.yaml"
    secret = workdir / "outside" / "secret.yaml"
    replace_with_symlink(entry, secret)
    opened: list[str] = []
    real_open = os.open

    def spy(path, *args, **kwargs):
        opened.append(os.path.realpath(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    monkeypatch.chdir(workdir)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    status = cli.main(["validate", "--kb", "kb"])
    out, err = capsys.readouterr()
    assert status == 1
    assert out.splitlines() == [
        (
            "kb/models/squeezenet-1-1.yaml:1:1: squeezenet-1-1: "
            f"'squeezenet-1-1.yaml' is a symlink; {REGULAR_ONLY}"
        )
    ]
    assert SECRET not in out + err
    assert str(secret) not in opened
    assert opened, "the spy saw no file opened at all; it does not watch the reads"


def test_secret_behind_a_symlink_never_reaches_github_annotations(workdir, monkeypatch, capsys):
    replace_with_symlink(
        workdir / "kb" / "hardware" / "x86-cpu.yaml", workdir / "outside" / "secret.yaml"
    )
    result = validate_here(workdir, monkeypatch, capsys, github=True)
    assert_refused(
        result,
        f"kb/hardware/x86-cpu.yaml:1:1: x86-cpu: 'x86-cpu.yaml' is a symlink; {REGULAR_ONLY}",
    )
    assert any(
        line.startswith("::error file=kb/hardware/x86-cpu.yaml")
        for line in result.stdout.splitlines()
    )


def test_symlinked_results_file_is_refused_without_reading_its_target(workdir, monkeypatch, capsys):
    replace_with_symlink(
        workdir / "kb" / "results" / "example-machine.json", workdir / "outside" / "secret.json"
    )
    assert_refused(
        validate_here(workdir, monkeypatch, capsys),
        "kb/results/example-machine.json:1:1: example-machine: "
        f"'example-machine.json' is a symlink; {REGULAR_ONLY}",
    )


def test_symlink_to_dev_zero_is_refused_before_any_read(workdir):
    replace_with_symlink(workdir / "kb" / "results" / "example-machine.json", Path("/dev/zero"))
    assert_refused(
        validate(workdir),
        "kb/results/example-machine.json:1:1: example-machine: "
        f"'example-machine.json' is a symlink; {REGULAR_ONLY}",
    )


def test_fifo_entry_is_refused_without_blocking(workdir):
    entry = workdir / "kb" / "hardware" / "arm-cpu.yaml"
    entry.unlink()
    os.mkfifo(entry)
    assert_refused(
        validate(workdir),
        f"kb/hardware/arm-cpu.yaml:1:1: arm-cpu: 'arm-cpu.yaml' is a FIFO (named pipe); {REGULAR_ONLY}",
    )


def test_device_entry_is_refused_without_opening_it(workdir):
    entry = workdir / "kb" / "hardware" / "arm-cpu.yaml"
    entry.unlink()
    try:
        os.mknod(entry, 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # the /dev/zero device
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot create a device node here ({exc})")
    assert_refused(
        validate(workdir),
        f"kb/hardware/arm-cpu.yaml:1:1: arm-cpu: 'arm-cpu.yaml' is a device; {REGULAR_ONLY}",
    )


def test_folder_where_an_entry_belongs_is_refused(workdir, monkeypatch, capsys):
    (workdir / "kb" / "models" / "resnet-18.yaml").mkdir()
    assert_refused(
        validate_here(workdir, monkeypatch, capsys),
        f"kb/models/resnet-18.yaml:1:1: resnet-18: 'resnet-18.yaml' is a folder; {REGULAR_ONLY}",
    )


def test_symlinked_collection_folder_is_not_entered(workdir, monkeypatch, capsys):
    models = workdir / "kb" / "models"
    shutil.copytree(models, workdir / "outside" / "models")
    shutil.copy(workdir / "outside" / "secret.yaml", workdir / "outside" / "models" / "leak.yaml")
    shutil.rmtree(models)
    models.symlink_to(workdir / "outside" / "models")
    result = validate_here(workdir, monkeypatch, capsys)
    assert_refused(
        result,
        "kb/models:1:1: models: 'models' is a symlink; KB folders must be real folders inside the KB",
    )
    assert "leak" not in result.stdout


def test_kb_loader_refuses_a_symlinked_entry_without_its_content(workdir):
    replace_with_symlink(
        workdir / "kb" / "models" / "squeezenet-1-1.yaml", workdir / "outside" / "secret.yaml"
    )
    with pytest.raises(KBError) as info:
        load_kb(workdir / "kb")
    message = str(info.value)
    assert message.endswith(
        "models/squeezenet-1-1.yaml:1:1: squeezenet-1-1: "
        f"'squeezenet-1-1.yaml' is a symlink; {REGULAR_ONLY}"
    )
    assert SECRET not in message


def test_kb_loader_does_not_enter_a_symlinked_collection_folder(workdir):
    shutil.rmtree(workdir / "kb" / "hardware")
    (workdir / "kb" / "hardware").symlink_to(workdir / "outside")
    with pytest.raises(KBError, match="'hardware' is a symlink; KB folders must be real folders"):
        load_kb(workdir / "kb")


def test_model_command_reports_a_symlinked_entry_in_one_line(workdir, monkeypatch, capsys):
    replace_with_symlink(
        workdir / "kb" / "models" / "squeezenet-1-1.yaml", workdir / "outside" / "secret.yaml"
    )
    monkeypatch.chdir(workdir)
    status = cli.main(["model", "squeezenet-1-1", "--kb", "kb"])
    out, err = capsys.readouterr()
    assert status == 1
    assert f"'squeezenet-1-1.yaml' is a symlink; {REGULAR_ONLY}" in err
    assert SECRET not in out + err
    assert "Traceback" not in out + err


@pytest.mark.parametrize("loader", [load_yaml, load_json], ids=["yaml", "json"])
def test_both_loaders_refuse_a_device_given_directly(loader):
    with pytest.raises(YamlProblem, match=f"'null' is a device; {REGULAR_ONLY}"):
        loader(Path("/dev/null"))


def test_a_file_larger_than_stat_says_is_read_only_up_to_the_limit_plus_one_byte(
    tmp_path, monkeypatch
):
    # A file that grows after stat: stat reports 10 bytes, the content is 50 times the limit.
    limit = 1000
    path = tmp_path / "growing.yaml"
    path.write_bytes(b"a" * (50 * limit))
    real_fstat, real_lstat, real_read = os.fstat, os.lstat, os.read
    read_bytes: list[int] = []

    def small(info: os.stat_result) -> os.stat_result:
        fields = list(info)
        fields[stat.ST_SIZE] = 10
        return os.stat_result(fields)

    def counting_read(fd: int, n: int) -> bytes:
        chunk = real_read(fd, n)
        read_bytes.append(len(chunk))
        return chunk

    monkeypatch.setattr(yamlsafe.os, "fstat", lambda fd: small(real_fstat(fd)))
    monkeypatch.setattr(yamlsafe.os, "lstat", lambda p: small(real_lstat(p)))
    monkeypatch.setattr(yamlsafe.os, "read", counting_read)
    with pytest.raises(YamlProblem, match=f"file is more than {limit} bytes"):
        read_regular_file(path, limit)
    assert sum(read_bytes) == limit + 1


def test_a_file_at_the_limit_is_read_whole(tmp_path):
    path = tmp_path / "full.yaml"
    path.write_bytes(b"a" * 1000)
    assert read_regular_file(path, 1000) == b"a" * 1000
