"""materialize() for every source, the url source against a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import importlib.util
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from local_http import LocalHttp
from nnkb.kb import Model
from nnkb.models.builtin import BUILDERS
from nnkb.models.sources import LOADERS, ModelSourceError, materialize, sha256_file

PAYLOAD = b"an onnx file, as far as hashing is concerned\n" * 100
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


def _model(onnx: dict | None, model_id: str = "m") -> Model:
    return Model("models", model_id, Path(f"kb/models/{model_id}.yaml"), {"onnx": onnx})


def _spec(**fields) -> dict:
    return {"inputs": {"input": [1, 3, 224, 224]}, **fields}


class _Server(LocalHttp):
    """Serves PAYLOAD at /model.onnx, 404 elsewhere, and counts the requests per path."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(self.path)
                if self.path == "/model.onnx":
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(PAYLOAD)))
                    self.end_headers()
                    self.wfile.write(PAYLOAD)
                else:
                    self.send_error(404, "Not Found")

            def log_message(self, *args) -> None:
                pass

        super().__init__(Handler)


@pytest.fixture
def server():
    with _Server() as running:
        yield running


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


def test_every_schema_source_has_a_loader():
    assert set(LOADERS) == {"builtin", "package", "file", "url"}


# -- url ---------------------------------------------------------------------------------------


def test_url_reads_the_model_store_only(server, tmp_path, monkeypatch):
    """The bench and the site build never download: a url model's file comes from the store
    (filled by `nnkb models fetch`/`add`), and a missing one is NotInStore."""
    from nnkb.models.sources import NotInStore
    from nnkb.models.store import ModelStore

    monkeypatch.setenv("NNKB_MODEL_STORE", str(tmp_path / "store"))
    model = _model(_spec(source="url", url=f"{server.base}/model.onnx", sha256=PAYLOAD_SHA))
    with pytest.raises(NotInStore, match="kb/models/m.yaml: model m: model file not in the store"):
        materialize(model, tmp_path / "cache")
    assert server.requests == []
    source = tmp_path / "copy.onnx"
    source.write_bytes(PAYLOAD)
    stored = ModelStore.default().put(source, PAYLOAD_SHA)
    assert materialize(model, tmp_path / "cache") == stored
    assert server.requests == []


# -- package ------------------------------------------------------------------------------------


def test_package_missing(tmp_path):
    model = _model(
        _spec(
            source="package",
            package="no-such-dist",
            import_name="no_such_pkg_nnkb",
            resource="m.onnx",
            sha256=PAYLOAD_SHA,
        )
    )
    with pytest.raises(ModelSourceError, match="'no_such_pkg_nnkb' is not installed.*no-such-dist"):
        materialize(model, tmp_path)


def test_package_found_without_importing_it(tmp_path, monkeypatch):
    # The package's __init__ fails on import, as rapidocr_onnxruntime's does without its
    # dependencies; the file inside must still be found.
    package = tmp_path / "site" / "fakemodels_nnkb"
    (package / "models").mkdir(parents=True)
    (package / "__init__.py").write_text("raise ImportError('needs a dependency')\n")
    (package / "models" / "m.onnx").write_bytes(PAYLOAD)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    spec = _spec(
        source="package",
        package="fakemodels",
        import_name="fakemodels_nnkb",
        resource="models/m.onnx",
        sha256=PAYLOAD_SHA,
    )
    assert materialize(_model(spec), tmp_path / "cache") == package / "models" / "m.onnx"

    with pytest.raises(ModelSourceError, match="has no file 'models/other.onnx'"):
        materialize(_model({**spec, "resource": "models/other.onnx"}), tmp_path / "cache")
    with pytest.raises(ModelSourceError, match="points outside the package"):
        materialize(_model({**spec, "resource": "../escape.onnx"}), tmp_path / "cache")
    with pytest.raises(ModelSourceError) as caught:
        materialize(_model({**spec, "sha256": "1" * 64}), tmp_path / "cache")
    assert str(caught.value).endswith(
        "onnx.sha256: file models/m.onnx of package fakemodels does not match its sha256 pin"
    )


# The files rapidocr-onnxruntime==1.4.4 ships (requirements-models.txt), as measured.
PPOCR_FILES = {
    "models/ch_PP-OCRv4_det_infer.onnx": "d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9",
    "models/ch_PP-OCRv4_rec_infer.onnx": "48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b",
    "models/ch_ppocr_mobile_v2.0_cls_infer.onnx": "e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c",
}


