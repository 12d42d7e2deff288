"""Model files stay inside the repository, redirects stay on http(s), and no message that
reaches a results row names a path of this machine or a file's real hash."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures" / "bench"))
import tinykb

from nnkb import results
from nnkb.cli import main
from nnkb.kb import Model
from nnkb.models.sources import ModelSourceError, materialize
from nnkb.models.sources.file import path_problem

PAYLOAD = b"model bytes\n" * 64
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()
PEAK = results.Peak(1e11, "test", "2025-01-01T00:00:00Z")


def file_model(repo: Path, path: str, sha256: str = PAYLOAD_SHA) -> Model:
    spec = {"source": "file", "path": path, "sha256": sha256, "inputs": {"input": [1, 3, 8, 8]}}
    return Model("models", "m", repo / "kb" / "models" / "m.yaml", {"onnx": spec})


def refusal(model: Model, cache: Path) -> str:
    with pytest.raises(ModelSourceError) as caught:
        materialize(model, cache)
    return str(caught.value)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "repo" / "kb" / "models").mkdir(parents=True)
    return tmp_path / "repo"


@pytest.mark.parametrize("value", ["/etc/passwd", "C:\\Windows\\win.ini", "//server/share/m.onnx"])
def test_absolute_file_path_is_refused_without_repeating_it(repo, tmp_path, value):
    message = refusal(file_model(repo, value), tmp_path / "cache")
    assert message == (
        "kb/models/m.yaml: model m: onnx.path: an absolute path is not allowed; expected a path "
        "relative to the repository root (the folder that holds the KB folder)"
    )


def test_dotdot_path_leaving_the_repository_is_refused(repo, tmp_path):
    (tmp_path / "outside.onnx").write_bytes(PAYLOAD)  # exists and matches: still refused
    for value in ("../outside.onnx", "../../../etc/passwd", "models/../../outside.onnx"):
        assert refusal(file_model(repo, value), tmp_path / "cache") == (
            f"kb/models/m.yaml: model m: onnx.path: '{value}' leads outside the repository "
            "(after resolving '..' and symlinks); model files must be inside the repository"
        )


def test_symlink_leading_outside_the_repository_is_refused(repo, tmp_path):
    (tmp_path / "secret.onnx").write_bytes(PAYLOAD)
    (repo / "models").mkdir()
    (repo / "models" / "m.onnx").symlink_to(tmp_path / "secret.onnx")
    (repo / "linked").symlink_to(tmp_path, target_is_directory=True)
    for value in ("models/m.onnx", "linked/secret.onnx"):
        message = refusal(file_model(repo, value), tmp_path / "cache")
        assert f"onnx.path: '{value}' leads outside the repository" in message
        assert str(tmp_path) not in message


def test_folder_or_fifo_where_the_model_file_belongs_is_refused_without_reading_it(repo, tmp_path):
    (repo / "models" / "folder.onnx").mkdir(parents=True)
    os.mkfifo(repo / "models" / "pipe.onnx")  # reading it would block forever
    for value in ("models/folder.onnx", "models/pipe.onnx"):
        assert refusal(file_model(repo, value), tmp_path / "cache") == (
            f"kb/models/m.yaml: model m: onnx.path: {value} is not a regular file"
        )


def test_wrong_pin_names_the_relative_path_and_neither_local_path_nor_real_hash(repo, tmp_path):
    (repo / "models").mkdir()
    (repo / "models" / "m.onnx").write_bytes(PAYLOAD)
    message = refusal(file_model(repo, "models/m.onnx", "5" * 64), tmp_path / "cache")
    assert message == (
        "kb/models/m.yaml: model m: onnx.sha256: file models/m.onnx does not match its sha256 pin"
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("models/m.onnx", None),
        ("models/../models/m.onnx", None),
        ("missing/but/inside.onnx", None),  # existence is the bench's business
        ("/etc/passwd", "onnx.path: an absolute path is not allowed"),
        ("../x.onnx", "onnx.path: '../x.onnx' leads outside the repository"),
        ("", "onnx.path: empty"),
    ],
)
def test_path_problem_is_the_validators_check_of_a_file_path(repo, value, problem):
    found = path_problem(repo / "kb", value)
    assert (found is None) if problem is None else found.startswith(problem)


@pytest.fixture
def bench_env(quiet_bench):
    return quiet_bench


def test_wrong_pin_row_in_the_results_file_names_no_local_path_or_real_hash(bench_env, capsys):
    kb = tinykb.make_kb(bench_env, {"a": tinykb.conv_net(0)})
    real = hashlib.sha256((bench_env / "files" / "a.onnx").read_bytes()).hexdigest()
    yaml = kb / "models" / "a.yaml"
    yaml.write_text(yaml.read_text().replace(real, "6" * 64))
    out = bench_env / "r.json"
    assert main(["bench", "--kb", str(kb), "--results", str(out), "--runtimes", "test-raise"]) == 0
    text = out.read_text()
    data = json.loads(text)
    results.read(out, named=False)  # every check of nnkb validate
    (row,) = data["rows"]
    assert row["status"] == "failed"
    assert row["reason"] == (
        "model file: kb/models/a.yaml: model a: onnx.sha256: file files/a.onnx does not match "
        "its sha256 pin"
    )
    assert str(bench_env) not in text and real not in text
    assert "Traceback" not in capsys.readouterr().err


def test_bench_from_another_directory_finds_file_models_under_the_repository_root(
    bench_env, monkeypatch, capsys
):
    kb = tinykb.make_kb(bench_env / "copy", {"a": tinykb.conv_net(0)})
    elsewhere = bench_env / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    argv = ["bench", "--kb", str(kb), "--runtimes", "test-raise", "--dry-run"]
    assert main(argv) == 0
    plan = capsys.readouterr().out
    assert "a × test-raise" in plan and "model file" not in plan


# -- url redirects --------------------------------------------------------------------------


class Redirector:
    """/model.onnx serves PAYLOAD; /to-ftp/<code> redirects (via a relative http hop) to ftp://;
    /to-http redirects to /model.onnx."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/model.onnx":
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(PAYLOAD)))
                    self.end_headers()
                    self.wfile.write(PAYLOAD)
                    return
                if self.path.startswith("/to-ftp/"):
                    code = int(self.path.rsplit("/", 1)[1])
                    self.send_response(code)
                    self.send_header("Location", f"/hop/{code}")
                elif self.path.startswith("/hop/"):
                    self.send_response(int(self.path.rsplit("/", 1)[1]))
                    self.send_header("Location", "ftp://127.0.0.1/m.onnx")
                elif self.path == "/to-http":
                    self.send_response(302)
                    self.send_header("Location", "/model.onnx")
                else:
                    self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)


