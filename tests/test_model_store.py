"""The model store and `nnkb models fetch|add|list`, against a local HTTP server on 127.0.0.1:
redirects, a wrong hash, a truncated download resumed, a file larger than declared, a
server too slow for the deadline; and the bench's rows for a file not in the store."""

from __future__ import annotations

import hashlib
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import yaml

from local_http import LocalHttp
from nnkb.cli import main
from nnkb.models.download import DownloadError, fetch
from nnkb.models.store import ModelStore

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


class _Server(LocalHttp):
    """/model.onnx honours Range; /redirect and /ftp redirect; /flaky sends half the file and
    closes the first time; /big sends twice the bytes with no length; /slow trickles."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str | None]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _send(self, data: bytes, start: int = 0) -> None:
                self.send_response(206 if start else 200)
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.send_header("Content-Length", str(len(data) - start))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data[start:])

            def do_GET(self) -> None:
                range_ = self.headers.get("Range")
                owner.requests.append((self.path, range_))
                start = int(range_.split("=")[1].rstrip("-")) if range_ else 0
                if self.path == "/model.onnx":
                    self._send(PAYLOAD, start)
                elif self.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", "/model.onnx")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif self.path == "/ftp":
                    self.send_response(302)
                    self.send_header("Location", "ftp://127.0.0.1/model.onnx")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif self.path == "/flaky" and sum(p == "/flaky" for p, _ in owner.requests) == 1:
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(PAYLOAD)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(PAYLOAD[: len(PAYLOAD) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(2)
                elif self.path == "/flaky":
                    self._send(PAYLOAD, start)
                elif self.path == "/big":
                    self.send_response(200)
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(PAYLOAD * 2)
                elif self.path == "/slow":
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(PAYLOAD)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    for _ in range(50):
                        self.wfile.write(b"x")
                        self.wfile.flush()
                        time.sleep(0.1)
                else:
                    self.send_error(404, "Not Found")

            def log_message(self, *args) -> None:
                pass

        super().__init__(Handler)


@pytest.fixture
def server():
    with _Server() as running:
        yield running


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelStore:
    monkeypatch.setenv("NNKB_MODEL_STORE", str(tmp_path / "store"))
    return ModelStore.default()


def test_fetch_verifies_stores_by_hash_and_reuses(server, store):
    path = fetch(store, f"{server.base}/model.onnx", PAYLOAD_SHA, len(PAYLOAD))
    assert path == store.path_for(PAYLOAD_SHA) and path.read_bytes() == PAYLOAD
    fetch(store, f"{server.base}/model.onnx", PAYLOAD_SHA, len(PAYLOAD))
    assert len(server.requests) == 1  # the second fetch found the file


def test_fetch_follows_http_redirects_only(server, store):
    fetch(store, f"{server.base}/redirect", PAYLOAD_SHA, len(PAYLOAD))
    assert [p for p, _ in server.requests] == ["/redirect", "/model.onnx"]
    other = ModelStore(store.root.parent / "other")
    with pytest.raises(DownloadError, match="not an http\\(s\\) URL"):
        fetch(other, f"{server.base}/ftp", PAYLOAD_SHA, len(PAYLOAD))


def test_wrong_hash_is_refused_and_nothing_is_kept(server, store):
    wrong = "0" * 64
    with pytest.raises(DownloadError, match="does not match its sha256 pin"):
        fetch(store, f"{server.base}/model.onnx", wrong, len(PAYLOAD))
    assert not store.path_for(wrong).exists() and not store.partial_for(wrong).exists()


def test_truncated_download_is_resumed_with_a_range_request(server, store):
    url = f"{server.base}/flaky"
    with pytest.raises(DownloadError):
        fetch(store, url, PAYLOAD_SHA, len(PAYLOAD))
    half = store.partial_for(PAYLOAD_SHA).stat().st_size
    assert 0 < half < len(PAYLOAD) and store.find(PAYLOAD_SHA) is None
    fetch(store, url, PAYLOAD_SHA, len(PAYLOAD))
    assert server.requests[-1] == ("/flaky", f"bytes={half}-")
    assert store.find(PAYLOAD_SHA) is not None
    assert not store.partial_for(PAYLOAD_SHA).exists()


def test_download_stops_at_the_declared_size(server, store):
    with pytest.raises(DownloadError, match="more than the 1,048,576 bytes"):
        fetch(store, f"{server.base}/big", PAYLOAD_SHA, len(PAYLOAD))
    assert not store.partial_for(PAYLOAD_SHA).exists()


def test_download_stops_at_the_deadline(server, store):
    # The server trickles 50 bytes over 5 s, then closes: without the deadline the download
    # would end as a short read, so the deadline's own error is what this checks (no timing).
    with pytest.raises(DownloadError, match="deadline"):
        fetch(store, f"{server.base}/slow", PAYLOAD_SHA, len(PAYLOAD), deadline_s=0.5)
    assert store.find(PAYLOAD_SHA) is None


def test_a_damaged_stored_file_is_not_served(store, tmp_path):
    source = tmp_path / "m.onnx"
    source.write_bytes(PAYLOAD)
    path = store.put(source, PAYLOAD_SHA)
    path.write_bytes(b"damaged")
    assert store.find(PAYLOAD_SHA) is None and not path.exists()


# -- the command line and the bench ------------------------------------------------------------


def _kb_with_url_model(kb_copy, tmp_path: Path, url: str) -> Path:
    kb = kb_copy(tmp_path / "kb")
    model = yaml.safe_load((kb / "models" / "squeezenet-1-1.yaml").read_text())
    model["onnx"] = {
        "source": "url",
        "url": url,
        "sha256": PAYLOAD_SHA,
        "size": len(PAYLOAD),
        "provenance": {
            "exported_by": "a test",
            "source": {"title": "test", "url": "https://example.org/"},
        },
        "inputs": {"input": [1, 3, 224, 224]},
    }
    (kb / "models" / "pretrained.yaml").write_text(yaml.safe_dump(model))
    return kb


def test_models_commands_fetch_list_and_add(server, store, tmp_path, capsys, kb_copy):
    kb = _kb_with_url_model(kb_copy, tmp_path, f"{server.base}/model.onnx")
    assert main(["models", "list", "--kb", str(kb)]) == 0
    out = capsys.readouterr().out
    assert "pretrained" in out and "missing" in out and "1 missing: nnkb models fetch" in out
    assert main(["models", "fetch", "--kb", str(kb)]) == 0
    assert "pretrained: fetched (1,048,576 bytes, sha256 verified)" in capsys.readouterr().out
    assert store.find(PAYLOAD_SHA) is not None

    other = ModelStore(tmp_path / "offline")
    copy = tmp_path / "colleague.onnx"
    copy.write_bytes(PAYLOAD)
    stranger = tmp_path / "stranger.onnx"
    stranger.write_bytes(b"not pinned")
    import os

    os.environ["NNKB_MODEL_STORE"] = str(other.root)
    assert main(["models", "add", "--kb", str(kb), str(copy), str(stranger)]) == 1
    captured = capsys.readouterr()
    assert f"{copy}: added as pretrained" in captured.out
    assert f"{stranger}: its sha256" in captured.err and "nothing was added" in captured.err
    assert other.find(PAYLOAD_SHA) is not None


def test_fetch_names_a_failed_file_and_exits_1(server, store, tmp_path, capsys, kb_copy):
    kb = _kb_with_url_model(kb_copy, tmp_path, f"{server.base}/gone.onnx")
    assert main(["models", "fetch", "--kb", str(kb)]) == 1
    assert "nnkb models: pretrained: " in capsys.readouterr().err
    assert main(["models", "fetch", "--kb", str(kb), "pretrainde"]) == 1
    assert "did you mean 'pretrained'" in capsys.readouterr().err


def test_bench_without_the_file_plans_unavailable_rows_and_says_how_to_get_it(
    quiet_bench, store, tmp_path, capsys, kb_copy
):
    kb = _kb_with_url_model(kb_copy, tmp_path, "https://example.org/model.onnx")
    assert main(["bench", "--kb", str(kb), "--models", "pretrained", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "pretrained × " in out and "unavailable (model file not in the store)" in out
    assert "1 model file(s) not in the model store" in out and "nnkb models fetch" in out


def test_a_missing_file_keeps_the_rows_measured_with_it(quiet_bench, store, tmp_path, kb_copy):
    """Rows measured where the file was are kept as they are; the others become
    'unavailable' rows whose reason says how to get the file."""
    from nnkb.bench.plan import build_plan
    from nnkb.bench.runtimes import load_adapters
    from nnkb.kb import load_kb

    kb = load_kb(_kb_with_url_model(kb_copy, tmp_path, "https://example.org/model.onnx"))
    adapters = list(load_adapters().values())[:1]
    versions = {a.name: a.version() for a in adapters}
    first = build_plan([kb.models["pretrained"]], adapters, versions, tmp_path, {}, False)
    assert first and all(p.missing and not p.cached for p in first)
    assert all(p.unavailable and "nnkb models fetch (or" in p.unavailable for p in first)
    from results_builder import row

    measured = row("pretrained", first[0].runtime, 0.01, settings=first[0].settings)
    stored = {first[0].identity: measured}
    again = build_plan([kb.models["pretrained"]], adapters, versions, tmp_path, stored, False)
    assert again[0].cached and not any(p.cached for p in again[1:])


def test_the_site_build_never_downloads_a_url_model(server, store, tmp_path, kb_copy):
    """A pull request's url model is left out of the in-browser benchmark page when the store
    lacks it: the build makes no request, wherever the URL points."""
    from nnkb.kb import load_kb
    from nnkb.render.build import webbench

    kb = load_kb(_kb_with_url_model(kb_copy, tmp_path, f"{server.base}/model.onnx"))
    records = webbench.copy_models(kb, tmp_path / "page" / "models", only=["pretrained"])
    assert records == [] and server.requests == []
