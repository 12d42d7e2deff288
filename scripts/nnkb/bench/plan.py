"""The benchmark matrix: which (model, runtime, settings) rows exist, their keys, and which
are current in the results file (keys.current_row, the rule the runner uses too).

Default matrix: every model whose `onnx` is not null and whose `onnx.benchmark` is true,
times every registered adapter's variants (latency rows, INT8 included) and their throughput
twins (`Adapter.throughput_variants`). `--matrix full` adds the models whose `onnx.benchmark`
is "full" (too costly for a cold default run on 2 cores, ~10 minutes): planned under the
default matrix too, as `outside`, so `--dry-run` lists them and their stored rows are kept and
shown. `--models` may name any model with an ONNX file, whatever its `benchmark`: a model
named is measured.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..codec import Settings
from ..kb import FULL_MATRIX, KB, Model, OnnxSpec
from ..models.sources import NotInStore, default_cache_dir
from ..models.sources import materialize as source_materialize
from ..results import LATENCY, Identity, Quantization, Row, canonical_json, scenario_of
from .keys import current_row, file_sha256, row_key
from .runtimes import Adapter
from .settings import HARNESS

MATRICES = ("default", FULL_MATRIX)


def in_matrix(spec: OnnxSpec, matrix: str, named: bool = False) -> bool:
    """Whether `nnkb bench --matrix <matrix>` measures the model: every variant of a model
    is in the same matrices, so the default matrix has INT8 rows of every model it has."""
    return named or matrix == FULL_MATRIX or spec.matrix == "default"


class PlanError(Exception):
    """A filter or KB entry that makes the matrix impossible; exit status 1."""


@dataclass
class PlannedRow:
    model_id: str
    spec: OnnxSpec
    runtime: str
    runtime_version: str | None
    settings: Settings
    model_path: Path | None
    model_sha256: str | None
    problem: str | None  # why no model file could be had (the row is then `failed`)
    key: str
    cached: bool = False
    variant: str = ""  # the adapter's short label of these settings ("" for its default)
    task: str = ""  # the KB model's task (which agreement metric and accuracy apply)
    quantization: Quantization | None = None  # the derived INT8 file the row runs
    unavailable: str | None = None  # why the variant cannot run on this CPU
    outside: bool = False  # not in the chosen --matrix: not run (a stored row is kept)
    build_s: float = 0.0  # seconds to get the model file (built, or found in the cache)
    missing: bool = False  # the pretrained file is not in the model store

    @property
    def identity(self) -> Identity:
        """The identity of the row this plans (Row.identity)."""
        return self.model_id, self.runtime, canonical_json(self.settings)

    def current(self, stored: Mapping[Identity, Row]) -> Row | None:
        """The stored row this planned row would produce, if it is current."""
        return current_row(stored, self.identity, self.key, self.model_sha256)

    @property
    def scenario(self) -> str:
        """The scenario of the row this plans (Row.scenario): latency or throughput."""
        return scenario_of(self.settings)

    @property
    def label(self) -> str:
        # The variant label leaves the scenario out; a throughput twin says so here.
        parts = [self.variant] if self.variant else []
        parts += [self.scenario] if self.scenario != LATENCY else []
        return f"{self.model_id} × {self.runtime}" + "".join(f" · {p}" for p in parts)


def cache_root(kb_root: Path) -> Path:
    """Generated files (model files, reference outputs): NNKB_CACHE, else .cache/nnkb beside
    the KB folder. One rule with the model sources, so `nnkb model` and the bench share files."""
    return default_cache_dir(kb_root).parent


def _unknown(kind: str, name: str, known: list[str]) -> PlanError:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return PlanError(f"unknown {kind} '{name}'{hint} (known: {', '.join(known) or 'none'})")


def onnx_spec(model: Model) -> OnnxSpec | None:
    try:
        return model.onnx
    except (KeyError, TypeError, AttributeError) as exc:
        raise PlanError(
            f"{model.path}: onnx: malformed entry ({exc}); run `nnkb validate` for details"
        ) from None


def select_models(kb: KB, names: list[str] | None) -> list[Model]:
    if not names:
        chosen = []
        for model_id in sorted(kb.models):
            spec = onnx_spec(kb.models[model_id])
            if spec is not None and spec.benchmark is not False:
                chosen.append(kb.models[model_id])
        return chosen
    chosen = []
    for name in names:
        if name not in kb.models:
            raise _unknown("model", name, sorted(kb.models))
        if onnx_spec(kb.models[name]) is None:
            raise PlanError(
                f"model '{name}' has no ONNX file (onnx: null in {kb.models[name].path})"
            )
        chosen.append(kb.models[name])
    return sorted({m.id: m for m in chosen}.values(), key=lambda m: m.id)


def select_runtimes(adapters: dict[str, Adapter], names: list[str] | None) -> list[Adapter]:
    if not names:
        return [adapters[n] for n in sorted(adapters)]
    for name in names:
        if name not in adapters:
            raise _unknown("runtime", name, sorted(adapters))
    return [adapters[n] for n in sorted(set(names))]


# The reason of a row whose pretrained file is not in the model store (nnkb.models.store).
NOT_IN_STORE = "model file not in the store"


# How a row whose file is not in the store says to get it (the page shows it as it is).
FETCH_HINT = "nnkb models fetch (or, for a copy obtained another way, nnkb models add FILE)"


def missing_files_line(model_ids: list[str]) -> str:
    """What `nnkb bench` says once when pretrained files are not in the model store."""
    return (
        f"nnkb bench: {len(model_ids)} model file(s) not in the model store, their rows "
        f"unavailable here ({', '.join(model_ids)}); to measure them: nnkb models fetch "
        "(or nnkb models add FILE... for copies obtained another way)"
    )


def materialize(model: Model, cache_dir: Path) -> tuple[Path | None, str | None, str | None]:
    """(path, sha256, None) of the model's ONNX file, or (None, None, problem), or for a
    pretrained file not in the model store (None, None, NOT_IN_STORE)."""
    try:
        path = Path(source_materialize(model, cache_dir))
    except NotInStore:
        return None, None, NOT_IN_STORE
    except Exception as exc:  # noqa: BLE001 - ModelSourceError and friends: a failed row
        return None, None, " ".join(str(exc).split())[:300]
    return path, file_sha256(path), None


def cpu_flags() -> set[str]:
    """This machine's instruction-set flags (/proc/cpuinfo names)."""
    from .cpu import cpu_model_and_flags

    return cpu_model_and_flags()[1]


