"""The knowledge base as typed data: kb/<collection>/<id>.yaml parsed once into dataclasses.

Everything downstream (bench, render) works on these objects. Validation lives in
the validate package; `load_kb` assumes a KB that validates and raises KBError otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .codec import Json
from .kbfiles import LayoutError, kb_files
from .tasks import (  # noqa: F401 - the task tables, imported from here by bench and validate
    TASK_ACCURACY_METRICS,
    TASK_OUTPUT_KINDS,
    TOLERANCE_METRICS,
    output_kind,
    tolerance_metrics,
)
from .yamlsafe import YamlProblem, load_yaml

SCHEMA_DIR = Path(__file__).parent / "schemas"

# collection folder -> schema file stem
COLLECTIONS: dict[str, str] = {
    "use_cases": "use_case",
    "models": "model",
    "frameworks": "framework",
    "hardware": "hardware",
}


class KBError(Exception):
    """The KB cannot be loaded; run `nnkb validate` for every problem."""


@dataclass(frozen=True)
class Source:
    title: str
    url: str

    @classmethod
    def of(cls, raw: Json) -> Source:
        """A source from its YAML mapping; the schemas require one wherever this is called."""
        return cls(raw["title"], raw["url"])


@dataclass(frozen=True)
class Cited:
    value: float
    source: Source
    unit: str | None = None
    note: str | None = None

    @classmethod
    def of(cls, raw: Json | None) -> Cited | None:
        if not raw:
            return None
        return cls(raw["value"], Source.of(raw["source"]), raw.get("unit"), raw.get("note"))


@dataclass(frozen=True)
class Claim:
    text: str
    source: Source

    @classmethod
    def list_of(cls, raw: list[Json] | None) -> list[Claim]:
        """Claims as the schema has them: text and source (required on every claim)."""
        return [cls(c["text"], Source.of(c["source"])) for c in raw or []]


@dataclass(frozen=True)
class Accuracy:
    metric: str
    dataset: str
    value: float
    source: Source
    unit: str | None = None
    note: str | None = None


FULL_MATRIX = "full"
PRETRAINED = "pretrained"  # a model's published, trained weights
RANDOM = "random"  # a builtin graph with seeded random weights: the architecture only
# How every surface labels a model measured on random weights (Model.display_name).
ARCHITECTURE_ONLY = "architecture only, random weights"


@dataclass(frozen=True)
class Provenance:
    """Who produced a pretrained ONNX file and where that is stated."""

    exported_by: str
    source: Source

    @classmethod
    def of(cls, raw: Json) -> Provenance:
        return cls(raw["exported_by"], Source.of(raw["source"]))


@dataclass(frozen=True)
class OnnxSpec:
    source: str  # builtin | package | file | url
    inputs: dict[str, tuple[int, ...]]
    builder: str | None = None
    seed: int | None = None
    package: str | None = None
    import_name: str | None = None
    resource: str | None = None
    path: str | None = None
    url: str | None = None
    sha256: str | None = None
    classifier: bool = False
    # true: in the default `nnkb bench` matrix; "full": only under `--matrix full` (a model
    # too costly for a cold default run); false: only when named with --models.
    benchmark: bool | str = True
    size: int | None = None  # bytes of the pinned file (url: required; the download's cap)
    provenance: Provenance | None = None
    # The publisher's preprocessing (colour order, mean, std on 0-255): calibration and
    # agreement inputs are natural images prepared so (nnkb.models.natural); raw mapping.
    preprocess: Json | None = None
    preprocess_source: Source | None = None
    postprocess: str | None = None  # a detector's decoding (nnkb.accuracy.detection.DECODERS)
    # A lossless change nnkb makes to the published file before measuring it
    # (nnkb.models.convert.CONVERSIONS): "float16-to-float32" for a file published in FP16.
    convert: str | None = None

    @property
    def weights(self) -> str:
        """PRETRAINED for a published file, RANDOM for a builtin graph: the one rule for
        which rows may judge a precision's accuracy cost (none of a RANDOM model's)."""
        return RANDOM if self.source == "builtin" else PRETRAINED

    @property
    def matrix(self) -> str | None:
        """The smallest `--matrix` that measures this model ("default", "full"), or None."""
        if self.benchmark == FULL_MATRIX:
            return FULL_MATRIX
        return "default" if self.benchmark else None


@dataclass
class Entry:
    collection: str
    id: str
    path: Path
    data: Json

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def summary(self) -> str:
        return self.data["summary"]

    @property
    def description(self) -> str:
        return self.data["description"]

    @property
    def sources(self) -> list[Source]:
        return [Source.of(s) for s in self.data.get("sources", [])]

    @property
    def display_name(self) -> str:
        """The name every link, table, chart and sentence shows (Model adds its caveat)."""
        return self.name


@dataclass
class Model(Entry):
    @property
    def family(self) -> str:
        return self.data["family"]

    @property
    def task(self) -> str:
        """What the network outputs (required by the schema; '' in an unvalidated entry)."""
        return str(self.data.get("task", ""))

    @property
    def use_cases(self) -> list[str]:
        """Use cases this model is listed under (a candidate where its task is one of the use
        case's `tasks`)."""
        return list(self.data["use_cases"])

    @property
    def backbone_for(self) -> list[str]:
        """Use cases where this model appears only as part of another model (a feature
        extractor): never a candidate there."""
        return list(self.data.get("backbone_for", []))

    @property
    def display_name(self) -> str:
        """The name, with "(architecture only, random weights)" where the benchmark measures a
        builtin graph: its latency is the architecture's, never a trained model's accuracy."""
        spec = self.data.get("onnx")
        builtin = isinstance(spec, dict) and spec.get("source") == "builtin"
        return f"{self.name} ({ARCHITECTURE_ONLY})" if builtin else self.name

    @property
    def output_kind(self) -> str:
        return output_kind(self.task)

    @property
    def paper(self) -> Source:
        return Source.of(self.data["paper"])

    @property
    def licence(self) -> tuple[str, Source]:
        return self.data["licence"]["name"], Source.of(self.data["licence"]["source"])

    @property
    def not_benchmarked_reason(self) -> str | None:
        return self.data.get("not_benchmarked_reason")

    @property
    def published_parameters(self) -> Cited | None:
        return Cited.of(self.data["published"].get("parameters"))

    @property
    def published_macs(self) -> Cited | None:
        return Cited.of(self.data["published"].get("macs"))

    @property
    def accuracy(self) -> list[Accuracy]:
        return [
            Accuracy(
                a["metric"],
                a["dataset"],
                a["value"],
                Source.of(a["source"]),
                a.get("unit"),
                a.get("note"),
            )
            for a in self.data["accuracy"]
        ]

    @property
    def onnx(self) -> OnnxSpec | None:
        raw = self.data.get("onnx")
        if raw is None:
            return None
        fields = {k: v for k, v in raw.items() if k not in ("inputs", "provenance", "preprocess")}
        inputs = {name: tuple(shape) for name, shape in raw["inputs"].items()}
        provenance = Provenance.of(raw["provenance"]) if raw.get("provenance") else None
        stated = raw.get("preprocess")
        preprocess = {k: v for k, v in stated.items() if k != "source"} if stated else None
        return OnnxSpec(
            inputs=inputs,
            provenance=provenance,
            preprocess=preprocess,
            preprocess_source=Source.of(stated["source"]) if stated else None,
            **fields,
        )


@dataclass(frozen=True)
class PrecisionTolerance:
    """How much a reduced-precision variant may give up against FP32 and still count as
    equivalent for a use case: `metric` (TOLERANCE_METRICS) against `threshold`.

    For agreement metrics (top1, cosine_min, spearman_min, snr_db, ...) the threshold is the
    lowest acceptable value of the variant's agreement with the FP32 reference; for
    cer_points / line_accuracy_points it is the largest acceptable loss in percentage points
    of the task metric against the same model's ONNX Runtime FP32 row."""

    metric: str
    threshold: float
    reason: str
    source: Source | None = None

    @property
    def direction(self) -> str:
        """ "min" (the value must reach the threshold) or "max_loss" (the loss must not
        exceed it)."""
        return TOLERANCE_METRICS[self.metric][1]

    def within(self, value: float) -> bool:
        """Whether a measured value (an agreement metric, or a loss in points) is within."""
        return value <= self.threshold if self.direction == "max_loss" else value >= self.threshold


@dataclass
class UseCase(Entry):
    @property
    def tasks(self) -> list[str]:
        """The model tasks that answer this use case: only models of these tasks are its
        candidates (`KB.candidates_for`); empty when the entry names none (then every model
        listed under the use case is a candidate)."""
        return list(self.data.get("tasks", []))

    @property
    def pipeline_stages(self) -> list[str]:
        """Tasks of the models that run before the candidates (OCR's detector and direction
        classifier): shown beside the recommendation, never ranked."""
        return list(self.data.get("pipeline_stages", []))

    @property
    def scenario(self) -> str:
        """Either "latency" or "throughput": the measurement its ranking and recommendation use (the
        other is shown beside it)."""
        return self.data["scenario"]

    @property
    def scenario_reason(self) -> str:
        return self.data["scenario_reason"]

    @property
    def scenario_source(self) -> Source | None:
        raw = self.data.get("scenario_source")
        return Source.of(raw) if raw else None

    @property
    def precision_tolerance(self) -> PrecisionTolerance | None:
        """None when the entry states none (no reduced-precision variant is then
        recommended for the use case)."""
        raw = self.data.get("precision_tolerance")
        if raw is None:
            return None
        source = Source.of(raw["source"]) if raw.get("source") else None
        return PrecisionTolerance(raw["metric"], raw["threshold"], raw["reason"], source)

    @property
    def accuracy_metric(self) -> Json:
        return self.data["accuracy_metric"]

    @property
    def accuracy_floor(self) -> Cited | None:
        return Cited.of(self.data.get("accuracy_floor"))

    @property
    def considerations(self) -> list[Claim]:
        return Claim.list_of(self.data.get("considerations"))

    @property
    def input(self) -> str:
        return self.data["input"]

    @property
    def output(self) -> str:
        return self.data["output"]

    @property
    def hardware_notes(self) -> list[tuple[str, Claim]]:
        return [
            (n["hardware"], Claim(n["text"], Source.of(n["source"])))
            for n in self.data.get("hardware_notes", [])
        ]


@dataclass
class Framework(Entry):
    @property
    def kind(self) -> str:
        return self.data["kind"]

    @property
    def platforms(self) -> list[str]:
        return list(self.data["platforms"]["values"])

    @property
    def hardware(self) -> list[str]:
        return list(self.data["hardware"]["values"])

    @property
    def benchmark_adapters(self) -> list[str]:
        """Names of the bench adapters that measure this runtime; empty if nnkb does not."""
        return list(self.data.get("benchmark_adapters", []))

    @property
    def maintainer(self) -> str:
        return self.data["maintainer"]

    @property
    def status(self) -> str:
        """active, maintenance, discontinued or merged (schemas/framework.schema.json)."""
        return self.data.get("status", "active")

    @property
    def licence_name(self) -> str:
        return self.data["licence"]

    @property
    def website(self) -> str:
        return self.data["website"]

    @property
    def onnx_exports(self) -> bool:
        return bool(self.data["onnx"]["exports"])

    @property
    def onnx_runs(self) -> bool:
        return bool(self.data["onnx"]["runs"])

    @property
    def onnx(self) -> Json:
        """Whether it exports and runs ONNX, with the source of each (the schema's object)."""
        return self.data["onnx"]

    @property
    def hardware_field(self) -> Json:
        """The hardware classes it targets with their source (the schema's object)."""
        return self.data["hardware"]

    def listed(self, field: str) -> tuple[list[str], Source]:
        """The values of a sourced list field (platforms, hardware) and their source."""
        if field not in ("platforms", "hardware"):
            raise KeyError(f"{field!r} is not a sourced list of a framework")
        return list(self.data[field]["values"]), Source.of(self.data[field]["source"])

    @property
    def install(self) -> Json | None:
        """Shell commands that install it, per operating system, with their source."""
        return self.data.get("install")

    @property
    def successor(self) -> str | None:
        return self.data.get("successor")

    @property
    def history(self) -> list[Claim]:
        return Claim.list_of(self.data.get("history"))


@dataclass
class Hardware(Entry):
    @property
    def category(self) -> str:
        return self.data["category"]

    @property
    def precisions(self) -> list[str]:
        return list(self.data["precisions"]["values"])

    @property
    def precisions_source(self) -> Source:
        return Source.of(self.data["precisions"]["source"])

    @property
    def isa_features(self) -> list[str]:
        return [str(f) for f in self.data.get("isa_features") or []]

    @property
    def examples(self) -> list[str]:
        return list(self.data.get("examples") or [])

    @property
    def facts(self) -> list[Claim]:
        return Claim.list_of(self.data.get("facts"))

    @property
    def figures(self) -> list[Json]:
        """Published figures of the class (the schema's objects; kb/cited/ holds the rest)."""
        return list(self.data.get("figures") or [])

    @property
    def runtime_routes(self) -> list[Json]:
        """How a model reaches this class, the vendor's own route first (the schema's objects)."""
        return list(self.data.get("runtime_routes") or [])


_TYPES: dict[str, type[Entry]] = {
    "use_cases": UseCase,
    "models": Model,
    "frameworks": Framework,
    "hardware": Hardware,
}


@dataclass
class KB:
    root: Path
    use_cases: dict[str, UseCase] = field(default_factory=dict)
    models: dict[str, Model] = field(default_factory=dict)
    frameworks: dict[str, Framework] = field(default_factory=dict)
    hardware: dict[str, Hardware] = field(default_factory=dict)

    def collection(self, name: str) -> dict[str, Entry]:
        return getattr(self, name)

    def entries(self) -> Iterator[Entry]:
        for name in COLLECTIONS:
            yield from self.collection(name).values()

    def models_for(self, use_case: str) -> list[Model]:
        return [m for m in self.models.values() if use_case in m.use_cases]

    def candidates_for(self, use_case: str) -> list[Model]:
        """The models that can answer `use_case`: listed under it, and of one of its tasks
        (a backbone or a classifier is not an anomaly detector or an object detector).
        Sorted by id."""
        tasks = set(self.use_cases[use_case].tasks)
        return [
            m
            for _, m in sorted(self.models.items())
            if use_case in m.use_cases and (not tasks or m.task in tasks)
        ]

    def stages_for(self, use_case: str) -> list[Model]:
        """The models listed under `use_case` that are stages of its pipeline, in the order
        of its `pipeline_stages`, then by id."""
        stages = self.use_cases[use_case].pipeline_stages
        listed = [m for _, m in sorted(self.models.items()) if use_case in m.use_cases]
        return sorted((m for m in listed if m.task in stages), key=lambda m: stages.index(m.task))


def entry_files(root: Path, collection: str) -> list[Path]:
    """The collection's files, as `nnkb validate` lists them (`nnkb.kbfiles`)."""
    try:
        return kb_files(root, collection)
    except LayoutError as exc:
        raise KBError(f"{root / collection}:1:1: {collection}: {exc}") from None


def load_kb(root: Path) -> KB:
    """Load every entry of the KB at `root` into typed objects (no schema check here)."""
    root = Path(root)
    kb = KB(root=root)
    for collection in COLLECTIONS:
        for path in entry_files(root, collection):
            try:
                loaded = load_yaml(path)
            except YamlProblem as exc:
                mark = exc.mark
                raise KBError(
                    f"{path}:{mark.line}:{mark.col}: {path.stem}: {exc.message}"
                ) from None
            except OSError as exc:
                raise KBError(
                    f"{path}:1:1: {path.stem}: cannot read the file ({exc.strerror or exc})"
                ) from None
            if not isinstance(loaded.data, dict):
                raise KBError(f"{path}:1:1: {path.stem}: expected a mapping of fields")
            entry = _TYPES[collection](collection, path.stem, path, loaded.data)
            kb.collection(collection)[path.stem] = entry
    return kb
