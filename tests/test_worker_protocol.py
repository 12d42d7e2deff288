"""The worker protocol: every job kind survives the trip through JSON, and a job the worker
cannot read is refused with a reason, not a traceback."""

from __future__ import annotations

import json

import pytest

from nnkb.bench.protocol import (
    KINDS,
    Envelope,
    JobError,
    QuantizeJob,
    ReferenceInputsJob,
    ReferenceJob,
    RowJob,
    decode,
    encode,
)

JOBS = [
    RowJob("onnxruntime", "m.onnx", {"x": [1, 3, 8, 8]}, {"threads": 2}, {"warmup": 1}, 5.0),
    ReferenceJob("m.onnx", {"x": [1, 3]}, 7, "ref.npz", inputs_out="many.npz", count=4),
    ReferenceInputsJob("m.onnx", {"x": [1, 3]}, 64, "many.npz", {"colour": "RGB"}, "detection"),
    QuantizeJob("m.onnx", {"x": [1, 3]}, "classification", "ort-static", "k1", "/tmp/c"),
]


@pytest.mark.parametrize("job", JOBS, ids=lambda j: j.kind)
def test_every_job_round_trips_through_json_with_its_envelope(job):
    envelope = Envelope("/tmp/result.json", 4242, 1 << 30)
    again, got = decode(json.loads(json.dumps(encode(job, envelope))))
    assert again == job and type(again) is type(job)
    assert got == envelope


def test_every_kind_is_registered_once():
    assert set(KINDS) == {"row", "reference", "reference_inputs", "quantize"}


def test_unknown_kinds_and_fields_are_refused():
    with pytest.raises(JobError, match="unknown job kind 'bake'"):
        decode({"kind": "bake"})
    raw = encode(JOBS[0]) | {"colour": "red"}
    with pytest.raises(JobError, match="unknown field"):
        decode(raw)
    with pytest.raises(JobError, match="row job"):
        decode({"kind": "row", "runtime": "onnxruntime"})  # required fields missing