def derived_of(
    model: Model, spec: OnnxSpec, path: Path | None, sha: str | None, quantizer: str
) -> tuple[Quantization | None, str | None]:
    """The derived file's identity (its key, quantiser version, calibration set), or why
    it cannot be had; nothing is built here."""
    if path is None or sha is None:
        return None, None
    from .derived import derived_key

    try:
        key, version, calibration_id, words = derived_key(
            sha, quantizer, model.task, spec.inputs, path, spec.preprocess
        )
    except Exception as exc:  # noqa: BLE001 - a quantiser not installed: the row says why
        return None, " ".join(str(exc).split())[:300]
    return Quantization(quantizer, version, calibration_id, words, key), None


def build_plan(
    models: list[Model],
    adapters: Sequence[Adapter],
    versions: dict[str, str | None],
    cache_dir: Path,
    stored: Mapping[Identity, Row],
    force: bool,
    flags: set[str] | None = None,
    matrix: str = "default",
    named: bool = False,
) -> list[PlannedRow]:
    """Every row of models x adapters x settings variants; `cached` when the stored row at
    its identity is current (and not --force). `flags`: the CPU's instruction-set flags
    (default: this machine's), which decide the variants it cannot run. Rows outside the
    `matrix` are planned with `outside` set: never run, and their stored rows kept (the
    models of a `named` selection are all in it)."""
    flags = cpu_flags() if flags is None else flags
    plan = []
    for model in models:
        spec = onnx_spec(model)
        if spec is None:  # select_models keeps only models with an ONNX file
            continue
        outside = not in_matrix(spec, matrix, named)
        start = time.perf_counter()
        # A model outside the matrix is not built: its rows are only listed (and kept).
        path, sha, problem = (
            (None, None, None) if outside else materialize(model, cache_dir / "models")
        )
        missing = problem == NOT_IN_STORE
        if missing:  # not a failure: the row is unavailable here, and a stored row is kept
            problem = None
        build_s = time.perf_counter() - start
        for adapter in adapters:
            version = versions.get(adapter.name)
            # Every variant's latency row, then the throughput twins (throughput_variants).
            for settings in adapter.variants() + adapter.throughput_variants():
                quantizer = adapter.quantizer(settings)
                quantization, why = (
                    derived_of(model, spec, path, sha, quantizer) if quantizer else (None, None)
                )
                key = row_key(
                    model.id,
                    sha,
                    adapter.name,
                    version,
                    settings,
                    spec.inputs,
                    HARNESS["input_seed"],
                    derived_key=quantization.key if quantization else None,
                    preprocess=spec.preprocess,
                    postprocess=spec.postprocess,
                )
                row = PlannedRow(
                    model.id,
                    spec,
                    adapter.name,
                    version,
                    settings,
                    path,
                    sha,
                    problem or (f"quantiser: {why}" if why else None),
                    key,
                    variant=adapter.variant_label(settings),
                    task=model.task,
                    quantization=quantization,
                    unavailable=(
                        f"{NOT_IN_STORE}: {FETCH_HINT}"
                        if missing
                        else adapter.unavailable(settings, flags)
                    ),
                )
                row.outside = outside
                row.build_s = build_s
                row.missing = missing
                if missing:  # cannot be measured here; what was measured stays (--force
                    # renews only a stored row that was itself unavailable)
                    kept = stored.get(row.identity)
                    row.cached = kept is not None and not (force and kept.status == "unavailable")
                else:
                    row.cached = not force and row.current(stored) is not None
                plan.append(row)
    return plan


def print_plan(plan: list[PlannedRow], path: Path, unverified: set[str]) -> int:
    print(f"results file: {path}")
    for p in plan:
        if p.cached and p.key in unverified:
            state = "cached (verification process to run)"
        elif p.cached:
            state = "cached"
        elif p.problem:
            state = f"run (model file: {p.problem})"
        elif p.outside:
            state = "not in the default matrix (--matrix full)"
        elif p.unavailable:
            state = f"unavailable ({p.unavailable.split(':')[0]})"
        elif p.runtime_version is None:
            state = "run (runtime not installed: row will be 'unavailable')"
        else:
            state = "run"
        print(f"  {p.label:<40} {state}")
    cached = sum(p.cached for p in plan)
    outside = sum(p.outside and not p.cached for p in plan)
    print(
        f"{len(plan)} rows: {len(plan) - cached - outside} to run, {cached} cached, "
        f"{outside} outside the matrix"
    )
    missing = sorted({p.model_id for p in plan if p.missing})
    if missing:
        print(missing_files_line(missing))
    return 0
