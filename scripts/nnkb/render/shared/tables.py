"""Tables on generated pages: a pandas DataFrame plus column specs, rendered by one function.

A cell holds either plain text from the KB (escaped when rendered) or `Md`, Markdown that
nnkb wrote itself (links, citations). Keeping that distinction in the type means there is
exactly one place, `to_markdown`, where cells are escaped.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .text import escape_cell, escape_inline, format_number

EMPTY_CELL = "—"
# A table whose rows are named facts (a specification, a cited figure, a harness setting, a
# counted quantity) is read row by row: sorting it would scramble it. Its first column's title
# says which kind it is; docs/javascripts/tablesort-init.js leaves tables in this class alone.
KEY_VALUE_TITLES = frozenset({"Fact", "Figure", "Setting", "Quantity"})
KEY_VALUE_CLASS = "nnkb-key-value"


#: One row of a table: column id -> cell (a number, a string, Md, None).
Cells = dict[str, object]


class Md(str):
    """Markdown written by nnkb (already escaped where it embeds KB text)."""


@dataclass(frozen=True)
class Column:
    """One displayed column: `key` names the DataFrame column; `cell` turns a row into a cell."""

    key: str
    title: str
    align: str = "left"  # left | right | center
    cell: Callable[[pd.Series], Any] | None = None


def _cell_markdown(value: Any) -> str:
    if isinstance(value, Md):
        return str(value)
    if isinstance(value, list | tuple):
        return ", ".join(_cell_markdown(v) for v in value) or EMPTY_CELL
    if value is None or pd.isna(value):
        return EMPTY_CELL
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "yes" if value else "no"
    if isinstance(value, numbers.Number):
        return format_number(value)  # type: ignore[arg-type]
    return escape_inline(str(value)) or EMPTY_CELL


def _sort_key(values: pd.Series) -> pd.Series:
    # Names sort as a reader expects ("mobilenet" next to "MobileNet").
    if values.map(lambda v: isinstance(v, str)).all():
        return values.str.casefold()
    return values


_ALIGN = {"left": ":---", "right": "---:", "center": ":---:"}


@dataclass
class Table:
    """Rows in a DataFrame; `filter` and `sort` return new tables, `to_markdown` renders."""

    frame: pd.DataFrame
    columns: list[Column] = field(default_factory=list)

    @classmethod
    def from_records(
        cls, records: Iterable[Mapping[str, object]], columns: Sequence[Column]
    ) -> Table:
        frame = pd.DataFrame.from_records(list(records))
        for column in columns:
            if column.key not in frame.columns:
                frame[column.key] = None
        return cls(frame, list(columns))

    def __len__(self) -> int:
        return len(self.frame)

    def filter(self, predicate: Callable[[pd.Series], bool]) -> Table:
        if self.frame.empty:
            return self
        mask = self.frame.apply(predicate, axis=1).astype(bool)
        return Table(self.frame[mask].reset_index(drop=True), self.columns)

    def sort(self, by: str | list[str], ascending: bool | list[bool] = True) -> Table:
        if self.frame.empty:
            return self
        frame = self.frame.sort_values(
            by, ascending=ascending, kind="stable", na_position="last", key=_sort_key
        )
        return Table(frame.reset_index(drop=True), self.columns)

    def with_columns(self, columns: Sequence[Column]) -> Table:
        return Table(self.frame, list(columns))

    def to_markdown(self, empty: str = "Nothing to show yet.") -> str:
        return to_markdown(self, empty)


def to_markdown(table: Table, empty: str = "Nothing to show yet.") -> str:
    """The one function that renders a table: header, alignment row, escaped cells."""
    if table.frame.empty:
        return f"*{escape_inline(empty)}*"
    header = "| " + " | ".join(escape_cell(escape_inline(c.title)) for c in table.columns) + " |"
    align = "| " + " | ".join(_ALIGN[c.align] for c in table.columns) + " |"
    lines = [header, align]
    for _, row in table.frame.iterrows():
        cells = []
        for column in table.columns:
            value = column.cell(row) if column.cell else row[column.key]
            cells.append(escape_cell(_cell_markdown(value)))
        lines.append("| " + " | ".join(cells) + " |")
    markdown = "\n".join(lines)
    if table.columns and table.columns[0].title in KEY_VALUE_TITLES:
        # md_in_html: the class sits on a wrapper, as Markdown tables take no attributes.
        return f'<div class="{KEY_VALUE_CLASS}" markdown>\n\n{markdown}\n\n</div>'
    return markdown
