"""The checks of one results file: the reader and `nnkb validate` run exactly these.

parse (yamlsafe.load_json: strict JSON with positions) -> format version -> finite numbers ->
JSON Schema -> consistency (machine id and file name, unique keys and identities, an ok row
has latency statistics in order, a failed row says why, the latency is the faster
process's; a throughput row's figures are its process's with the most inferences per
second). Every problem is a `Problem` with path:line:col, said once.

The cost is linear in the file's size: rows are checked against the schema one by one, and a
row equal to one checked before reuses its problems; past `PROBLEMS_PER_FILE` problems, the
rest are only counted (one `hidden` marker says how many).
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

from ..codec import Json
from ..problems import PROBLEMS_PER_FILE, Problem, field_path
from ..validate.names import format_characters
from ..validate.names import problem as name_problem
from ..validate.numbers import non_finite
from ..validate.numbers import problem as number_problem
from ..validate.schemas import Schemas
from ..validate.wording import found, show
from ..yamlsafe import LoadedYaml, Mark, Pointer, YamlProblem, load_json
from .machine import BROWSER_ID_PREFIX, WEB_RUNTIMES
from .model import FORMAT_VERSION, canonical_json
from .throughput import THROUGHPUT, scenario_of

SCHEMA_FILE = "results.schema.json"


@cache
def _schemas() -> Schemas:
    return Schemas()


def migrate_hint(path: Path | str) -> str:
    return (
        f"results format 1 is no longer read; run `python -m nnkb.results.migrate {path}` "
        f"to convert the file to format {FORMAT_VERSION} in place (every measurement is kept)"
    )


class _Collector:
    def __init__(self, path: Path, shown: str) -> None:
        self.path = path
        self.shown = shown
        self._problems: list[Problem] = []
        self._said: set[tuple[Pointer, str]] = set()
        self.hidden = 0
        self._first_hidden: Mark | None = None
        self.loaded: LoadedYaml | None = None

    @property
    def full(self) -> bool:
        return len(self._problems) >= PROBLEMS_PER_FILE

    @property
    def problems(self) -> list[Problem]:
        if not self.hidden:
            return list(self._problems)
        mark = self._first_hidden or Mark(1, 1)
        marker = Problem(self.shown, mark.line, mark.col, self.path.stem, "", "", self.hidden)
        return [*self._problems, marker]

    def add(self, mark: Mark, pointer: Pointer, message: str) -> None:
        if (pointer, message) in self._said:
            return
        if self.full:
            self.count(1, mark)
            return
        self._said.add((pointer, message))
        self._problems.append(
            Problem(self.shown, mark.line, mark.col, self.path.stem, field_path(pointer), message)
        )

    def count(self, problems: int, mark: Mark | None = None) -> None:
        """Problems past the limit: counted, not worded."""
        if problems and self._first_hidden is None:
            self._first_hidden = mark
        self.hidden += problems

    def at(self, pointer: Pointer, message: str) -> None:
        assert self.loaded is not None
        if self.full:  # no position needed for a problem only counted
            if (pointer, message) not in self._said:
                self.count(1, self.loaded.mark_for(pointer) if not self.hidden else None)
            return
        self.add(self.loaded.mark_for(pointer), pointer, message)


def check_results_file(
    path: Path, shown: str | None = None, schemas: Schemas | None = None, named: bool = True
) -> tuple[list[Problem], LoadedYaml | None]:
    """Every problem of the results file at `path` (shown as `shown`), and its parsed data
    (None when it could not be parsed or is not a format-2 mapping). `named=False` skips
    the rule that the file is named after its machine (`nnkb bench --results FILE`)."""
    path = Path(path)
    out = _Collector(path, shown if shown is not None else str(path))
    try:
        loaded = load_json(path)
    except YamlProblem as exc:
        out.add(exc.mark, (), exc.message)
        return out.problems, None
    except OSError as exc:
        out.add(Mark(1, 1), (), f"cannot read the file ({exc.strerror or exc})")
        return out.problems, None
    out.loaded = loaded
    data = loaded.data
    if not isinstance(data, dict):
        what = "file is empty" if data is None else f"top level is {found(data)}"
        out.at((), f"{what}; expected a mapping of fields as described in "
                    f"scripts/nnkb/schemas/{SCHEMA_FILE}")  # fmt: skip
        return out.problems, None
    if data.get("format_version") == 1:
        out.at(("format_version",), migrate_hint(out.shown))
        return out.problems, None
    odd = set()
    for pointer, value in non_finite(data):
        odd.add(pointer)
        out.at(pointer, number_problem(value))
    _check_schema(out, data, schemas or _schemas(), odd)
    _check_origin(out, data)
    if isinstance(data.get("machine"), dict):  # the rows name nothing in words
        for pointer, char in format_characters(data["machine"], ("machine",)):
            out.at(pointer, name_problem(char))
    if named:
        _check_machine(out, data)
    rows = data.get("rows")
    if isinstance(rows, list):
        first_key: dict[str, int] = {}
        first_identity: dict[str, int] = {}
        for i, row in enumerate(rows):
            if isinstance(row, dict):
                _check_row(out, i, row, first_key, first_identity)
    return out.problems, loaded


def _check_schema(out: _Collector, data: Json, schemas: Schemas, said: set[Pointer]) -> None:
    """The JSON Schema's problems: the file without its rows, then each row, a row equal to
    an earlier one reusing that one's problems (a file of 300,000 empty rows is checked once)."""
    rows = data.get("rows")
    top = {**data, "rows": []} if isinstance(rows, list) else data
    for pointer, message in schemas.problems(SCHEMA_FILE, top):
        if pointer not in said:  # said once, above
            out.at(pointer, message)
    if not isinstance(rows, list):
        return
    seen: dict[str, list[tuple[Pointer, str]]] = {}
    for i, row in enumerate(rows):
        key = repr(row)  # equal reprs are equal rows; cheaper than canonical JSON
        if key not in seen:
            seen[key] = list(schemas.problems(SCHEMA_FILE, row, "row"))
        found_here = seen[key]
        if not found_here:
            continue
        if out.full and not said:
            loaded = out.loaded if not out.hidden else None  # the first hidden one's place
            out.count(len(found_here), loaded.mark_for(("rows", i)) if loaded else None)
            continue
        for pointer, message in found_here:
            absolute = ("rows", i, *pointer)
            if absolute not in said:
                out.at(absolute, message)


