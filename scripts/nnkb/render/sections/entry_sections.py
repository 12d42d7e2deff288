"""What every entry page has: the title and summary, the description, the sources and the
edit link, and small helpers the entry pages share (a two-column facts table).
"""

from __future__ import annotations

from collections.abc import Sequence

from ...kb import Entry
from ..shared.page import (
    COLLECTION_TITLES,
    Page,
    bullet_list,
    index_path,
)
from ..shared.tables import Column, Md, Table
from ..shared.text import escape_inline, escape_text, link

# --- small typed views of fields kb.py keeps as raw data -----------------------------------


def facts_table(rows: Sequence[tuple[str, str | Md | None]]) -> str:
    """A two-column table of an entry's facts; rows without a value are left out."""
    records = [{"fact": name, "value": value} for name, value in rows if value not in (None, "")]
    table = Table.from_records(records, [Column("fact", "Fact"), Column("value", "Value")])
    return table.to_markdown()


# --- sections every entry page has ------------------------------------------------------


def title_section(page: Page, entry: Entry) -> str:
    return f"# {escape_inline(entry.name)}\n\n{escape_text(entry.summary)}"


def description_section(page: Page, entry: Entry) -> str:
    return f"## Description\n\n{escape_text(entry.description)}"


def sources_section(page: Page, entry: Entry) -> str | None:
    if not entry.sources:
        return None
    items = [link(s.title, s.url) for s in entry.sources]
    return "## Sources\n\n" + bullet_list(items)


def edit_section(page: Page, entry: Entry) -> str:
    folder = COLLECTION_TITLES[entry.collection].lower()
    back = f"[All {escape_inline(folder)}]({page.href(index_path(entry.collection))})"
    url = page.site.edit_url(entry)
    if not url:
        return back
    return f"---\n\n{back} · [Edit this entry]({url}) (`kb/{entry.collection}/{entry.path.name}`)"
