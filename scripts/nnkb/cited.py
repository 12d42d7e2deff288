"""Published results: kb/cited/<id>.yaml, one file per source table, parsed once into dataclasses.

These figures come from other people's machines, harnesses and model builds. They are kept
apart from nnkb's own measurements (kb/results/) and must never be ranked against them: they
live in their own folder and their own types (CitedTable, CitedFigure), so no code path can
mix them into measured rows by accident.

`check_cited` is the validator's part for this collection: JSON Schema
(`schemas/cited.schema.json`), then references to kb/models, kb/hardware and kb/frameworks,
units that fit the scenario, positive values and no figure entered twice. It returns
`report.Problem`s with positions, like every other check of `nnkb validate`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .codec import Json
from .kbfiles import LayoutError, kb_files
from .problems import Problem, field_path
from .validate.names import format_characters
from .validate.names import problem as name_problem
from .validate.numbers import non_finite
from .validate.numbers import problem as number_problem
from .validate.schemas import Schemas
from .validate.wording import suggest
from .yamlsafe import LoadedYaml, Mark, Pointer, YamlProblem, load_yaml

FOLDER = "cited"
SCHEMA_FILE = "cited.schema.json"
SCHEMA_LINE = f"# yaml-language-server: $schema=../../scripts/nnkb/schemas/{SCHEMA_FILE}"

LATENCY_UNITS = frozenset({"ms", "us", "s"})
THROUGHPUT_UNITS = frozenset({"inferences/s", "samples/s", "fps"})
# MLPerf's throughput scenarios report rates; single-stream reports a time per query.
THROUGHPUT_SCENARIOS = frozenset({"offline", "server", "fixed-batch"})
LATENCY_SCENARIOS = frozenset({"single-stream", "multi-stream"})

# Fields holding ids of other collections: (field, target folder).
REFERENCES: tuple[tuple[str, str], ...] = (
    ("model", "models"),
    ("closest_model", "models"),
    ("hardware", "hardware"),
    ("framework", "frameworks"),
)
_KIND = {"models": "model", "hardware": "hardware class", "frameworks": "framework"}


class CitedError(Exception):
    """A cited table cannot be loaded; `check_cited` lists every problem."""


@dataclass(frozen=True)
class CitedSource:
    title: str
    url: str
    publisher: str
    date: str | None
    location: str
    date_note: str | None = None


@dataclass(frozen=True)
class CitedAccuracy:
    metric: str
    dataset: str
    value: float
    unit: str
    note: str | None = None
    delta: float | None = None  # device minus float model, signed, in the metric's unit


@dataclass(frozen=True)
class CitedFigure:
    table: str  # id of the CitedTable it comes from
    index: int  # position in the table's `figures` list
    hardware: str
    device: str
    precision: str
    batch: int | None  # None: the source does not state it ('unstated' in the file)
    scenario: str
    statistic: str
    value: float
    unit: str
    model_name: str = ""  # the model as the source names it
    runtime_name: str = ""  # the runtime or toolchain as the source names it
    model: str | None = None
    model_note: str | None = None
    closest_model: str | None = None
    framework: str | None = None
    runtime_note: str | None = None
    framework_version: str | None = None
    variant: str | None = None
    accuracy: CitedAccuracy | None = None
    conditions: tuple[str, ...] = ()
    location: str | None = None
    note: str | None = None

    @property
    def kind(self) -> str:
        """'latency' (lower is better) or 'throughput' (higher is better)."""
        return "latency" if self.unit in LATENCY_UNITS else "throughput"

    @property
    def anchor(self) -> str:
        """The HTML id of this figure's row on the pages that list it."""
        return f"cited-{self.table}-{self.index}"

    @property
    def model_ref(self) -> str | None:
        """The kb/models id to show this figure beside: the model itself or its closest entry."""
        return self.model or self.closest_model

    @property
    def runtime(self) -> str:
        """The runtime or toolchain as the source names it."""
        return self.runtime_name

    def key(self) -> tuple[Any, ...]:
        """What makes two entries the same figure (the source URL is added by the table)."""
        return (
            self.model_name,
            self.device,
            self.runtime,
            self.framework_version,
            self.precision,
            self.batch,
            self.scenario,
            self.statistic,
            self.variant,
        )