def _check_origin(out: _Collector, data: Json) -> None:
    """A browser's results cannot pose as native ones, nor the reverse: a machine with a
    browser part has an id starting with 'browser-', no measured peak and only browser rows;
    any other machine has neither that id nor browser rows."""
    machine = data.get("machine")
    if not isinstance(machine, dict):
        return
    hardware = machine.get("hardware")
    machine_id = machine.get("id")
    rows = data.get("rows")
    if not isinstance(rows, list):
        rows = []
    runtimes = [
        (i, row["runtime"])
        for i, row in enumerate(rows)
        if isinstance(row, dict) and isinstance(row.get("runtime"), str)
    ]
    web = ", ".join(sorted(WEB_RUNTIMES))
    if isinstance(hardware, dict) and isinstance(hardware.get("browser"), dict):
        if isinstance(machine_id, str) and not machine_id.startswith(BROWSER_ID_PREFIX):
            out.at(
                ("machine", "id"),
                f"machine id {show(machine_id)} must start with '{BROWSER_ID_PREFIX}': the "
                "machine was measured in a browser (hardware.browser), and only such a "
                "machine's id does",
            )
        if hardware.get("peak") is not None:
            out.at(
                ("machine", "hardware", "peak"),
                "a machine measured in a browser (hardware.browser) has no measured peak: "
                "expected null (a web page cannot measure it as `nnkb bench` does)",
            )
        for i, runtime in runtimes:
            if runtime not in WEB_RUNTIMES:
                out.at(
                    ("rows", i, "runtime"),
                    f"runtime {show(runtime)} in a file measured in a browser "
                    f"(hardware.browser); expected {web}: native rows go in the machine's "
                    "own file",
                )
        return
    if isinstance(machine_id, str) and machine_id.startswith(BROWSER_ID_PREFIX):
        out.at(
            ("machine", "id"),
            f"machine id {show(machine_id)} starts with '{BROWSER_ID_PREFIX}', but the machine "
            "has no browser part (hardware.browser); only a machine measured in a browser "
            "has such an id",
        )
    for i, runtime in runtimes:
        if runtime in WEB_RUNTIMES:
            out.at(
                ("rows", i, "runtime"),
                f"runtime {show(runtime)} runs in a browser, but the machine has no browser "
                "part (hardware.browser); browser results go in their own file, "
                f"results/{BROWSER_ID_PREFIX}<...>.json, as the site's benchmark page writes it",
            )


def _check_machine(out: _Collector, data: Json) -> None:
    machine = data.get("machine")
    machine_id = machine.get("id") if isinstance(machine, dict) else None
    if isinstance(machine_id, str) and machine_id != out.path.stem:
        out.at(
            ("machine", "id"),
            f"machine id {show(machine_id)} must equal the file name "
            f"'{out.path.stem}' (results/<machine-id>.json)",
        )


def _number(obj: Json, name: str) -> float | None:
    """A positive finite time, else None: the schema reports the others, once."""
    value = obj.get(name)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    return value if math.isfinite(value) and value > 0 else None


