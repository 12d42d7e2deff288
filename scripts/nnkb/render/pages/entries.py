"""One page per KB entry: models/<id>.md, use_cases/<id>.md, frameworks/<id>.md, hardware/<id>.md.

Each page is a list of section functions (`MODEL_SECTIONS` and so on). A section takes the
page and the entry and returns Markdown, or None to leave the section out. A later stage
adds a section by inserting a function into the list.
"""

from __future__ import annotations

from typing import Any

from ...accuracy.detection import DECODERS
from ...kb import ARCHITECTURE_ONLY, PRETRAINED, RANDOM, Model, OnnxSpec, UseCase
from ..sections.cited import model_cited
from ..sections.entry_sections import (
    description_section,
    edit_section,
    facts_table,
    sources_section,
    title_section,
)
from ..sections.measured import measured_section
from ..sections.outlook import outlook_section
from ..sections.precision_table import task_accuracy_section
from ..sections.profiles import where_the_time_goes
from ..sections.specs import model_specifications
from ..sections.throughput import scenario_section, use_case_throughput
from ..shared.numbers import format_bytes
from ..shared.page import (
    Page,
    Section,
    bullet_list,
    cited_value,
    claim_item,
)
from ..shared.tables import Column, Md, Table
from ..shared.text import escape_inline, escape_text, folded, format_number, link
from .platforms import FRAMEWORK_SECTIONS, HARDWARE_SECTIONS
from .usecase import pareto_section, ranking_section, recommendation_section

# The model facts' "In the default benchmark" by the smallest matrix that measures it.
MATRIX_WORDS = {
    "default": "yes",
    "full": Md("no: only `nnkb bench --matrix full` (too costly for the cold default run)"),
    None: "no",
}

# --- models ----------------------------------------------------------------------------


def model_facts(page: Page, model: Model) -> str:
    licence_name, licence_source = model.licence
    use_cases = ", ".join(page.link_id("use_cases", u) for u in model.use_cases)
    return facts_table(
        [
            ("Family", model.family),
            ("Task", model.task.replace("-", " ")),
            ("Paper", Md(link(model.paper.title, model.paper.url))),
            ("Licence", Md(escape_inline(licence_name) + page.cite(licence_source))),
            ("Use cases", Md(use_cases)),
        ]
    )


def model_use_cases(page: Page, model: Model) -> str | None:
    items = []
    for use_case_id in model.use_cases:
        use_case = page.kb.use_cases.get(use_case_id)
        summary = f" — {escape_inline(use_case.summary)}" if use_case else ""
        items.append(page.link_id("use_cases", use_case_id) + summary)
    return "## Use cases\n\n" + bullet_list(items) if items else None


def model_accuracy(page: Page, model: Model) -> str:
    records = [
        {
            "metric": a.metric,
            "dataset": a.dataset,
            "note": a.note,
            "value": Md(format_number(a.value, a.unit) + page.cite(a.source)),
        }
        for a in model.accuracy
    ]
    table = Table.from_records(
        records,
        [
            Column("metric", "Metric"),
            Column("dataset", "Dataset"),
            Column("value", "Value", align="right"),
            Column("note", "Note"),
        ],
    )
    return "## Published accuracy\n\n" + table.to_markdown("No published accuracy figure yet.")


def model_onnx(page: Page, model: Model) -> str:
    spec = model.onnx
    if spec is None:
        reason = model.not_benchmarked_reason
        text = escape_text(reason) if reason else "No redistributable ONNX file is available."
        return f"## ONNX file\n\nNot benchmarked: {text}"
    where = {
        "builtin": "built by nnkb from the published architecture, with seeded random weights",
        "package": "shipped in a Python package",
        "file": "a file in the repository",
        "url": "published at the address below; `nnkb models fetch` downloads it into the "
        "model store and checks its SHA-256",
    }.get(spec.source, spec.source)
    inputs = ", ".join(
        f"`{escape_inline(name)}` {'×'.join(str(d) for d in shape)}"
        for name, shape in spec.inputs.items()
    )
    provenance = spec.provenance
    rows: list[tuple[str, str | Md | None]] = [
        ("Weights", WEIGHTS_WORDS[spec.weights]),
        ("Source", Md(escape_inline(where))),
        # The file's own name, as code: a program's literal, not prose.
        ("File", Md(f"[`{_file_name(spec.url)}`]({spec.url})") if spec.url else None),
        ("SHA-256", Md(f"`{spec.sha256}`") if spec.sha256 else None),
        ("Size", format_bytes(spec.size) if spec.size else None),
        ("Before measuring", CONVERT_WORDS.get(spec.convert or "")),
        (
            "Exported by",
            Md(escape_inline(provenance.exported_by) + page.cite(provenance.source))
            if provenance
            else None,
        ),
        ("Inputs", Md(inputs)),
        ("Preprocessing", _preprocess_text(page, spec)),
        ("Decoding", _decoding_text(spec)),
        ("Builder", Md(f"`{escape_inline(spec.builder)}`") if spec.builder else None),
        ("Package", spec.package),
        ("Class scores (top-1 agreement checked)", "yes" if spec.classifier else None),
        ("In the default benchmark", MATRIX_WORDS[spec.matrix]),
    ]
    return "## ONNX file\n\n" + facts_table(rows)


# What nnkb does to a published file before measuring it (onnx.convert), as a reader reads it.
CONVERT_WORDS = {
    "float16-to-float32": (
        "nnkb widens the published FP16 file to FP32 (weights, inputs and outputs; every FP16 "
        "value is exact in FP32), so every runtime runs the same FP32 graph; the rows' file "
        "hash is the widened file's"
    ),
}