@dataclass(frozen=True)
class CitedTable:
    id: str
    path: Path
    name: str
    summary: str
    source: CitedSource
    figures: tuple[CitedFigure, ...] = field(default_factory=tuple)

    def location_of(self, figure: CitedFigure) -> str:
        return figure.location or self.source.location


def _figure(table: str, index: int, raw: Json) -> CitedFigure:
    acc = raw.get("accuracy")
    return CitedFigure(
        table=table,
        index=index,
        hardware=raw["hardware"],
        device=raw["device"],
        precision=raw["precision"],
        batch=None if raw["batch"] == "unstated" else raw["batch"],
        scenario=raw["scenario"],
        statistic=raw["statistic"],
        value=float(raw["value"]),
        unit=raw["unit"],
        model_name=raw["model_name"],
        runtime_name=raw["runtime_name"],
        model=raw.get("model"),
        model_note=raw.get("model_note"),
        closest_model=raw.get("closest_model"),
        framework=raw.get("framework"),
        runtime_note=raw.get("runtime_note"),
        framework_version=raw.get("framework_version"),
        variant=raw.get("variant"),
        accuracy=CitedAccuracy(
            acc["metric"],
            acc["dataset"],
            float(acc["value"]),
            acc["unit"],
            acc.get("note"),
            None if acc.get("delta") is None else float(acc["delta"]),
        )
        if acc
        else None,
        conditions=tuple(raw.get("conditions") or ()),
        location=raw.get("location"),
        note=raw.get("note"),
    )


def table_from_data(path: Path, data: Json) -> CitedTable:
    """Build a CitedTable from data that passed the schema."""
    src = data["source"]
    source = CitedSource(
        src["title"],
        src["url"],
        src["publisher"],
        src["date"],
        src["location"],
        src.get("date_note"),
    )
    figures = tuple(_figure(path.stem, i, raw) for i, raw in enumerate(data["figures"]))
    return CitedTable(path.stem, path, data["name"], data["summary"], source, figures)


def _listed(kb_root: Path, folder: str) -> list[Path]:
    """A folder's files, as `nnkb validate` lists them (`nnkb.kbfiles`); none when the
    folder is a symlink (validate reports it)."""
    try:
        return kb_files(kb_root, folder)
    except LayoutError:
        return []


def _files(kb_root: Path) -> list[Path]:
    return _listed(kb_root, FOLDER)


def load_cited(kb_root: Path, schemas: Schemas | None = None) -> list[CitedTable]:
    """Every table in kb_root/cited/, sorted by id; CitedError if any file does not validate."""
    schemas = schemas or Schemas()
    tables = []
    for path in _files(kb_root):
        try:
            loaded = load_yaml(path)
        except (YamlProblem, OSError) as exc:
            raise CitedError(f"{path}: {exc}; run `nnkb validate` for details") from None
        errors = [e.message for e in schemas.validator(SCHEMA_FILE).iter_errors(loaded.data)]
        errors += [number_problem(value) for _, value in non_finite(loaded.data)]
        if errors:
            raise CitedError(f"{path}: {errors[0]}; run `nnkb validate` for details")
        tables.append(table_from_data(path, loaded.data))
    return tables


def known_ids(kb_root: Path) -> dict[str, set[str]]:
    """Entry ids of the collections cited figures refer to, from the file names."""
    return {
        folder: {p.stem for p in _listed(kb_root, folder)}
        for folder in ("models", "hardware", "frameworks")
    }


class _Collector:
    def __init__(self, kb_root: Path, display: str) -> None:
        self.root = kb_root
        self.display = display
        self.problems: list[Problem] = []

    def add(self, path: Path, mark: Mark, pointer: Pointer, message: str) -> None:
        shown = (Path(self.display) / path.relative_to(self.root)).as_posix()
        self.problems.append(
            Problem(shown, mark.line, mark.col, path.stem, field_path(pointer), message)
        )


