"""Shared pytest setup: the --update-golden flag, the golden-file check, copies of the fixture
KBs, a quiet bench environment, the mkdocs config of a fixture site and the rendering of some
pages of a site. One copy of each. The slow lane is named here too (SLOW_MODULES).

Golden files (tests/golden/) are rewritten from the current output when pytest runs with
--update-golden or with NNKB_UPDATE_GOLDEN=1 in the environment; the flag sets the variable.
Tests compare through the `golden` fixture: `golden("render/models-index.md", text)`.

A page's plotly charts are stored beside its golden file, as `<name>.charts.json` with the
figure's data, layout and config indented and with sorted keys, and the page keeps a marker
where each chart was: a plotly upgrade that changes a figure then gives a readable diff.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chart_figures import chart_arguments

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
GOLDEN = Path(__file__).parent / "golden"
_CHART = re.compile(
    r'<div class="nnkb-chart" style="height:\d+px; width:100%;">.*?</script>\s*</div>', re.DOTALL
)


# Whole modules in the slow lane (`make test-fast` leaves them out): they run real runtimes in
# worker processes, whole benches, strict site builds, or every builtin model.
SLOW_MODULES = {
    "test_bench_run.py",
    "test_throughput_worker.py",
    "test_site_build.py",
    "test_browser.py",
    "test_accuracy_ocr.py",
    "test_models_published.py",
    "test_render_properties.py",
    "test_check_results.py",
    "test_fourth_adapter.py",
    "test_make_pages.py",
    "test_concurrent_benches.py",
    "test_command_line_values.py",
    "test_write_failures.py",
    "test_same_model_file.py",
    "test_interrupted_bench.py",
    "test_fault_model_files.py",
    "test_fault_worker_memory.py",
    "test_foreign_results_file.py",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """`-m "not slow"` (make test-fast) does not import the slow modules at all: importing
    them (hypothesis, playwright...) only to deselect every test costs about a second."""
    if config.getoption("markexpr") == "not slow" and collection_path.name in SLOW_MODULES:
        return True
    return None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the golden files in tests/golden/ from the current output",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--update-golden"):
        os.environ["NNKB_UPDATE_GOLDEN"] = "1"


def split_charts(text: str) -> tuple[str, dict[str, Any]]:
    """The page with a marker for each chart, and the charts by div id."""
    charts: dict[str, Any] = {}

    def marker(match: re.Match[str]) -> str:
        div_id, data, layout, config = chart_arguments(match.group(0))
        charts[div_id] = {"data": data, "layout": layout, "config": config}
        return f"<!-- chart {div_id}: see the .charts.json golden file -->"

    return _CHART.sub(marker, text), charts


def _compare(path: Path, text: str) -> None:
    if os.environ.get("NNKB_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing; run pytest with --update-golden"
    expected = path.read_text(encoding="utf-8")
    diff = "".join(
        difflib.unified_diff(expected.splitlines(True), text.splitlines(True), str(path), "new")
    )
    assert text == expected, f"{path.name} differs from its golden file:\n{diff}"


def check_golden(name: str, text: str) -> None:
    """Compare `text` with tests/golden/<name> (its charts with <name>.charts.json)."""
    page, charts = split_charts(text)
    charts_path = GOLDEN / f"{name}.charts.json"
    if charts:
        _compare(charts_path, json.dumps(charts, indent=1, sort_keys=True) + "\n")
    else:
        assert not charts_path.exists() or os.environ.get("NNKB_UPDATE_GOLDEN") == "1", (
            f"{charts_path} is left over: the page has no chart any more"
        )
        charts_path.unlink(missing_ok=True)
    _compare(GOLDEN / name, page)


@pytest.fixture
def golden() -> Callable[[str, str], None]:
    """The golden-file check, `golden("render/models-index.md", text)`."""
    return check_golden


def copy_kb(dest: Path, base: str | Path = "valid_kb", *overlays: str | Path) -> Path:
    """A copy of a fixture KB at `dest` (a name under tests/fixtures, or a path), with each
    overlay's files laid over it (e.g. an invalid case's `kb/` folder). Returns `dest`."""
    shutil.copytree(FIXTURES / base, dest)
    for overlay in overlays:
        shutil.copytree(FIXTURES / overlay, dest, dirs_exist_ok=True)
    return dest


@pytest.fixture
def quiet_bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`nnkb bench` made quick and hermetic: the test adapters registered, the model cache in
    tmp_path, short warm-up and profile, and a fixed FP32 peak instead of measuring one."""
    from nnkb.bench import runner
    from nnkb.bench.settings import HARNESS

    monkeypatch.setenv("NNKB_EXTRA_ADAPTERS", str(FIXTURES / "bench" / "bench_adapters.py"))
    monkeypatch.setenv("NNKB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(HARNESS, "warmup_seconds", 0.05)
    monkeypatch.setitem(HARNESS, "profile_seconds", 0.05)
    monkeypatch.setattr(runner, "measure_peak", lambda: PEAK)
    return tmp_path


def _peak() -> Any:
    from nnkb import results

    return results.Peak(1e11, "test", "2025-01-01T00:00:00Z")


PEAK = _peak()


def fixture_site_config(work: Path, root: Path = ROOT, sections: tuple[str, ...] = ()) -> Path:
    """A mkdocs.yml in `work` that inherits `root`'s, with a one-page docs folder (the real
    concept pages link to entries a fixture KB does not have). `sections` are the collections
    in the nav besides models and frameworks (e.g. "use_cases", "hardware")."""
    docs = work / "docs"
    docs.mkdir()
    collections = ("use_cases", "models", "frameworks", "hardware")
    shown = [c for c in collections if c in {"models", "frameworks", *sections}]
    titles = {"use_cases": "Use cases", "models": "Models", "frameworks": "Frameworks",
              "hardware": "Hardware"}  # fmt: skip
    links = " · ".join(f"[{titles[c]}]({c}/index.md)" for c in shown)
    (docs / "index.md").write_text(f"# Fixture site\n\n{links}\n")
    shutil.copytree(root / "docs" / "stylesheets", docs / "stylesheets")
    shutil.copytree(root / "docs" / "javascripts", docs / "javascripts")
    nav = "".join(f"  - {titles[c]}: {c}/index.md\n" for c in shown)
    config = work / "mkdocs.yml"
    config.write_text(
        f"INHERIT: {root / 'mkdocs.yml'}\n"
        f"docs_dir: {docs}\n"
        f"hooks: [{root / 'scripts/nnkb/render/build/hook.py'}]\n"
        f"theme: {{name: material, custom_dir: {root / 'docs/overrides'}}}\n"
        "nav:\n  - Home: index.md\n" + nav + "  - Measurements:\n"
        "      - comparisons/runtimes.md\n      - Machines: machines/index.md\n"
        "      - methodology.md\n      - downloads.md\n"
    )
    return config


# Fixtures rather than imports: tests/faults has a conftest of its own, so `from conftest import`
# would find whichever was imported first.
@pytest.fixture(scope="session")
def kb_copy() -> Callable[..., Path]:
    """`kb_copy(dest, base="valid_kb", *overlays)`: see copy_kb."""
    return copy_kb


@pytest.fixture(scope="session")
def site_config() -> Callable[..., Path]:
    """`site_config(work, root=ROOT, sections=())`: see fixture_site_config."""
    return fixture_site_config


def render_some(site: Any, *paths: str) -> dict[str, str]:
    """The pages at `paths` of a site context, each built as render_pages builds it: a test
    that reads two pages of an edited KB need not render all of them (seconds on a KB with
    results). tests/test_render_measured.py checks that the pages are the same."""
    from nnkb.kb import COLLECTIONS
    from nnkb.render.build import site as site_module

    pages: dict[str, str] = {}
    for path in paths:
        collection, _, name = path.partition("/")
        if path in site_module.PAGE_BUILDERS:
            pages[path] = site_module.PAGE_BUILDERS[path](site)
        elif collection in COLLECTIONS and name.endswith(".md"):
            pages[path] = site_module.render_entry(site, collection, name.removesuffix(".md"))
        else:
            for build_set in site_module.PAGE_SETS:
                pages.update({p: text for p, text in build_set(site).items() if p == path})
        assert path in pages, f"{path} is not a page of the site"
    return pages


@pytest.fixture(scope="session")
def render_only() -> Callable[..., dict[str, str]]:
    """`render_only(site, *paths)`: see render_some."""
    return render_some
