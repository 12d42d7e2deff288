"""The pieces under `nnkb validate`: the position-keeping YAML/JSON loader, URL checks, field paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnkb.problems import field_path
from nnkb.validate.schemas import _is_date_time
from nnkb.validate.urls import url_problem
from nnkb.yamlsafe import Mark, YamlProblem, load_json, load_yaml


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problem(path: Path, loader=load_yaml) -> YamlProblem:
    with pytest.raises(YamlProblem) as info:
        loader(path)
    return info.value


def test_positions_point_at_keys_and_list_items(tmp_path):
    loaded = load_yaml(write(tmp_path, "a.yaml", "# comment\nname: x\nlist:\n  - a\n  - {k: 1}\n"))
    assert loaded.data == {"name": "x", "list": ["a", {"k": 1}]}
    assert loaded.first_line == "# comment"
    assert loaded.mark_for(("name",)) == Mark(2, 1)
    assert loaded.mark_for(("list", 1)) == Mark(5, 5)
    assert loaded.mark_for(("list", 1, "k")) == Mark(5, 6)
    # a missing field falls back to the nearest ancestor that exists
    assert loaded.mark_for(("list", 1, "missing")) == Mark(5, 5)


@pytest.mark.parametrize(
    "text, mark, words",
    [
        ("a: &a [*a]\n", Mark(1, 4), "recursive aliases are refused"),
        ("a: !!int abc\n", Mark(1, 4), "cannot be read as !!int"),
        ("a: !!binary aGVsbG8=\n", Mark(1, 4), "tag '!!binary' is not allowed"),
        ("base: &b {x: 1}\nother:\n  <<: *b\n", Mark(3, 3), "merge keys (<<) are not allowed"),
        ("a: 1\nb: 2\na: 3\n", Mark(3, 1), "duplicate key 'a' (first defined on line 1)"),
        ("a: [1, 2\nb: 3\n", Mark(2, 2), "that starts on line 1"),
    ],
)
def test_yaml_refusals_have_positions(tmp_path, text, mark, words):
    exc = problem(write(tmp_path, "a.yaml", text))
    assert exc.mark == mark
    assert words in exc.message


def test_lone_equals_sign_is_a_string(tmp_path):
    assert load_yaml(write(tmp_path, "a.yaml", "a: =\n")).data == {"a": "="}


def test_dates_stay_strings(tmp_path):
    assert load_yaml(write(tmp_path, "a.yaml", "d: 2024-01-31\n")).data == {"d": "2024-01-31"}


def test_json_keeps_json_numbers_and_positions(tmp_path):
    loaded = load_json(write(tmp_path, "r.json", '{\n  "rows": [\n    {"p50": 1e-05}\n  ]\n}\n'))
    # YAML 1.1 would read 1e-05 as a string; the data comes from json.
    assert loaded.data == {"rows": [{"p50": 1e-05}]}
    assert loaded.mark_for(("rows", 0, "p50")) == Mark(3, 6)


@pytest.mark.parametrize(
    "text, mark, words",
    [
        ('{\n  "a": 1\n  "b": 2\n}', Mark(3, 3), "JSON syntax error: Expecting ',' delimiter"),
        ('{"a": 1,\n "a": 2}', Mark(2, 2), "duplicate key 'a'"),
        ('{"a": 1,\n "b": NaN}', Mark(2, 7), "NaN is not a JSON number"),
    ],
)
def test_json_refusals_have_positions(tmp_path, text, mark, words):
    exc = problem(write(tmp_path, "r.json", text), load_json)
    assert exc.mark == mark
    assert words in exc.message


def test_empty_json_file_has_no_data(tmp_path):
    assert load_json(write(tmp_path, "r.json", "\n")).data is None


@pytest.mark.parametrize(
    "url",
    [
        "https://arxiv.org/abs/1602.07360",
        "http://localhost:8000/x",
        "https://github.com/pytorch/vision/blob/main/LICENSE#L1",
    ],
)
def test_good_urls(url):
    assert url_problem(url) is None


@pytest.mark.parametrize(
    "url, words",
    [
        ("ftp://example.org/file", "expected http:// or https://"),
        ("https://example org/", "contains a space"),
        ("https://intranet/page", "host 'intranet' is not a domain"),
        ("https://example..org/", "is not a domain"),
        ("https://example.org:99999/", "Port out of range"),
        ("example.org/page", "expected http:// or https://"),
    ],
)
def test_bad_urls(url, words):
    message = url_problem(url)
    assert message is not None and words in message


def test_field_path_format():
    assert field_path(("rows", 3, "latency", "p50")) == "rows[3].latency.p50"
    assert field_path(("onnx", "inputs", "input.1")) == 'onnx.inputs["input.1"]'
    assert field_path(()) == ""


@pytest.mark.parametrize(
    "value, ok",
    [
        ("2026-11-25T08:00:00Z", True),  # what nnkb bench writes
        ("2026-11-25T08:00:00+01:00", True),
        ("2026-11-25T08:00:00", False),  # no offset: which time zone?
        ("2026-11-25", False),
        ("yesterday", False),
    ],
)
def test_date_time_format(value, ok):
    assert _is_date_time(value) is ok