def _check_row(
    out: _Collector,
    i: int,
    row: Json,
    first_key: dict[str, int],
    first_identity: dict[str, int],
) -> None:
    assert out.loaded is not None
    key = row.get("key")
    if isinstance(key, str):
        if key in first_key:
            j = first_key[key]
            out.at(
                ("rows", i, "key"),
                f"duplicate row key '{key[:12]}...' (first used by rows[{j}] on line "
                f"{out.loaded.mark_for(('rows', j, 'key')).line}); each row key must be unique",
            )
        else:
            first_key[key] = i
    parts = (row.get("model"), row.get("runtime"), row.get("settings"))
    if isinstance(parts[0], str) and isinstance(parts[1], str) and isinstance(parts[2], dict):
        identity = canonical_json(parts)
        if identity in first_identity:
            j = first_identity[identity]
            out.at(
                ("rows", i, "model"),
                f"a second row of model '{parts[0]}', runtime '{parts[1]}' and the same settings "
                f"(first: rows[{j}] on line {out.loaded.mark_for(('rows', j)).line}); "
                "a file holds one row per model, runtime and settings",
            )
        else:
            first_identity[identity] = i
    status, latency = row.get("status"), row.get("latency")
    if status == "ok" and latency is None:
        out.at(
            ("rows", i, "latency"),
            "status is 'ok' but latency is missing; an ok row must carry latency statistics",
        )
    if status in _failed_statuses() and not row.get("reason"):
        out.at(
            ("rows", i, "reason"),
            f"status is '{status}' but reason is missing; a row that is not ok must say why",
        )
    throughput = isinstance(row.get("settings"), dict) and (
        scenario_of(row["settings"]) == THROUGHPUT
    )
    if throughput and status == "ok" and row.get("throughput") is None:
        out.at(
            ("rows", i, "throughput"),
            "settings say scenario 'throughput' and status is 'ok' but throughput is missing; "
            "an ok throughput row must carry its inferences per second",
        )
    if isinstance(latency, dict):
        if throughput:
            _check_throughput(out, i, row, latency)
        else:
            _check_latency(out, i, row, latency)


@cache
def _failed_statuses() -> frozenset[str]:
    statuses = _schemas().contents[SCHEMA_FILE]["$defs"]["row"]["properties"]["status"]["enum"]
    # An unknown status is the schema's problem; asking it for a reason too would be noise.
    return frozenset(statuses) - {"ok"}


def _check_order(out: _Collector, i: int, latency: Json) -> None:
    for low, high in (
        ("min", "p50"),
        ("p50", "p90"),
        ("p90", "p99"),
        ("ci95_low", "p50"),
        ("p50", "ci95_high"),
    ):
        a, b = _number(latency, low), _number(latency, high)
        if a is not None and b is not None and a > b:
            where = low if high == "p50" else high  # the value that is out of place
            out.at(
                ("rows", i, "latency", where),
                f"{low} ({a:g}) must be <= {high} ({b:g}); the statistics are inconsistent",
            )


def _check_latency(out: _Collector, i: int, row: Json, latency: Json) -> None:
    _check_order(out, i, latency)
    processes = row.get("processes")
    medians = [
        m for e in processes or [] if isinstance(e, dict) and (m := _number(e, "p50")) is not None
    ]
    p50 = _number(latency, "p50")
    if medians and p50 is not None and p50 != min(medians):
        out.at(
            ("rows", i, "latency", "p50"),
            f"p50 ({p50:g}) must equal the lowest p50 of the row's processes "
            f"({min(medians):g}); the latency is the faster process's",
        )


def _check_throughput(out: _Collector, i: int, row: Json, latency: Json) -> None:
    """A throughput row keeps the process that sustained the most inferences per second:
    its rate is the row's, and so is its per-request latency."""
    _check_order(out, i, latency)
    measured = [
        (rate, e)
        for e in row.get("processes") or []
        if isinstance(e, dict) and (rate := _number(e, "inferences_per_s")) is not None
    ]
    figures = row.get("throughput")
    if not measured or not isinstance(figures, dict):
        return
    rate, best = max(measured, key=lambda m: m[0])
    stored = _number(figures, "inferences_per_s")
    if stored is not None and stored != rate:
        out.at(
            ("rows", i, "throughput", "inferences_per_s"),
            f"inferences_per_s ({stored:g}) must equal the highest inferences_per_s of the "
            f"row's processes ({rate:g}); a throughput row keeps its faster process",
        )
    p50, best_p50 = _number(latency, "p50"), _number(best, "p50")
    if p50 is not None and best_p50 is not None and p50 != best_p50:
        out.at(
            ("rows", i, "latency", "p50"),
            f"p50 ({p50:g}) must equal the p50 of the process with the most inferences per "
            f"second ({best_p50:g}); a throughput row's latency is that process's",
        )