def check_cited(
    kb_root: Path,
    display: str = "kb",
    ids: Mapping[str, Iterable[str]] | None = None,
    schemas: Schemas | None = None,
) -> list[Problem]:
    """Every problem in kb_root/cited/*.yaml, each with file, line, column and field.

    `ids` maps "models", "hardware", "frameworks" to the valid entry ids; by default they are
    read from the KB folders' file names. `display` is how the KB folder is shown in paths.
    """
    schemas = schemas or Schemas()
    valid = {k: set(v) for k, v in (ids or known_ids(kb_root)).items()}
    words = device_words(kb_root)
    out = _Collector(kb_root, display)
    seen: dict[tuple[Any, ...], tuple[Path, int, Mark]] = {}
    for path in _files(kb_root):
        loaded = _load(out, path)
        if loaded is None:
            continue
        odd = set()
        for pointer, value in non_finite(loaded.data):
            odd.add(pointer)
            out.add(path, loaded.mark_for(pointer), pointer, number_problem(value))
        errors = list(schemas.validator(SCHEMA_FILE).iter_errors(loaded.data))
        for error in errors:
            for pointer, message in _explain(schemas, error):
                if pointer not in odd:  # said once, above
                    out.add(path, loaded.mark_for(pointer), pointer, message)
        for pointer, char in format_characters(loaded.data):
            out.add(path, loaded.mark_for(pointer), pointer, name_problem(char))
        if errors or odd:
            continue  # semantic checks assume the shape the schema guarantees
        table = table_from_data(path, loaded.data)
        for figure in table.figures:
            _check_figure(out, path, loaded, figure, valid)
            _check_vendor(out, path, loaded, figure, words)
            key = (table.source.url, *figure.key())
            here = ("figures", figure.index)
            if key in seen:
                first_path, first_index, first_mark = seen[key]
                where = "" if first_path == path else f" of {first_path.name}"
                out.add(
                    path,
                    loaded.mark_for(here),
                    here,
                    f"duplicate figure: same source, model, device, runtime, precision, batch, "
                    f"scenario, statistic and variant as figures[{first_index}]{where} "
                    f"(line {first_mark.line}); enter each figure once, or name what tells "
                    "them apart in 'variant'",
                )
            else:
                seen[key] = (path, figure.index, loaded.mark_for(here))
    return out.problems


# What a figure must state, worded for the contributor who left it out.
_REQUIRED_WORDS = {
    "model_name": "the model exactly as the source names it (its own label)",
    "runtime_name": "the runtime or toolchain exactly as the source names it",
    "model_note": "how the source's model differs from the KB's models (needed without a 'model' id)",
    "runtime_note": "what the runtime is (needed without a 'framework' id)",
    "precision": "the numeric format the source states, or 'unstated'",
    "batch": "the batch size the source states, or 'unstated'",
    "statistic": "which summary the value is (median, mean, p90, ...), or 'unstated'",
    "unit": "the unit the source gives the value in",
    "device": "the exact device the source ran on",
}


def device_words(kb_root: Path) -> dict[str, tuple[str, ...]]:
    """Per hardware class, the words its vendor's devices carry (kb/hardware `device_words`);
    classes without them (CPUs, made by many) are left out. Unreadable files are skipped: the
    hardware collection's own checks report them."""
    found: dict[str, tuple[str, ...]] = {}
    for path in sorted((kb_root / "hardware").glob("*.yaml")):
        try:
            data = load_yaml(path).data
        except (YamlProblem, OSError):
            continue
        words = data.get("device_words") if isinstance(data, dict) else None
        if isinstance(words, list) and words:
            found[path.stem] = tuple(str(w) for w in words)
    return found


def _check_vendor(
    out: _Collector,
    path: Path,
    loaded: LoadedYaml,
    figure: CitedFigure,
    words: Mapping[str, tuple[str, ...]],
) -> None:
    """A figure filed in a vendor's class names a device of that vendor (a Hailo-8 or a Galaxy
    S24 figure in the Intel NPU class told Intel owners what Hailo and Qualcomm measured)."""
    own = words.get(figure.hardware)
    device = figure.device.casefold()
    if not own or any(w.casefold() in device for w in own):
        return
    others = sorted(
        h
        for h, ws in words.items()
        if h != figure.hardware and any(w.casefold() in device for w in ws)
    )
    hint = f"; it looks like a device of '{others[0]}'" if others else ""
    here: Pointer = ("figures", figure.index, "hardware")
    out.add(
        path,
        loaded.mark_for(here),
        here,
        f"device '{figure.device}' is not one of the '{figure.hardware}' class's devices "
        f"(their names carry one of: {', '.join(own)}){hint}; file each figure under its "
        "vendor's hardware class",
    )