@pytest.mark.skipif(
    importlib.util.find_spec("rapidocr_onnxruntime") is None,
    reason="rapidocr-onnxruntime (requirements-models.txt) missing",
)
@pytest.mark.parametrize(("resource", "sha256"), sorted(PPOCR_FILES.items()))
def test_package_rapidocr_files(tmp_path, resource, sha256):
    spec = _spec(
        source="package",
        package="rapidocr-onnxruntime",
        import_name="rapidocr_onnxruntime",
        resource=resource,
        sha256=sha256,
    )
    path = materialize(_model(spec), tmp_path)
    assert path.name == Path(resource).name
    assert sha256_file(path) == sha256
    assert _files(tmp_path) == []  # used in place, not copied


# -- file ---------------------------------------------------------------------------------------


def test_file_resolves_against_the_repository_root_not_the_current_directory(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / "models").mkdir(parents=True)
    target = repo / "models" / "m.onnx"
    target.write_bytes(PAYLOAD)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    spec = _spec(source="file", path="models/m.onnx", sha256=PAYLOAD_SHA)
    model = Model("models", "m", repo / "kb" / "models" / "m.yaml", {"onnx": spec})
    assert materialize(model, tmp_path / "cache") == target
    missing = Model("models", "m", model.path, {"onnx": {**spec, "path": "models/gone.onnx"}})
    with pytest.raises(ModelSourceError) as caught:
        materialize(missing, tmp_path / "cache")
    assert str(caught.value) == (
        "kb/models/m.yaml: model m: onnx.path: no file at models/gone.onnx "
        "(relative to the repository root)"
    )


def test_file_inside_the_repository_through_a_symlink_is_accepted(tmp_path):
    repo = tmp_path / "repo"
    (repo / "store").mkdir(parents=True)
    (repo / "store" / "m.onnx").write_bytes(PAYLOAD)
    (repo / "models").mkdir()
    (repo / "models" / "m.onnx").symlink_to(repo / "store" / "m.onnx")
    spec = _spec(source="file", path="models/m.onnx", sha256=PAYLOAD_SHA)
    model = Model("models", "m", repo / "kb" / "models" / "m.yaml", {"onnx": spec})
    assert materialize(model, tmp_path / "cache") == repo / "store" / "m.onnx"


# -- builtin ------------------------------------------------------------------------------------


def test_builtin_written_once_named_by_content(tmp_path):
    model = _model(_spec(source="builtin", builder="squeezenet1_1", seed=3))
    path = materialize(model, tmp_path)
    data = BUILDERS["squeezenet1_1"](3).SerializeToString()
    digest = hashlib.sha256(data).hexdigest()
    assert path.name == f"squeezenet1_1-seed3-{digest[:16]}.onnx"
    assert path.read_bytes() == data
    mtime = path.stat().st_mtime_ns
    assert materialize(model, tmp_path) == path
    assert path.stat().st_mtime_ns == mtime  # reused, not rewritten
    assert [f for f in _files(tmp_path) if f.endswith(".onnx")] == [path.name]


def test_builtin_cached_build_is_not_rebuilt_unless_damaged(tmp_path, monkeypatch):
    model = _model(_spec(source="builtin", builder="squeezenet1_1", seed=0))
    built = []
    original = BUILDERS["squeezenet1_1"]

    def counting(seed: int):
        built.append(seed)
        return original(seed)

    monkeypatch.setitem(BUILDERS, "squeezenet1_1", counting)
    path = materialize(model, tmp_path)
    assert materialize(model, tmp_path) == path
    assert built == [0]  # the second call found the recipe and the intact file
    path.write_bytes(b"truncated")
    assert materialize(model, tmp_path) == path
    assert built == [0, 0] and path.read_bytes() == original(0).SerializeToString()
    other_seed = _model(_spec(source="builtin", builder="squeezenet1_1", seed=1))
    assert materialize(other_seed, tmp_path) != path and built == [0, 0, 1]


def test_builtin_unknown_builder_and_pinned_hash(tmp_path):
    with pytest.raises(ModelSourceError, match="unknown builder 'resnet19'; known: .*resnet18"):
        materialize(_model(_spec(source="builtin", builder="resnet19", seed=0)), tmp_path)
    spec = _spec(source="builtin", builder="squeezenet1_1", seed=0, sha256="3" * 64)
    with pytest.raises(ModelSourceError, match="now gives sha256"):
        materialize(_model(spec), tmp_path)


def test_no_onnx_and_unknown_source(tmp_path):
    with pytest.raises(ModelSourceError, match="has no ONNX file"):
        materialize(_model(None), tmp_path)
    with pytest.raises(ModelSourceError, match="unknown source 'ftp'; known: builtin"):
        materialize(_model(_spec(source="ftp")), tmp_path)
