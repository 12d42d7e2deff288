"""One list of KB files: `nnkb validate`, the KB loader, the results reader, the cited loader
and the site build read the same files (`nnkb.kbfiles.kb_files`). A hidden `.x.yaml` is
reported by validate and read by nobody; an editor backup is reported and read by nobody; so
nothing reaches the site that validate did not check."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nnkb.cited import load_cited
from nnkb.cli import main
from nnkb.kb import COLLECTIONS, load_kb
from nnkb.kbfiles import kb_files
from nnkb.render.build.site import build_context, check_valid
from nnkb.results import load_all

ROOT = Path(__file__).resolve().parents[2]
VALID_KB = ROOT / "tests" / "fixtures" / "valid_kb"
CITED = ROOT / "kb" / "cited" / "aallan-benchmarking-ml-on-the-edge.yaml"

MALFORMED = "name: [unclosed\n"
JAVASCRIPT = (
    "# yaml-language-server: $schema=../../scripts/nnkb/schemas/model.schema.json\n"
    "name: Spoof\nhomepage: 'javascript:alert(1)'\n"
)


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    kb = tmp_path / "kb"
    shutil.copytree(VALID_KB, kb)
    return kb


def validate(kb: Path, capsys) -> tuple[int, str]:
    status = main(["validate", "--kb", str(kb)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out


@pytest.mark.parametrize("content", [MALFORMED, JAVASCRIPT])
def test_a_hidden_entry_is_reported_and_never_loaded(kb, capsys, content):
    (kb / "models" / ".x.yaml").write_text(content)
    status, out = validate(kb, capsys)
    assert status == 1
    assert (
        f"{kb}/models/.x.yaml:1:1: .x: hidden file '.x.yaml' is never read (names starting "
        "with '.' are left out of the KB and the site); rename it to 'x.yaml' or delete it"
    ) in out.splitlines()
    loaded = load_kb(kb)  # the site's loader does not read it either
    assert ".x" not in loaded.models and "x" not in loaded.models


@pytest.mark.parametrize("name", ["x.yaml~", "#x.yaml#", "x.yaml.orig", "x.yaml.bak"])
def test_an_editor_backup_is_reported_and_never_loaded(kb, capsys, name):
    (kb / "models" / name).write_text(MALFORMED)
    status, out = validate(kb, capsys)
    assert status == 1
    assert f"only <id>.yaml files belong in models/; found '{name}'" in out
    assert set(load_kb(kb).models) == {p.stem for p in kb_files(kb, "models")}


def test_hidden_results_and_cited_files_are_read_by_nobody(kb, capsys):
    (kb / "results" / ".m.json").write_text("{")
    (kb / "cited").mkdir()
    shutil.copy(CITED, kb / "cited" / CITED.name)
    (kb / "cited" / ".c.yaml").write_text(MALFORMED)
    status, out = validate(kb, capsys)
    assert status == 1
    assert "hidden file '.m.json' is never read" in out
    assert "hidden file '.c.yaml' is never read" in out
    assert [r.path.name for r in load_all(kb)] == ["example-machine.json"]
    assert [t.id for t in load_cited(kb)] == [CITED.stem]


def test_dotfiles_that_are_not_entries_are_ignored_everywhere(kb, capsys):
    for folder in (*COLLECTIONS, "results"):
        (kb / folder / ".gitkeep").write_text("")
        (kb / folder / ".DS_Store").write_bytes(b"\0\1")
        (kb / folder / ".x.yaml.swp").write_bytes(b"\0\1")
    # What a running bench leaves beside a results file: its lock and a temporary file.
    (kb / "results" / ".example-machine.json.lock").write_text("")
    (kb / "results" / ".example-machine.json.k2j3.tmp").write_text("{")
    status, out = validate(kb, capsys)
    assert status == 0, out


def test_validator_loader_and_site_list_the_same_files(kb):
    (kb / "models" / ".x.yaml").write_text(JAVASCRIPT)
    (kb / "models" / "x.yaml~").write_text(JAVASCRIPT)
    (kb / "results" / ".m.json").write_text("{")
    loaded = load_kb(kb)
    for collection in COLLECTIONS:
        listed = {p.stem for p in kb_files(kb, collection)}
        assert set(loaded.collection(collection)) == listed
    with pytest.raises(Exception, match="hidden file '.x.yaml' is never read"):
        check_valid(kb)  # the site build stops at validate's problems
    (kb / "models" / ".x.yaml").unlink()
    (kb / "models" / "x.yaml~").unlink()
    (kb / "results" / ".m.json").unlink()
    context = build_context(kb)
    assert set(context.kb.models) == {p.stem for p in kb_files(kb, "models")}