@pytest.fixture
def redirector() -> Iterator[Redirector]:
    server = Redirector()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
    server.thread.join(timeout=5)


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_url_redirect_to_ftp_is_refused_naming_the_final_url(redirector, tmp_path, code):
    """`nnkb models fetch` follows http(s) redirects only, and keeps nothing of a refusal."""
    from nnkb.models.download import DownloadError, fetch
    from nnkb.models.store import ModelStore

    store = ModelStore(tmp_path / "store")
    with pytest.raises(DownloadError) as caught:
        fetch(store, f"{redirector.base}/to-ftp/{code}", PAYLOAD_SHA, len(PAYLOAD))
    assert str(caught.value) == (
        f"{redirector.base}/hop/{code} redirects to ftp://127.0.0.1/m.onnx, which is not an "
        "http(s) URL; only http and https are followed"
    )
    assert store.find(PAYLOAD_SHA) is None
    assert not [p for p in (tmp_path / "store").rglob("*") if p.is_file() and p.stat().st_size]


def test_url_redirect_within_http_is_followed(redirector, tmp_path):
    from nnkb.models.download import fetch
    from nnkb.models.store import ModelStore

    path = fetch(ModelStore(tmp_path / "store"), f"{redirector.base}/to-http", PAYLOAD_SHA, None)
    assert path.read_bytes() == PAYLOAD