def _explain(schemas: Schemas, error: Any) -> list[tuple[Pointer, str]]:
    """Schema errors as (field, message): what a figure must state gets its own words."""
    pointer = tuple(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [k for k in error.validator_value if k not in error.instance]
        if missing and all(k in _REQUIRED_WORDS for k in missing):
            return [(pointer + (k,), f"missing '{k}': {_REQUIRED_WORDS[k]}") for k in missing]
    if pointer and pointer[-1] == "batch" and len(pointer) == 3:
        return [
            (
                pointer,
                "batch must be a whole number of at least 1, or 'unstated' when the source "
                "does not say; found "
                + ("null" if error.instance is None else repr(error.instance)),
            )
        ]
    return list(schemas.explain(error, SCHEMA_FILE))


def _load(out: _Collector, path: Path) -> LoadedYaml | None:
    try:
        loaded = load_yaml(path)
    except YamlProblem as exc:
        out.add(path, exc.mark, (), exc.message)
        return None
    except OSError as exc:
        out.add(path, Mark(1, 1), (), f"cannot read the file ({exc.strerror or exc})")
        return None
    if path.suffix != ".yaml":
        out.add(path, Mark(1, 1), (), f"KB files end in .yaml; rename to '{path.stem}.yaml'")
    if not loaded.first_line.strip().endswith(f"schemas/{SCHEMA_FILE}"):
        out.add(path, Mark(1, 1), (), f"first line must name the schema for editors: {SCHEMA_LINE}")
    if not isinstance(loaded.data, dict):
        out.add(
            path,
            Mark(1, 1),
            (),
            f"expected a mapping of fields as described in scripts/nnkb/schemas/{SCHEMA_FILE}",
        )
        return None
    return loaded


def _check_figure(
    out: _Collector,
    path: Path,
    loaded: LoadedYaml,
    figure: CitedFigure,
    valid: dict[str, set[str]],
) -> None:
    base: Pointer = ("figures", figure.index)
    for name, folder in REFERENCES:
        value = getattr(figure, name)
        if value is None or value in valid.get(folder, set()):
            continue
        choices = sorted(valid.get(folder, set()))
        hint = suggest(value, choices) or f"; valid ids: {', '.join(choices)}"
        out.add(
            path,
            loaded.mark_for(base + (name,)),
            base + (name,),
            f"unknown {_KIND[folder]} id '{value}' (no kb/{folder}/{value}.yaml){hint}",
        )
    if figure.value <= 0:
        what = "a latency" if figure.kind == "latency" else "a throughput"
        out.add(
            path,
            loaded.mark_for(base + ("value",)),
            base + ("value",),
            f"{what} must be positive, found {figure.value:g} {figure.unit}",
        )
    if figure.scenario in THROUGHPUT_SCENARIOS and figure.kind == "latency":
        out.add(
            path,
            loaded.mark_for(base + ("unit",)),
            base + ("unit",),
            f"scenario '{figure.scenario}' reports a throughput; expected one of "
            f"{', '.join(sorted(THROUGHPUT_UNITS))}, found '{figure.unit}'",
        )
    if figure.scenario in LATENCY_SCENARIOS and figure.kind == "throughput":
        out.add(
            path,
            loaded.mark_for(base + ("unit",)),
            base + ("unit",),
            f"scenario '{figure.scenario}' reports a latency; expected one of "
            f"{', '.join(sorted(LATENCY_UNITS))}, found '{figure.unit}'",
        )
    if figure.model and figure.closest_model:
        out.add(
            path,
            loaded.mark_for(base + ("closest_model",)),
            base + ("closest_model",),
            "closest_model goes with model_name; a figure with a kb/models id needs none",
        )
