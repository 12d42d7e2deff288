"""What every generated page shares: the site context, links between pages, citations.

A page is assembled from section functions (one per section, each returning Markdown or
None), so a later stage can add a section by appending a function to a list.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

import pandas as pd

from ...analysis import results_frame, settings_difference, settings_key, usual_settings
from ...analysis.frame import difference_parts, latency_rows
from ...analysis.site import SiteAnalysis
from ...bench.runtimes import Adapter, load_adapters, reference_adapter
from ...cited import CitedTable
from ...codec import Json, Settings
from ...kb import KB, Cited, Claim, Entry, Source
from ...results import Machine, ResultsFile
from .names import Names
from .tables import Md
from .text import escape_inline, escape_label, format_number, safe_url

COLLECTION_TITLES: dict[str, str] = {
    "use_cases": "Use cases",
    "models": "Models",
    "frameworks": "Frameworks and runtimes",
    "hardware": "Hardware",
}

KB_FOLDER_IN_REPO = "kb"

# Pages and files that are not KB entries; every generated page links to them by these paths.
METHODOLOGY_PATH = "methodology.md"
DOWNLOADS_PATH = "downloads.md"
RUNTIMES_PATH = "comparisons/runtimes.md"
MACHINES_INDEX = "machines/index.md"
RESULTS_CSV = "api/results.csv"


# Pages with wide measured tables give the content the left sidebar's width (material's
# `hide` front matter); the tabs above still lead everywhere.
WIDE_PAGE = "---\nhide:\n  - navigation\n---\n\n"
# Model pages' measured tables have a dozen columns: the table of contents goes too.
WIDEST_PAGE = "---\nhide:\n  - navigation\n  - toc\n---\n\n"


def variant_text(adapter: Adapter | None, settings: Settings, usual: Settings) -> str:
    """A settings variant as pages name it; '' when the settings are the runtime's usual ones.

    Whether a row is a variant is decided by the results (its settings against the usual ones);
    its name comes from the runtime's adapter (OpenVINO's "f32 hint"). Settings the adapter
    does not know (rows of an older adapter) are named by their difference, `key=value`.
    """
    difference = settings_difference(settings, usual)
    if not difference or adapter is None:
        return difference
    known = {key for variant in adapter.variants() for key in variant}
    if not set(settings) <= known:
        return difference
    return adapter.variant_label(settings) or difference


@dataclass(frozen=True)
class VariantParts:
    """A settings variant's declared parts: the settings beyond its precision (`key=value`),
    and whether the runtime chose the precision itself (OpenVINO's default)."""

    extras: tuple[str, ...] = ()
    runtime_chose: bool = False


NO_PARTS = VariantParts()


def variant_parts(
    adapter: Adapter | None, settings: Settings, usual: Settings, text: str
) -> VariantParts:
    """The parts of the variant `variant_text` named `text` ('' for usual settings: none)."""
    if not text:
        return NO_PARTS
    known = adapter is not None and set(settings) <= {k for v in adapter.variants() for k in v}
    if adapter is None or not known:
        return VariantParts(tuple(difference_parts(settings, usual)))
    chose = adapter.declared_precision(settings) is None and adapter.runtime_chooses is not None
    return VariantParts(tuple(adapter.variant_extras(settings)), chose)


def machine_path(machine_id: str) -> str:
    return f"machines/{machine_id}.md"


def machine_results_path(machine_id: str) -> str:
    """The machine's results file as published with the site, byte for byte."""
    return f"api/results/{machine_id}.json"


def entry_path(collection: str, entry_id: str) -> str:
    """Where the page of an entry lives in the site's docs (a virtual path)."""
    return f"{collection}/{entry_id}.md"


def index_path(collection: str) -> str:
    return f"{collection}/index.md"


@dataclass
class SiteContext:
    """Everything a page builder may read: the KB, the repository URL, the results files and
    the published figures of kb/cited/ (kept apart from the results: never in `frame`)."""

    kb: KB
    repo_url: str = ""
    results_files: list[ResultsFile] = field(default_factory=list)
    cited: list[CitedTable] = field(default_factory=list)
    # Machines measured in a web browser: their own pages only (render/pages/browser.py), never
    # in `frame`, so no ranking or recommendation reads them.
    browser_files: list[ResultsFile] = field(default_factory=list)

    @cached_property
    def all_frame(self) -> pd.DataFrame:
        """Every result row of every machine, both scenarios (analysis.results_frame): for
        the views that pair throughput rows with their latency twins, and the downloads."""
        return results_frame(self.results_files)

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The latency rows of every machine: what every latency table and chart shows, so
        that a throughput row never enters one."""
        return latency_rows(self.all_frame)

    @cached_property
    def analysis(self) -> SiteAnalysis:
        """The build's decisions (recommendations, pipelines), made once for every page."""
        return SiteAnalysis(
            self.kb, self.all_frame, self.results_files, reference=self.reference_runtime
        )

    @cached_property
    def reference_runtime(self) -> str:
        """The runtime speed-ups are measured against and outputs compared with: the adapter
        whose role is the FP32 reference; without one, the first runtime in the results."""
        reference = reference_adapter(self.adapters)
        if reference is not None:
            return reference.name
        runtimes = sorted(self.frame["runtime"].unique())
        return str(runtimes[0]) if runtimes else ""

    @cached_property
    def usual_settings(self) -> dict[str, Json]:
        """Each runtime's usual settings (analysis.usual_settings)."""
        return usual_settings(self.results_files)

    @cached_property
    def adapters(self) -> dict[str, Adapter]:
        """The benchmark adapters nnkb has (bench/runtimes/), by name: labels and prose."""
        return load_adapters()

    @cached_property
    def _variants(self) -> dict[tuple[str, str, str, str], tuple[str, VariantParts]]:
        found = {}
        for results in self.results_files:
            for row in results.rows:
                key = (results.machine.id, row.model, row.runtime, settings_key(row.settings))
                usual = self.usual_settings.get(row.runtime, {})
                adapter = self.adapters.get(row.runtime)
                text = variant_text(adapter, row.settings, usual)
                found[key] = (text, variant_parts(adapter, row.settings, usual, text))
        return found

    @cached_property
    def names(self) -> Names:
        """Models and runtimes by the names pages use (render/shared/names.py)."""
        return Names.of(self.kb, self.adapters)

    def variant(self, machine: str, model: str, runtime: str, settings_key: str) -> str:
        """How pages name a row's settings variant ('' for its runtime's usual settings)."""
        return self._variants.get((machine, model, runtime, settings_key), ("", NO_PARTS))[0]

    def variant_parts(
        self, machine: str, model: str, runtime: str, settings_key: str
    ) -> VariantParts:
        """The parts a row's variant label is made of (never read back from the label)."""
        return self._variants.get((machine, model, runtime, settings_key), ("", NO_PARTS))[1]

    @cached_property
    def machines(self) -> dict[str, Machine]:
        """The machine of each results file, by machine id, sorted by id."""
        return dict(sorted((r.machine.id, r.machine) for r in self.results_files))

    def edit_url(self, entry: Entry) -> str | None:
        """URL of the web editor for an entry's YAML file (the KB folder is kb/ in the repo)."""
        if not self.repo_url:
            return None
        base = self.repo_url.rstrip("/")
        return f"{base}/edit/main/{KB_FOLDER_IN_REPO}/{entry.collection}/{entry.path.name}"


class Page:
    """Markdown for one page: relative links from its path and numbered citations."""

    def __init__(self, site: SiteContext, path: str):
        self.site = site
        self.path = path
        self._notes: dict[tuple[str, str, str], int] = {}

    @property
    def kb(self) -> KB:
        return self.site.kb

    def href(self, target_path: str) -> str:
        """A link target relative to this page, as mkdocs validates it."""
        return posixpath.relpath(target_path, posixpath.dirname(self.path) or ".")

    def link_entry(self, entry: Entry, text: str | None = None) -> Md:
        label = escape_label(text if text is not None else entry.display_name)
        return Md(f"[{label}]({self.href(entry_path(entry.collection, entry.id))})")

    def link_id(self, collection: str, entry_id: str, published: bool = False) -> Md:
        """A link to an entry by id; the id as text when the KB has no such entry. With
        `published`, a model is named as others published it (its plain name): a cited
        figure is of trained weights, whatever nnkb measures of the model."""
        entry = self.kb.collection(collection).get(entry_id)
        if entry is None:
            return Md(escape_inline(entry_id))
        return self.link_entry(entry, entry.name if published else None)

    def cite(self, source: Source | None, note: str | None = None) -> Md:
        """A footnote reference to `source`, optionally with a note shown before the source.

        The same source (with the same note) gets the same number on a page. A note goes into
        the footnote so that a number in a table cell stays short.
        """
        if source is None:
            return Md("")
        key = (source.title, source.url, note or "")
        number = self._notes.setdefault(key, len(self._notes) + 1)
        return Md(f"[^{number}]")

    def footnotes(self) -> str:
        lines = []
        for (title, url, note), number in self._notes.items():
            label = escape_label(title)
            target = safe_url(url)
            text = f"[{label}]({target})" if target else label
            if note:
                note = escape_inline(note).rstrip()
                stop = "" if note.endswith((".", "!", "?")) else "."
                text = f"{note}{stop} Source: {text}"
            lines.append(f"[^{number}]: {text}")
        return "\n".join(lines)


E = TypeVar("E", bound=Entry)
# A section of an entry page: Markdown, or None to leave the section out.
Section = Callable[[Page, E], "str | None"]


def bullet_list(items: Sequence[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def cited_value(page: Page, cited: Cited | None, inline_note: bool = False) -> Md | None:
    """A published number with the footnote of its own source.

    Its note is shown after the number where there is room (`inline_note`, in a two-column
    facts table) and in the footnote otherwise, so table cells stay short.
    """
    if cited is None:
        return None
    text = format_number(cited.value, cited.unit)
    if cited.note and inline_note:
        return Md(f"{text} ({escape_inline(cited.note)}){page.cite(cited.source)}")
    return Md(text + page.cite(cited.source, cited.note))


def claim_item(page: Page, claim: Claim) -> str:
    return escape_inline(claim.text) + page.cite(claim.source)
