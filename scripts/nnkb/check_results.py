"""`nnkb check-results FILE...`: check contributed results files like a submission checker.

Errors are the results checks `nnkb validate` runs (nnkb.results.check: schema and
consistency). Warnings are plausibility checks, one message per problem, each with the rule:

- the machine id is not the one its hardware part gives (bench.machine.machine_id);
- rows measured with a harness version other than this checkout's (bench.settings);
- rows measured with a runtime version other than the one requirements.txt pins;
- an ok row whose median latency disagrees with the same row (model file, runtime and
  settings other than thread counts) on comparable machines by more than PLAUSIBLE_FACTOR,
  after scaling by the machines' measured FP32 peaks. Comparable machines are the other
  results files in the KB (and the other files named) with the same architecture, the same
  ISA class (isa_class) and physical core counts within CORES_FACTOR of each other.

A file with errors gets no warnings: its numbers cannot be trusted enough to compare. A
machine without a measured peak is not compared. Errors exit 1; warnings alone exit 0, or 1
with --strict.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from .kbfiles import RESULTS, LayoutError, kb_files
from .problems import Problem, count, field_path, limited
from .results import ResultsError, ResultsFile, Row, canonical_json, check_results_file, read
from .results.io import known_ids, unknown_ids
from .yamlsafe import LoadedYaml, Pointer

# Rows of the same model, runtime and settings on comparable machines agree within this
# factor once scaled by the machines' FP32 peaks: a 2-core cloud VM's slow and fast phases
# differ by up to 1.7x (bench/settings.py), so 3x leaves room for them and still catches a
# busy machine, a throttled laptop or a wrong setting.
PLAUSIBLE_FACTOR = 3.0
# Physical core counts of comparable machines differ by at most this factor.
CORES_FACTOR = 2.0
REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements.txt"
# Figures no machine reaches, whatever else is committed: a median below a microsecond (a
# whole inference), and more operations per second than the machine's own measured FP32 peak
# allows: FP32_ALLOWANCE times it for an FP32 row (committed rows reach 1.1x the matmul the
# peak is taken from; the margin leaves room for a slower peak measurement),
# LOW_PRECISION_ALLOWANCE times it for a row in a lower precision (INT8 and BF16 matrix units
# do several times the FP32 rate).
FASTEST_MEDIAN_S = 1e-6
FP32_ALLOWANCE = 4.0
LOW_PRECISION_ALLOWANCE = 32.0
_FP32 = {None, "fp32", "f32", "float32"}
PLAUSIBILITY_RULE = (
    f"rows of the same model, runtime and settings on machines of the same architecture and "
    f"ISA class with core counts within {CORES_FACTOR:g}x should agree within "
    f"{PLAUSIBLE_FACTOR:g}x once each latency is multiplied by its machine's FP32 peak"
)


@dataclass(frozen=True)
class Finding:
    """An error or a warning about one place in one file."""

    problem: Problem
    warning: bool

    def line_text(self) -> str:
        if not self.warning:
            return self.problem.line_text()
        p = self.problem
        return f"{p.path}:{p.line}:{p.col}: {p.where}: warning: {p.text}"

    def github_annotation(self) -> str:
        text = self.problem.github_annotation()
        return text.replace("::error ", "::warning ", 1) if self.warning else text


def isa_class(arch: str, features: Iterable[str]) -> str:
    """The widest vector or matrix extension: the class within which machines compare."""
    have = set(features)
    if arch.startswith(("arm", "aarch")):
        order = (("sme", "sme"), ("sve", "sve"), ("asimd", "neon"), ("neon", "neon"))
    else:
        order = (("amx_tile", "amx"), ("avx512f", "avx512"), ("avx2", "avx2"), ("avx", "avx"))
    return next((name for flag, name in order if flag in have), "baseline")


def pinned_versions(path: Path = REQUIREMENTS) -> dict[str, str]:
    """`name==version` pins of a requirements file, by normalised name (PEP 503)."""
    pins: dict[str, str] = {}
    if not path.is_file():
        return pins
    for line in path.read_text(encoding="utf-8").splitlines():
        spec = line.split("#", 1)[0].split(";", 1)[0].strip()
        name, sep, version = spec.partition("==")
        if sep and name.strip():
            pins[_normalise(name.strip())] = version.strip()
    return pins


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins_for(runtime: str, pins: dict[str, str]) -> dict[str, str]:
    """The pinned distributions of a runtime adapter: its name, or its name and a suffix
    (opencv -> opencv-python-headless)."""
    name = _normalise(runtime)
    return {d: v for d, v in pins.items() if d == name or d.startswith(name + "-")}


def version_matches(version: str, pinned: str) -> bool:
    # A runtime reports 5.0.0 for the wheel 5.0.0.93: the wheel's build number is no change.
    return version == pinned or pinned.startswith(version + ".")


def _machine_settings() -> dict[str, tuple[str, ...]]:
    # Imported here: the adapters pull in numpy and the bench package.
    from .bench.runtimes import load_adapters

    return {name: adapter.machine_settings for name, adapter in load_adapters().items()}


def comparison_key(row: Row, machine_settings: dict[str, tuple[str, ...]]) -> str:
    """What makes two rows on two machines the same measurement: the model file, runtime
    and settings, without the settings that follow the machine (thread counts)."""
    skip = machine_settings.get(row.runtime, ())
    settings = {k: v for k, v in row.settings.items() if k not in skip}
    return canonical_json([row.model, row.model_sha256, row.runtime, settings])


def comparable(a: ResultsFile, b: ResultsFile) -> bool:
    ha, hb = a.machine.hardware, b.machine.hardware
    if a.machine.id == b.machine.id or ha.arch != hb.arch:
        return False
    if isa_class(ha.arch, ha.isa_features) != isa_class(hb.arch, hb.isa_features):
        return False
    cores = sorted((ha.physical_cores, hb.physical_cores))
    return cores[1] <= CORES_FACTOR * cores[0]


class _Checker:
    def __init__(self, path: Path, shown: str, loaded: LoadedYaml, results: ResultsFile):
        self.path, self.shown, self.loaded, self.results = path, shown, loaded, results
        self.findings: list[Finding] = []

    def warn(self, pointer: Pointer, message: str) -> None:
        mark = self.loaded.mark_for(pointer)
        problem = Problem(
            self.shown, mark.line, mark.col, self.path.stem, field_path(pointer), message
        )
        self.findings.append(Finding(problem, warning=True))

    def machine_id(self) -> None:
        from .bench.machine import machine_id

        expected = machine_id(self.results.machine.hardware)
        if expected != self.results.machine.id:
            self.warn(
                ("machine", "id"),
                f"machine id '{self.results.machine.id}' does not match its hardware part, "
                f"which gives '{expected}' (<cpu slug>-<cores>c-<hash of the hardware part>); "
                "the hardware part was edited or the id was not made by `nnkb bench`",
            )

    def harness(self, current: str) -> None:
        first: dict[str, list[int]] = {}
        for i, row in enumerate(self.results.rows):
            if row.harness_version is not None and row.harness_version != current:
                first.setdefault(row.harness_version, []).append(i)
        for version, rows in sorted(first.items()):
            older = _version_key(version) < _version_key(current)
            which, them = _rows(rows)
            self.warn(
                ("rows", rows[0], "harness_version"),
                f"{which} measured with harness version {version}, "
                f"{'older' if older else 'other'} than this checkout's {current}; "
                f"`nnkb bench` with this checkout measures {them} again",
            )

    def runtime_versions(self, pins: dict[str, str]) -> None:
        found: dict[tuple[str, str], list[int]] = {}
        for i, row in enumerate(self.results.rows):
            pinned = pins_for(row.runtime, pins)
            version = row.runtime_version
            if version is None or not pinned:
                continue
            if not any(version_matches(version, v) for v in pinned.values()):
                found.setdefault((row.runtime, version), []).append(i)
        for (runtime, version), rows in sorted(found.items()):
            wanted = ", ".join(f"{d}=={v}" for d, v in sorted(pins_for(runtime, pins).items()))
            which, them = _rows(rows)
            self.warn(
                ("rows", rows[0], "runtime_version"),
                f"{which} measured with {runtime} {version}; requirements.txt pins "
                f"{wanted}; `nnkb bench` with the pinned requirements installed measures "
                f"{them} again",
            )

    def physics(self) -> None:
        """Warnings that need no other machine: a median below FASTEST_MEDIAN_S, and more
        operations per second than the file's own peak allows. One warning per kind, at the
        first row, naming how many rows."""
        fast: list[int] = []
        beyond: list[tuple[int, float, float]] = []
        peak = self.results.machine.peak
        for i, row in enumerate(self.results.rows):
            if not row.ok or row.latency is None:
                continue
            if row.latency.p50 < FASTEST_MEDIAN_S:
                fast.append(i)
            if peak is None or not row.macs:
                continue
            throughput = row.throughput
            rate = throughput.inferences_per_s if throughput is not None else 1 / row.latency.p50
            fp32 = row.precision in _FP32 and "quantizer" not in row.settings
            allowed = peak.fp32_flops * (FP32_ALLOWANCE if fp32 else LOW_PRECISION_ALLOWANCE)
            ops = 2 * row.macs * rate
            if ops > allowed:
                beyond.append((i, ops, allowed))
        if fast:
            which, them = _rows(fast)
            p50 = self.results.rows[fast[0]].latency
            assert p50 is not None
            self.warn(
                ("rows", fast[0], "latency", "p50"),
                f"{which} measured with a median below {FASTEST_MEDIAN_S * 1e6:g} µs "
                f"(first: {p50.p50:.3g} s), faster than any machine runs a whole inference; "
                f"measure {them} again with `nnkb bench --force`",
            )
        if beyond:
            which, them = _rows([i for i, _, _ in beyond])
            i, ops, allowed = beyond[0]
            self.warn(
                ("rows", i, "latency", "p50"),
                f"{which} faster than the machine's own measured FP32 peak allows: "
                f"{ops:.3g} operations per second (2 x macs per inference) where at most "
                f"{allowed:.3g} are plausible ({FP32_ALLOWANCE:g}x the peak in FP32, "
                f"{LOW_PRECISION_ALLOWANCE:g}x in a lower precision); measure {them} again "
                "with `nnkb bench --force`",
            )

    def latency(self, others: list[ResultsFile], settings: dict[str, tuple[str, ...]]) -> None:
        peak = self.results.machine.peak
        peers = [o for o in others if o.machine.peak is not None and comparable(self.results, o)]
        if peak is None or not peers:
            return
        reference: dict[str, list[tuple[float, ResultsFile, Row]]] = {}
        for other in peers:
            assert other.machine.peak is not None
            for row in other.rows:
                if row.ok and row.latency is not None:
                    scaled = row.latency.p50 * other.machine.peak.fp32_flops
                    reference.setdefault(comparison_key(row, settings), []).append(
                        (scaled, other, row)
                    )
        for i, row in enumerate(self.results.rows):
            matches = reference.get(comparison_key(row, settings))
            if not (row.ok and row.latency is not None and matches):
                continue
            expected = statistics.median(s for s, _, _ in matches) / peak.fp32_flops
            ratio = row.latency.p50 / expected
            if 1 / PLAUSIBLE_FACTOR <= ratio <= PLAUSIBLE_FACTOR:
                continue
            how = f"{ratio:.1f}x slower" if ratio > 1 else f"{1 / ratio:.1f}x faster"
            shown = ", ".join(
                f"{o.machine.id}: {r.latency.p50:.4g} s" for _, o, r in matches if r.latency
            )
            self.warn(
                ("rows", i, "latency", "p50"),
                f"p50 {row.latency.p50:.4g} s is {how} than expected ({expected:.4g} s) from "
                f"the same row on {len(matches)} comparable machine(s) ({shown}) scaled by "
                f"FP32 peaks; {PLAUSIBILITY_RULE}. Was the machine busy or throttled?",
            )


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)) or (0,)


def _rows(indices: list[int]) -> tuple[str, str]:
    """How a message names the rows, and the pronoun for them."""
    if len(indices) == 1:
        return f"rows[{indices[0]}] was", "it"
    return f"{len(indices)} rows (rows[{indices[0]}] and more) were", "them"


def _kb_results(kb: Path) -> dict[Path, ResultsFile]:
    files: dict[Path, ResultsFile] = {}
    try:
        paths = kb_files(kb, RESULTS)  # the files `nnkb validate` reads (nnkb.kbfiles)
    except LayoutError:
        return files
    for path in paths:
        try:
            files[path.resolve()] = read(path)
        except ResultsError:
            continue  # a broken KB file is its own error when it is named
    return files


def check_files(paths: list[Path], kb: Path, requirements: Path = REQUIREMENTS) -> list[Finding]:
    """Every error and warning of the named results files."""
    from .bench.settings import HARNESS_VERSION

    findings: list[Finding] = []
    checked: list[tuple[Path, str, LoadedYaml, ResultsFile]] = []
    try:
        known_kb = known_ids(kb)
    except LayoutError:
        known_kb = {"models": [], "hardware": []}
    for path in paths:
        shown = path.as_posix()
        problems, loaded = check_results_file(path, shown)
        if not problems and loaded is not None:
            results = ResultsFile.from_json(loaded.data, path)
            # The models and hardware class it names are the KB's, as `nnkb validate` checks.
            # (A --kb without models/ or hardware/ is no KB to check them against.)
            ids = {c: found for c, found in known_kb.items() if (kb / c).is_dir()}
            problems = [replace(p, path=shown) for p in unknown_ids(results, loaded, ids)]
            if not problems:
                checked.append((path, shown, loaded, results))
        findings += [Finding(p, warning=False) for p in problems]
    if not checked:
        return findings
    known = _kb_results(kb)
    for path, _, _, results in checked:
        known[path.resolve()] = results
    pins = pinned_versions(requirements)
    settings = _machine_settings()
    for path, shown, loaded, results in checked:
        checker = _Checker(path, shown, loaded, results)
        checker.machine_id()
        checker.harness(HARNESS_VERSION)
        checker.runtime_versions(pins)
        checker.physics()
        checker.latency([r for p, r in known.items() if p != path.resolve()], settings)
        findings += checker.findings
    return findings


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def run(args: argparse.Namespace) -> int:
    """Print every error and warning; exit 1 on an error, or on a warning with --strict."""
    try:
        findings = check_files(list(args.files), Path(args.kb))
    except Exception as exc:  # noqa: BLE001 - the promise is a clean message, never a traceback
        print(
            f"nnkb check-results: internal error ({type(exc).__name__}: {exc}); "
            "please report this as a bug",
            file=sys.stderr,
        )
        return 1
    github = os.environ.get("GITHUB_ACTIONS") == "true"
    # A file with errors gets no warnings: its errors, at most PROBLEMS_PER_FILE of them and
    # a count of the rest, else its warnings.
    shown = limited(f.problem for f in findings if not f.warning)
    cautions = limited(f.problem for f in findings if f.warning)
    ordered = [Finding(p, warning=False) for p in shown] + [
        Finding(p, warning=True) for p in cautions
    ]
    ordered.sort(key=lambda f: f.problem.path)  # stable: each file's lines stay in order
    for finding in ordered:
        print(finding.line_text())
        if github:
            print(finding.github_annotation())
    errors = count(shown)
    warnings = count(cautions)
    print(
        f"nnkb check-results: {_plural(len(args.files), 'file')} checked, "
        f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}",
        file=sys.stderr,
    )
    return 1 if errors or (warnings and args.strict) else 0
