"""The knowledge base and all results as JSON and CSV at stable paths under api/, plus the
Downloads page that lists them.

The files are generated at build time (the hook adds them with File.generated; nothing is
written into docs/). Their content depends only on kb/ and kb/results/: keys sorted, rows in a
fixed order, no build time stamp, so rebuilding an unchanged KB gives identical files.

Every JSON file is strict JSON (no NaN or Infinity: a non-finite number becomes null), and no
CSV cell starts with a character a spreadsheet reads as a formula: text cells that start with
`=`, `+`, `-`, `@`, a tab or a carriage return get a leading `'` (OWASP's advice on CSV
injection); numbers in numeric columns are written as numbers.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ...analysis.ranking import adapters_of
from ...cited import CitedFigure, CitedTable
from ...codec import Json
from ...kb import Cited
from ...results import ResultsFile
from ..shared.page import DOWNLOADS_PATH, Page, SiteContext, machine_results_path
from ..shared.tables import Column, Md, Table
from ..shared.text import escape_inline

FORMAT_VERSION = 1
GENERATED_BY = "nnkb site build (scripts/nnkb/render/build/downloads.py)"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# fmt: off
CITED_COLUMNS = [
    "table", "anchor", "model", "model_name", "model_note", "closest_model", "hardware", "device",
    "framework", "runtime_name", "runtime_note", "framework_version", "precision", "batch", "scenario", "statistic",
    "variant", "value", "unit", "accuracy_metric", "accuracy_dataset", "accuracy_value",
    "accuracy_unit", "accuracy_delta", "conditions", "note", "source_title", "source_url", "source_publisher",
    "source_date", "source_location",
]
# fmt: on


def finite(data: Any) -> Any:
    """`data` with every non-finite float replaced by None, so that it is strict JSON."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [finite(v) for v in data]
    return data


def _json(data: Any) -> str:
    # default=str: YAML timestamps become ISO strings instead of failing the build.
    text = json.dumps(
        finite(data), indent=1, sort_keys=True, ensure_ascii=False, default=str, allow_nan=False
    )
    return text + "\n"