WEIGHTS_WORDS = {
    PRETRAINED: "the published, trained weights",
    RANDOM: (
        f"{ARCHITECTURE_ONLY}: latency and graph statistics are the architecture's; "
        "agreement and accuracy of reduced precisions are not measurable"
    ),
}


def _preprocess_text(page: Page, spec: OnnxSpec) -> Md | None:
    """The publisher's preprocessing, which the calibration and agreement inputs follow."""
    stated = spec.preprocess
    if not stated:
        return None

    def numbers(values: list[float]) -> str:
        return ", ".join(f"{v:g}" for v in values)

    return Md(
        escape_inline(
            f"{stated['layout']}, {stated['colour']}, (pixel − mean) / std per channel on "
            f"0–255 with mean {numbers(stated['mean'])} and std {numbers(stated['std'])}; "
            "calibration and agreement use natural images prepared so"
        )
        + page.cite(spec.preprocess_source)
    )


def _decoding_text(spec: OnnxSpec) -> str | None:
    """A detector's decoding, with which its reduced precisions are compared box by box."""
    if not spec.postprocess:
        return None
    decoder = DECODERS[spec.postprocess]
    return (
        f"{spec.postprocess}: boxes with a score of at least {decoder.score_threshold:g}, "
        f"non-maximum suppression at IoU {decoder.nms_iou:g} ({decoder.source}); reduced "
        "precisions are compared with FP32 box by box"
    )


def _file_name(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1] or url


MODEL_SECTIONS: list[Section[Model]] = [
    title_section,
    model_facts,
    description_section,
    model_use_cases,
    model_accuracy,
    model_onnx,
    model_specifications,
    measured_section,
    model_cited,
    where_the_time_goes,
    sources_section,
    edit_section,
]


# --- use cases -------------------------------------------------------------------------


def use_case_io(page: Page, use_case: UseCase) -> str:
    metric = use_case.accuracy_metric
    better = "higher" if metric["higher_is_better"] else "lower"
    rows: list[tuple[str, str | Md | None]] = [
        ("Input", use_case.input),
        ("Output", use_case.output),
        (
            "Compared by",
            Md(
                f"{escape_inline(metric['metric'])} on "
                f"{escape_inline(metric['dataset'])} ({better} is better)"
            ),
        ),
        ("Lowest acceptable value", cited_value(page, use_case.accuracy_floor, True)),
    ]
    return facts_table(rows)


def candidate_table(page: Page, use_case: UseCase) -> Table:
    """The models that list this use case, with their figure on its metric, best first."""
    metric = use_case.accuracy_metric
    records = []
    for model in page.kb.models_for(use_case.id):
        match = next(
            (
                a
                for a in model.accuracy
                if a.metric == metric["metric"] and a.dataset == metric["dataset"]
            ),
            None,
        )
        records.append(
            {
                "name": model.name,
                "model": page.link_entry(model),
                "family": model.family,
                "score": match.value if match else None,
                "accuracy": Md(format_number(match.value, match.unit) + page.cite(match.source))
                if match
                else None,
                "parameters": cited_value(page, model.published_parameters),
                "macs": cited_value(page, model.published_macs),
            }
        )
    columns = [
        Column("model", "Model"),
        Column("family", "Family"),
        Column("accuracy", f"{metric['metric']} ({metric['dataset']})", align="right"),
        Column("parameters", "Parameters", align="right"),
        Column("macs", "Multiply-accumulates", align="right"),
    ]
    table = Table.from_records(records, columns)
    return table.sort(["score", "name"], ascending=[not metric["higher_is_better"], True])


def use_case_candidates(page: Page, use_case: UseCase) -> str:
    table = candidate_table(page, use_case)
    if table.frame.empty:
        return "## Candidate models\n\nNo model in the knowledge base lists this use case yet."
    names = ", ".join(str(link) for link in table.frame["model"])  # the table's order
    listed = folded(
        f"Their family, published accuracy and size ({len(table.frame)})", table.to_markdown()
    )
    return f"## Candidate models\n\n{names}.\n\n{listed}"


def use_case_description(page: Page, use_case: UseCase) -> str:
    """The use case's description, folded: the answer and the numbers come first on a phone."""
    body = folded(f"What {use_case.name.lower()} involves", escape_text(use_case.description))
    return f"## Description\n\n{body}"


def use_case_considerations(page: Page, use_case: UseCase) -> str | None:
    items = [claim_item(page, c) for c in use_case.considerations]
    if not items:
        return None
    listed = folded(f"{len(items)} things to weigh beside speed", bullet_list(items))
    return (
        "## What to weigh\n\nLicences, inputs and limits the tables above do not show.\n\n" + listed
    )


USE_CASE_SECTIONS: list[Section[UseCase]] = [
    title_section,
    use_case_io,
    recommendation_section,
    scenario_section,
    use_case_description,
    ranking_section,
    use_case_throughput,
    task_accuracy_section,
    pareto_section,
    use_case_candidates,
    use_case_considerations,
    outlook_section,
    sources_section,
    edit_section,
]


SECTIONS: dict[str, list[Section[Any]]] = {
    "models": MODEL_SECTIONS,
    "use_cases": USE_CASE_SECTIONS,
    "frameworks": FRAMEWORK_SECTIONS,
    "hardware": HARDWARE_SECTIONS,
}
