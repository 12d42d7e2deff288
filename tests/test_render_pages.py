"""Generated pages from the fixture KB (tests/fixtures/site_kb): golden files and cross-links.

The golden files in tests/golden/render/ are compared exactly; after an intended change to the
output, rerun with --update-golden (or NNKB_UPDATE_GOLDEN=1) and review their diff.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from nnkb.render.build import site as site_module
from nnkb.render.build.site import build_context, expand_nav, render_files, render_pages
from nnkb.render.pages import entries

FIXTURE_KB = Path(__file__).parent / "fixtures" / "site_kb"
REPO = "https://github.com/nnkb/nnkb"


@pytest.fixture(scope="module", autouse=True)
def empty_model_cache(tmp_path_factory):
    """Model pages read opset and operators from the local model cache: keep it empty here."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NNKB_CACHE", str(tmp_path_factory.mktemp("empty-cache")))
        yield


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return render_pages(build_context(FIXTURE_KB, repo_url=REPO))


@pytest.fixture(scope="module")
def files() -> dict[str, str | bytes]:
    return render_files(build_context(FIXTURE_KB, repo_url=REPO))


@pytest.mark.parametrize(
    ("page", "golden_name"),
    [
        ("models/resnet-18.md", "models-resnet-18.md"),
        ("models/index.md", "models-index.md"),
        ("frameworks/index.md", "frameworks-index.md"),
        ("frameworks/install.md", "frameworks-install.md"),
        ("hardware/nvidia-jetson.md", "hardware-nvidia-jetson.md"),
        ("use_cases/facial-recognition.md", "use-case-facial-recognition.md"),
    ],
)
def test_page_matches_golden(pages, page, golden_name, golden):
    golden(f"render/{golden_name}", pages[page])


def test_every_entry_and_collection_has_a_page(pages):
    expected = {
        "use_cases/index.md",
        "models/index.md",
        "frameworks/index.md",
        "hardware/index.md",
        "frameworks/install.md",
        "comparisons/runtimes.md",
        "methodology.md",
        "downloads.md",
        "machines/index.md",
        "machines/fixture-machine.md",
    }
    for folder in ("use_cases", "models", "frameworks", "hardware"):
        expected |= {f"{folder}/{p.stem}.md" for p in (FIXTURE_KB / folder).glob("*.yaml")}
    assert set(pages) == expected


def links(markdown: str) -> list[str]:
    return re.findall(r"\]\(([^)\s]+)\)", markdown)


def test_internal_links_point_at_generated_pages(pages, files):
    checked = 0
    for path, text in pages.items():
        for target in links(text):
            if target.startswith(("http://", "https://")):
                continue
            target = target.split("#", 1)[0]
            if not target:  # an anchor on the same page; mkdocs --strict checks anchors
                continue
            resolved = os.path.normpath(os.path.join(os.path.dirname(path), target))
            assert resolved in pages or resolved in files, f"{path} links to {target}: no such page"
            checked += 1
    assert checked > 100


def test_cross_links_both_ways(pages):
    # model <-> use case
    assert "](../use_cases/image-classification.md)" in pages["models/resnet-18.md"]
    candidates = pages["use_cases/image-classification.md"].split("## Candidate models")[1]
    assert "](../models/resnet-18.md)" in candidates
    # best first: ResNet-18 (69.758 %) above SqueezeNet 1.1 (58.178 %) above Hostile (50 %)
    assert (
        candidates.index("resnet-18.md")
        < candidates.index("squeezenet-1-1.md")
        < candidates.index("hostile-net.md")
    )
    # framework <-> hardware
    assert "](../hardware/nvidia-jetson.md)" in pages["frameworks/onnx-runtime.md"]
    targets = pages["hardware/nvidia-jetson.md"].split("## Frameworks and runtimes")[1]
    assert "](../frameworks/onnx-runtime.md)" in targets
    assert "openvino.md" not in targets
    # successor and predecessor
    assert "| Succeeded by | [PyTorch](pytorch.md) |" in pages["frameworks/caffe2.md"]
    assert "| Succeeds | [Caffe2](caffe2.md) |" in pages["frameworks/pytorch.md"]
    # hardware notes of a use case appear on the hardware page
    assert "](../use_cases/image-classification.md)" in pages["hardware/nvidia-jetson.md"]


def test_every_cited_number_links_its_own_source(pages):
    page = pages["models/resnet-18.md"]
    # A note (e.g. "at 224x224") goes before its source, inside the footnote.
    notes = dict(
        re.findall(r"^\[\^(\d+)\]: (?:.*Source: )?\[[^\]]*\]\((\S+)\)$", page, re.MULTILINE)
    )
    assert notes["1"].endswith("vision/blob/main/LICENSE")
    assert notes["2"].endswith("torchvision.models.resnet18.html")
    assert "| Licence | BSD-3-Clause[^1] |" in page
    assert "| Parameters | — | 11.7 M[^2] |" in page  # counted by nnkb: no counts in the rows
    assert "| top-1 | ImageNet-1k | 69.758 %[^2] | — |" in page
    assert "| Multiply-accumulates per inference | — | 1.81 G[^3] |" in page
    assert "[^3]: at 224x224. Source: [torchvision ResNet-18 weights](" in page
    refs = set(re.findall(r"\[\^(\d+)\](?!:)", page))
    assert refs == set(notes), "every footnote is referenced and every reference has a note"


