"""The results schema and the results dataclasses describe the same fields: a field added to
one and not the other would be refused by the validator or lost on a round trip."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from nnkb.results import model, quality, throughput

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[1] / "scripts/nnkb/schemas/results.schema.json").read_text()
)
ROW = SCHEMA["$defs"]["row"]["properties"]


def object_properties(node: dict[str, Any]) -> set[str]:
    """The property names of the object a schema node describes: through $ref and arrays, and
    the union of a oneOf's objects (a process is measured or failed, one dataclass holds both)."""
    if "$ref" in node:
        return object_properties(SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[-1]])
    if "properties" in node:
        return set(node["properties"])
    found: set[str] = set()
    for alternative in node.get("oneOf", []) + node.get("anyOf", []):
        found |= object_properties(alternative)
    if "items" in node:
        found |= object_properties(node["items"])
    return found


def fields(kind: type) -> set[str]:
    return {f.name for f in dataclasses.fields(kind)}


@pytest.mark.parametrize(
    ("where", "kind"),
    [
        ("latency", model.Stats),
        ("processes", model.ProcessSummary),
        ("agreement", quality.Agreement),
        ("quantization", quality.Quantization),
        ("compute_ops", quality.ComputeOps),
        ("accuracy", quality.TaskAccuracy),
        ("throughput", throughput.Throughput),
    ],
)
def test_each_nested_object_has_the_dataclass_fields(where, kind):
    assert object_properties(ROW[where]) == fields(kind)


def test_a_row_has_the_dataclass_fields():
    assert set(ROW) == fields(model.Row)


def test_the_check_sees_a_missing_field():
    @dataclasses.dataclass
    class Shorter:
        int8: int
        total: int

    assert object_properties(ROW["compute_ops"]) != fields(Shorter)
