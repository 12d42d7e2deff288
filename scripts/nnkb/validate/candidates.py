"""Cross-file checks of what a use case's candidates are and how they are judged.

- A model listed under a use case (`use_cases`) is a candidate for it, so its `task` must be
  one of the use case's `tasks` (a classifier is not an object detector; a backbone goes under
  `backbone_for`), or one of its `pipeline_stages` (a stage that runs before the candidates,
  such as OCR's text detector: its time is shown beside them, never ranked against them).
- A use case's `precision_tolerance.metric` must be one its candidates produce: an agreement
  metric of their output kind, the SNR any output has, or a task metric measured where the
  weights are real (kb.tolerance_metrics).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..kb import SCHEMA_DIR, tolerance_metrics
from ..yamlsafe import Pointer, load_json


def _known_tasks() -> set[str]:
    schema = load_json(SCHEMA_DIR / "model.schema.json").data
    return set(schema["properties"]["task"]["enum"])


from .parse import Add
from .references import Loaded


def _entries(loaded: list[Loaded], collection: str) -> dict[str, tuple[Path, Any]]:
    return {
        path.stem: (path, file)
        for kind, path, file in loaded
        if kind == collection and isinstance(file.data, dict)
    }


def check_candidates(loaded: list[Loaded], add: Add) -> None:
    use_cases = _entries(loaded, "use_cases")
    models = _entries(loaded, "models")
    produced: dict[str, set[str]] = {uc: set() for uc in use_cases}
    known = _known_tasks()
    for model_id, (path, file) in sorted(models.items()):
        task, listed = file.data.get("task"), file.data.get("use_cases")
        if task not in known or not isinstance(listed, list):
            continue  # the schema reports it
        for index, use_case in enumerate(listed):
            if use_case not in use_cases:
                continue  # an unknown id: the reference check reports it
            tasks = use_cases[use_case][1].data.get("tasks")
            stages = use_cases[use_case][1].data.get("pipeline_stages") or []
            if not isinstance(tasks, list):
                continue
            if isinstance(stages, list) and task in stages:
                continue  # a stage: not a candidate, so no tolerance metric of its own
            if task not in tasks:
                pointer = ("use_cases", index)
                add(
                    path,
                    file.mark_for(pointer),
                    pointer,
                    f"a '{task}' model is not a candidate for use case '{use_case}', whose "
                    f"tasks are {', '.join(map(str, tasks))}; list '{use_case}' under "
                    "backbone_for if this model is part of one of its candidates",
                )
                continue
            produced[use_case].update(tolerance_metrics(task))
    for use_case, (path, file) in sorted(use_cases.items()):
        tolerance = file.data.get("precision_tolerance")
        if not isinstance(tolerance, dict) or not isinstance(tolerance.get("metric"), str):
            continue  # the schema reports it
        metric = tolerance["metric"]
        if produced[use_case] and metric not in produced[use_case]:
            metric_at: Pointer = ("precision_tolerance", "metric")
            add(
                path,
                file.mark_for(metric_at),
                metric_at,
                f"metric '{metric}' is not measured for this use case's candidates; "
                f"they produce: {', '.join(sorted(produced[use_case]))}",
            )