def test_entry_pages_link_to_their_yaml_file(pages):
    assert (
        f"[Edit this entry]({REPO}/edit/main/kb/hardware/x86-cpu.yaml)"
        in pages["hardware/x86-cpu.md"]
    )


def test_frameworks_index_splits_kinds_and_shows_matrices(pages):
    page = pages["frameworks/index.md"]
    training, rest = page.split("## Inference runtimes")
    assert "pytorch.md" in training and "onnx-runtime.md" not in training
    runtimes = rest.split("## Platforms")[0]
    assert "onnx-runtime.md" in runtimes and "pytorch.md" not in runtimes
    assert "| Framework | Windows | macOS | Linux | Android | iOS | Web |" in page


def test_install_page_has_one_tab_per_desktop_system(pages):
    page = pages["frameworks/install.md"]
    section = page.split("## ONNX Runtime")[1].split("## ")[0]
    assert [line for line in section.splitlines() if line.startswith("===")] == [
        '=== "Windows"',
        '=== "macOS"',
        '=== "Linux"',
    ]
    assert "    pip install onnxruntime" in section
    openvino = page.split("## OpenVINO")[1]
    assert "No command is listed for Windows" in openvino


def test_measured_section_without_results(tmp_path):
    kb = tmp_path / "kb"
    shutil.copytree(FIXTURE_KB, kb)
    shutil.rmtree(kb / "results")
    page = render_pages(build_context(kb))["models/resnet-18.md"]
    assert "## Measured" in page and "Not measured yet" in page


def test_measured_section_lists_rows_with_runtime_links(pages):
    measured = pages["models/resnet-18.md"].split("## Measured")[1].split("\n## ")[0]
    assert "### Fixture, AVX2, 2 cores, 8 GiB" in measured
    assert (
        'Measured on [Fixture, AVX2](../machines/fixture-machine.md "Fixture, AVX2, 2 cores, 8 GiB")'
        in measured
    )
    assert "at 2025-01-01 00:00 UTC" in measured and "](../methodology.md)" in measured
    # Every row used its runtime's usual settings: no settings column, a link instead.
    assert "| Settings |" not in measured
    assert "[usual settings](../methodology.md#runtime-settings)" in measured
    assert (
        "| [ONNX Runtime](../frameworks/onnx-runtime.md) 1.32.0 "
        "| 12.3 ms | 13.6 ms | 12.2–12.5 ms | 81/s |" in measured
    )
    # A failed row: its status in the table, the runtime's message (escaped) in the list below.
    assert "| **failed** |" in measured
    assert (
        "- [OpenVINO](../frameworks/openvino.md) 2026.4.1: **failed**: "
        "Unsupported operator &lt;Foo&gt; | bar" in measured
    )


def test_a_section_added_to_the_list_appears_on_the_page(monkeypatch):
    def extra(page, model):
        return f"## Extra\n\nfor {model.id}"

    monkeypatch.setattr(entries, "MODEL_SECTIONS", [*entries.MODEL_SECTIONS, extra])
    monkeypatch.setitem(entries.SECTIONS, "models", entries.MODEL_SECTIONS)
    context = build_context(FIXTURE_KB)
    assert "## Extra\n\nfor resnet-18" in site_module.render_entry(context, "models", "resnet-18")
    # Every page once more, without the results (whose pages take most of a second to build).
    context = replace(context, results_files=[])
    assert "## Extra\n\nfor squeezenet-1-1" in render_pages(context)["models/squeezenet-1-1.md"]


def test_nav_sections_are_filled_with_entries_by_name():
    kb = build_context(FIXTURE_KB).kb
    nav = expand_nav(
        [
            {"Home": "index.md"},
            {"Models": "models/index.md"},
            {"More": [{"Frameworks": "frameworks/index.md"}]},
        ],
        kb,
    )
    assert nav[0] == {"Home": "index.md"}
    assert nav[1] == {
        "Models": [
            "models/index.md",
            "models/hostile-net.md",
            "models/mobilefacenet.md",
            "models/resnet-18.md",
            "models/squeezenet-1-1.md",
        ]
    }
    assert nav[2]["More"][0]["Frameworks"][:3] == [
        "frameworks/index.md",
        "frameworks/install.md",
        "frameworks/caffe2.md",
    ]


def test_fixture_kb_is_valid():
    from nnkb.validate import check_kb

    report = check_kb(FIXTURE_KB)
    assert report.problems == [] and report.entries == 12 and report.results_files == 1
