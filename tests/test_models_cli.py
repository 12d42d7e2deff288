"""`nnkb model` against a tiny knowledge base made in a temporary folder."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest

from nnkb.cli import main

SQUEEZENET = """\
    name: SqueezeNet 1.1
    published:
      parameters: {value: 1235496, source: {title: torchvision models, url: "https://pytorch.org/vision/stable/models.html"}}
      macs: {value: 350000000, source: {title: torchvision models, url: "https://pytorch.org/vision/stable/models.html"}}
    onnx:
      source: builtin
      builder: squeezenet1_1
      seed: 0
      inputs: {input: [1, 3, 224, 224]}
    """


@pytest.fixture
def kb(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "kb"
    (root / "models").mkdir(parents=True)
    (root / "models" / "squeezenet-1-1.yaml").write_text(textwrap.dedent(SQUEEZENET))
    (tmp_path / "weights.onnx").write_bytes(b"not the pinned file")
    (root / "models" / "pinned-file.yaml").write_text(
        textwrap.dedent(f"""\
        name: Pinned file
        published: {{}}
        onnx:
          source: file
          path: weights.onnx
          sha256: {"4" * 64}
          inputs: {{input: [1, 3, 8, 8]}}
        """)
    )
    (root / "models" / "no-onnx.yaml").write_text(
        "name: No file\npublished: {}\nonnx: null\nnot_benchmarked_reason: weights not public\n"
    )
    monkeypatch.setenv("NNKB_CACHE", str(tmp_path / "cache"))
    return root


def test_model_prints_stats_and_writes_out(kb, tmp_path, capsys):
    out = tmp_path / "out" / "squeezenet.onnx"
    assert main(["model", "squeezenet-1-1", "--kb", str(kb), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "parameters  1,235,496  (published 1.235 M, ratio 1.0000; torchvision models)" in text
    assert "MACs        0.349 G  (published 0.350 G, ratio 0.9976" in text
    assert "input       input: float [1, 3, 224, 224]" in text
    assert "output      logits: float [1, 1000]" in text
    assert "opset       17" in text
    assert f"file        {out}" in text
    assert f"sha256      {hashlib.sha256(out.read_bytes()).hexdigest()}" in text
    assert list((tmp_path / "cache" / "models" / "builtin").iterdir())


def test_unknown_id_suggests_close_ones(kb, capsys):
    assert main(["model", "squeezenet-11", "--kb", str(kb)]) == 1
    err = capsys.readouterr().err
    assert "unknown model id 'squeezenet-11'" in err
    assert "did you mean squeezenet-1-1?" in err
    assert "known ids: no-onnx, pinned-file, squeezenet-1-1" in err
    assert "Traceback" not in err


def test_source_failure_is_one_clear_line(kb, capsys):
    assert main(["model", "pinned-file", "--kb", str(kb)]) == 1
    err = capsys.readouterr().err.strip()
    # Named relative to the repository root (the folder that holds kb/), never absolutely.
    assert err == (
        "nnkb model: kb/models/pinned-file.yaml: model pinned-file: "
        "onnx.sha256: file weights.onnx does not match its sha256 pin"
    )
    assert len(err.splitlines()) == 1


def test_model_without_onnx_and_missing_kb(kb, tmp_path, capsys):
    assert main(["model", "no-onnx", "--kb", str(kb)]) == 1
    assert "has no ONNX file (onnx: null): weights not public" in capsys.readouterr().err
    assert main(["model", "x", "--kb", str(tmp_path / "nowhere")]) == 1
    assert "no models/ folder" in capsys.readouterr().err


def test_broken_kb_file_is_reported_with_its_position(kb, capsys):
    (kb / "models" / "broken.yaml").write_text("name: [unclosed\n")
    assert main(["model", "squeezenet-1-1", "--kb", str(kb)]) == 1
    err = capsys.readouterr().err
    assert f"{kb / 'models' / 'broken.yaml'}:" in err
    assert "nnkb validate" in err


def test_cache_defaults_beside_the_kb_like_bench(kb, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("NNKB_CACHE")
    assert main(["model", "squeezenet-1-1", "--kb", str(kb)]) == 0
    cached = list((tmp_path / ".cache" / "nnkb" / "models" / "builtin").glob("*.onnx"))
    assert [p.name.split("-")[0] for p in cached] == ["squeezenet1_1"]
    assert f"file        {cached[0]}" in capsys.readouterr().out
