"""kb/cited/: the schema, the typed loader and the semantic checks, on fixtures and the real KB."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nnkb.cited import (
    SCHEMA_LINE,
    CitedError,
    CitedFigure,
    check_cited,
    known_ids,
    load_cited,
)
from nnkb.validate.urls import url_problem

REPO = Path(__file__).resolve().parents[1]
KB = REPO / "kb"
CASES = REPO / "tests" / "fixtures" / "cited_invalid"
IDS = {
    "models": {"mobilenet-v2", "resnet-50"},
    "hardware": {"edge-tpu", "nvidia-jetson"},
    "frameworks": {"litert", "tensorrt"},
}
REQUIRED_CLASSES = {
    "unknown-model",
    "unknown-hardware",
    "bad-unit",
    "non-positive-value",
    "duplicate-figure",
    "missing-source",
    "missing-runtime-name",
    "no-model",
    "batch-not-stated",
    "device-of-another-vendor",
}


def _report(kb_root: Path) -> str:
    return "".join(p.line_text() + "\n" for p in sorted(check_cited(kb_root, "kb", IDS)))


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_invalid_case_reports_expected_problems(case: str) -> None:
    folder = CASES / case
    expected = (folder / "expected.txt").read_text(encoding="utf-8")
    assert expected, f"{case}: expected.txt must name at least one problem"
    assert _report(folder / "kb") == expected


def test_every_required_failure_class_has_a_fixture() -> None:
    assert REQUIRED_CLASSES <= {p.name for p in CASES.iterdir() if p.is_dir()}


def test_fixed_case_reports_nothing(tmp_path: Path) -> None:
    # The unit case with its unit put right is the valid table every case was made from.
    kb = tmp_path / "kb"
    shutil.copytree(CASES / "bad-unit" / "kb", kb)
    table = kb / "cited" / "example-table.yaml"
    table.write_text(table.read_text().replace("unit: msec", "unit: ms"))
    assert _report(kb) == ""
    (loaded,) = load_cited(kb)
    assert [f.kind for f in loaded.figures] == ["latency", "throughput"]
    assert loaded.figures[1].model_ref == "resnet-50"
    assert loaded.location_of(loaded.figures[0]) == "Table 1"


def test_load_cited_refuses_an_invalid_table() -> None:
    with pytest.raises(CitedError, match="example-table.yaml"):
        load_cited(CASES / "missing-source" / "kb")


def test_yaml_fault_is_a_problem_with_position(tmp_path: Path) -> None:
    folder = tmp_path / "kb" / "cited"
    folder.mkdir(parents=True)
    (folder / "broken.yaml").write_text(f"{SCHEMA_LINE}\nname: a\nname: b\n")
    (problem,) = check_cited(tmp_path / "kb", "kb", IDS)
    assert (problem.path, problem.line) == ("kb/cited/broken.yaml", 3)
    assert "duplicate key 'name'" in problem.message


def test_missing_schema_line_is_reported(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(CASES / "bad-unit" / "kb", kb)
    table = kb / "cited" / "example-table.yaml"
    table.write_text(table.read_text().split("\n", 1)[1].replace("unit: msec", "unit: ms"))
    (problem,) = check_cited(kb, "kb", IDS)
    assert problem.line == 1 and "first line must name the schema" in problem.message


def test_duplicate_across_files_names_the_first_file(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(CASES / "bad-unit" / "kb", kb)
    first = kb / "cited" / "example-table.yaml"
    first.write_text(first.read_text().replace("unit: msec", "unit: ms"))
    shutil.copy(first, kb / "cited" / "example-with-a-later-name.yaml")
    problems = check_cited(kb, "kb", IDS)
    # Files are read in name order, so the later file carries the problems.
    assert len(problems) == 2
    assert all("of example-table.yaml" in p.message for p in problems)
    assert {p.path for p in problems} == {"kb/cited/example-with-a-later-name.yaml"}


# -- the real collection ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tables() -> list:
    return load_cited(KB)


def test_real_collection_has_no_problems() -> None:
    assert check_cited(KB) == []


def test_real_collection_meets_the_issue_minimums(tables: list) -> None:
    figures = [f for t in tables for f in t.figures]
    assert len(figures) >= 40
    assert len({t.source.publisher for t in tables}) >= 8
    assert len({f.hardware for f in figures}) >= 6


def test_real_figures_refer_to_existing_entries(tables: list) -> None:
    ids = known_ids(KB)
    for figure in (f for t in tables for f in t.figures):
        assert isinstance(figure, CitedFigure)
        assert figure.hardware in ids["hardware"]
        assert figure.model_ref in ids["models"], f"{figure.table}: no KB model to show it beside"
        assert figure.framework is None or figure.framework in ids["frameworks"]
        assert figure.value > 0


def test_real_sources_have_wellformed_urls_and_the_editor_line(tables: list) -> None:
    for table in tables:
        assert url_problem(table.source.url) is None, table.id
        assert table.path.read_text(encoding="utf-8").splitlines()[0] == SCHEMA_LINE


def test_repository_files_are_pinned_to_a_commit(tables: list) -> None:
    # A GitHub page changes under the same URL; a commit in the URL keeps the figure findable.
    for table in tables:
        url = table.source.url
        if url.startswith("https://github.com/"):
            parts = url.split("/")
            assert parts[5] in ("blob", "tree") and len(parts[6]) == 40, table.id


def test_variant_tells_two_figures_apart(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(CASES / "duplicate-figure" / "kb", kb)
    table = kb / "cited" / "example-table.yaml"
    text = table.read_text()
    head, tail = text.rsplit("    value: 2.4\n", 1)
    table.write_text(head + "    value: 2.4\n    variant: quantization-aware training\n" + tail)
    assert check_cited(kb, "kb", IDS) == []