def neutralise(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: `'` before text that starts like a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(frame: pd.DataFrame) -> str:
    """`frame` as CSV with its text cells neutralised; numeric columns stay numbers."""
    safe = frame.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    buffer = io.StringIO()
    safe.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def _csv(records: list[Json], columns: list[str]) -> str:
    return csv_text(pd.DataFrame.from_records(records, columns=columns))


def _join(values: Any) -> str:
    return ";".join(str(v) for v in values or [])


def _cited(cited: Cited | None) -> tuple[Any, Any, Any]:
    if cited is None:
        return None, None, None
    return cited.value, cited.unit, cited.source.url


def kb_json(site: SiteContext) -> str:
    collections = {
        name: {entry_id: entry.data for entry_id, entry in sorted(site.kb.collection(name).items())}
        for name in ("use_cases", "models", "frameworks", "hardware")
    }
    return _json({"format_version": FORMAT_VERSION, "generated_by": GENERATED_BY, **collections})


def models_csv(site: SiteContext) -> str:
    records = []
    for model_id, m in sorted(site.kb.models.items()):
        params, _params_unit, params_src = _cited(m.published_parameters)
        macs, _macs_unit, macs_src = _cited(m.published_macs)
        spec = m.onnx
        records.append(
            {
                "id": model_id,
                "name": m.name,
                "family": m.family,
                "task": m.task,
                "use_cases": _join(m.use_cases),
                "published_parameters": params,
                "published_parameters_source": params_src,
                "published_macs": macs,
                "published_macs_source": macs_src,
                "licence": m.licence[0],
                "paper": m.paper.url,
                "onnx_source": spec.source if spec else None,
                "onnx_weights": spec.weights if spec else None,
                "onnx_url": spec.url if spec else None,
                "onnx_sha256": spec.sha256 if spec else None,
                "onnx_exported_by": spec.provenance.exported_by
                if spec and spec.provenance
                else None,
                "onnx_inputs": _join(
                    f"{k}={'x'.join(map(str, v))}" for k, v in (spec.inputs.items() if spec else [])
                ),
                "benchmarked": bool(spec and spec.benchmark),
            }
        )
    return _csv(records, list(records[0]) if records else ["id"])


def accuracy_csv(site: SiteContext) -> str:
    records = [
        {
            "model": model_id,
            "metric": a.metric,
            "dataset": a.dataset,
            "value": a.value,
            "unit": a.unit,
            "note": a.note,
            "source_title": a.source.title,
            "source_url": a.source.url,
        }
        for model_id, m in sorted(site.kb.models.items())
        for a in m.accuracy
    ]
    columns = ["model", "metric", "dataset", "value", "unit", "note", "source_title", "source_url"]
    return _csv(records, columns)


def use_cases_csv(site: SiteContext) -> str:
    records = []
    for use_case_id, u in sorted(site.kb.use_cases.items()):
        floor, floor_unit, floor_src = _cited(u.accuracy_floor)
        records.append(
            {
                "id": use_case_id,
                "name": u.name,
                "summary": u.summary,
                "metric": u.accuracy_metric["metric"],
                "dataset": u.accuracy_metric["dataset"],
                "higher_is_better": bool(u.accuracy_metric["higher_is_better"]),
                "floor": floor,
                "floor_unit": floor_unit,
                "floor_source": floor_src,
                "scenario": u.scenario,
                "scenario_reason": u.scenario_reason.strip(),
                "candidate_models": _join(
                    sorted(m.id for m in site.kb.candidates_for(use_case_id))
                ),
            }
        )
    return _csv(records, list(records[0]) if records else ["id"])


def frameworks_csv(site: SiteContext) -> str:
    records = [
        {
            "id": framework_id,
            "name": f.name,
            "kind": f.kind,
            "maintainer": f.maintainer,
            "status": f.status,
            "licence": f.licence_name,
            "website": f.website,
            "platforms": _join(f.platforms),
            "hardware": _join(f.hardware),
            "onnx_exports": f.onnx_exports,
            "onnx_runs": f.onnx_runs,
            "benchmark_adapters": _join(adapters_of(f)),
        }
        for framework_id, f in sorted(site.kb.frameworks.items())
    ]
    return _csv(records, list(records[0]) if records else ["id"])


def hardware_csv(site: SiteContext) -> str:
    records = [
        {
            "id": hardware_id,
            "name": h.name,
            "category": h.category,
            "examples": _join(h.examples),
            "precisions": _join(h.precisions),
            "isa_features": _join(h.isa_features),
        }
        for hardware_id, h in sorted(site.kb.hardware.items())
    ]
    return _csv(records, list(records[0]) if records else ["id"])


def results_json(site: SiteContext) -> str:
    files = [r.to_json() for r in sorted(site.results_files, key=lambda r: r.machine.id)]
    return _json({"format_version": FORMAT_VERSION, "generated_by": GENERATED_BY, "files": files})


def results_csv(site: SiteContext) -> str:
    """Every row with its raw values, the precision that ran and a `label` naming it as the
    pages do ("OpenVINO · BF16"); the agreement columns keep the maximum relative error."""
    from ...analysis.precision import rejections
    from ..shared.cells import row_label

    frame = site.all_frame  # both scenarios: the `scenario` column tells them apart
    page = Page(site, DOWNLOADS_PATH)
    labels = [row_label(page, r) for r in frame.itertuples()]
    # A latency row's precision that a use case of its model rejects is named, as on the pages.
    rejected = [";".join(ids) for ids in rejections(site.kb, frame)]
    if not len(frame):
        return csv_text(frame.assign(label=[], rejected_by=[]))
    return csv_text(frame.assign(label=labels, rejected_by=rejected))


def _figure_record(table: CitedTable, figure: CitedFigure) -> Json:
    acc = figure.accuracy
    return {
        "table": table.id,
        "anchor": figure.anchor,
        "model": figure.model,
        "model_name": figure.model_name,
        "model_note": figure.model_note,
        "closest_model": figure.closest_model,
        "hardware": figure.hardware,
        "device": figure.device,
        "framework": figure.framework,
        "runtime_name": figure.runtime_name,
        "runtime_note": figure.runtime_note,
        "framework_version": figure.framework_version,
        "precision": figure.precision,
        "batch": figure.batch if figure.batch is not None else "unstated",
        "scenario": figure.scenario,
        "statistic": figure.statistic,
        "variant": figure.variant,
        "value": figure.value,
        "unit": figure.unit,
        "accuracy_metric": acc.metric if acc else None,
        "accuracy_dataset": acc.dataset if acc else None,
        "accuracy_value": acc.value if acc else None,
        "accuracy_unit": acc.unit if acc else None,
        "accuracy_delta": acc.delta if acc else None,
        "conditions": list(figure.conditions),
        "note": figure.note,
        "source_title": table.source.title,
        "source_url": table.source.url,
        "source_publisher": table.source.publisher,
        "source_date": table.source.date,
        "source_location": table.location_of(figure),
    }


def _cited_records(site: SiteContext) -> list[Json]:
    return [_figure_record(t, f) for t in site.cited for f in t.figures]


def cited_json(site: SiteContext) -> str:
    """Every published figure with its source, apart from the measurements in results.json."""
    return _json(
        {
            "format_version": FORMAT_VERSION,
            "generated_by": GENERATED_BY,
            "note": "Published by others, not measured by nnkb; each figure names its source.",
            "figures": _cited_records(site),
        }
    )


def cited_csv(site: SiteContext) -> str:
    records = _cited_records(site)
    for record in records:
        record["conditions"] = _join(record["conditions"])
    # A batch is a count as text ("1", not 1.0) or "unstated" where the source gives none.
    for record in records:
        record["batch"] = str(record["batch"])
    frame = pd.DataFrame.from_records(records, columns=CITED_COLUMNS)
    return csv_text(frame)


def _strict_json(content: bytes) -> bool:
    def refuse(constant: str) -> Any:
        raise ValueError(constant)

    def number(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(text)
        return value

    try:
        json.loads(content, parse_constant=refuse, parse_float=number)
    except ValueError:
        return False
    return True


def machine_file(results: ResultsFile) -> bytes:
    """A machine's results file as published: the file byte for byte, so its checksum matches
    kb/, unless it is not strict JSON; then its content rewritten as strict JSON."""
    if results.path is not None:
        content = Path(results.path).read_bytes()
        if _strict_json(content):
            return content
    return _json(results.to_json()).encode()


# path -> (builder, what it holds)
API_FILES: dict[str, tuple[Callable[[SiteContext], str], str]] = {
    "api/kb.json": (kb_json, "the whole knowledge base: every entry of every collection"),
    "api/models.csv": (models_csv, "one row per model: published size, licence, ONNX source"),
    "api/accuracy.csv": (accuracy_csv, "one row per cited accuracy figure, with its source"),
    "api/use_cases.csv": (use_cases_csv, "one row per use case: metric, floor, candidates"),
    "api/frameworks.csv": (frameworks_csv, "one row per framework or runtime"),
    "api/hardware.csv": (hardware_csv, "one row per hardware class"),
    "api/results.json": (results_json, "every machine's results file, as `nnkb bench` wrote it"),
    "api/results.csv": (
        results_csv,
        (
            "one row per measured row of every machine, in SI units (seconds, bytes, FLOP/s); "
            "`label` names the runtime and precision, `rejected_by` the use cases that may not "
            "recommend a latency row for its precision"
        ),
    ),
    "api/cited.json": (
        cited_json,
        "every published (cited) figure of kb/cited/ with its source: not measured by nnkb",
    ),
    "api/cited.csv": (
        cited_csv,
        "one row per published (cited) figure, with its source's title, URL and location",
    ),
}


def api_files(site: SiteContext) -> dict[str, str | bytes]:
    """Every file under api/: {path in the site: content}."""
    files: dict[str, str | bytes] = {path: build(site) for path, (build, _) in API_FILES.items()}
    for results in site.results_files:
        files[machine_results_path(results.machine.id)] = machine_file(results)
    return dict(sorted(files.items()))


def downloads_page(site: SiteContext) -> str:
    page = Page(site, DOWNLOADS_PATH)
    records = [
        {"file": Md(f"[`{path}`]({page.href(path)})"), "holds": holds}
        for path, (_, holds) in API_FILES.items()
    ]
    for machine_id in site.machines:
        path = machine_results_path(machine_id)
        records.append(
            {
                "file": Md(f"[`{path}`]({page.href(path)})"),
                "holds": f"the results file of {escape_inline(machine_id)}, byte for byte",
            }
        )
    table = Table.from_records(records, [Column("file", "File"), Column("holds", "Holds")])
    intro = (
        "The data behind every page, published with the site at stable paths (relative to the "
        "site's root) and regenerated from `kb/` on every build. CSV files have one header "
        "row; lists inside a cell are separated by `;`. Results are in SI units: seconds, "
        "bytes, FLOP/s. The JSON files carry `format_version`."
    )
    return f"# Downloads\n\n{intro}\n\n{table.to_markdown()}" + "\n"
