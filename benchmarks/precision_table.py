"""Each precision variant against ONNX Runtime FP32, from the committed results.

For each machine and model: the median of every other runtime and precision variant, its
speed-up over ONNX Runtime FP32 on the same machine, and how far its outputs moved (the
agreement metric that fits the output kind) or, for the text recogniser, the change in
character error rate and line accuracy in percentage points. Nothing is measured; the site's
methodology page shows the same table.

    .venv/bin/python benchmarks/precision_table.py [--kb kb]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nnkb.analysis import results_frame
from nnkb.analysis.precision import precision_changes
from nnkb.render.sections.precision_table import agreement_change
from nnkb.render.shared.numbers import format_latency, format_ratio
from nnkb.results import load_all

ROOT = Path(__file__).resolve().parents[1]


def table_lines(kb: Path) -> list[str]:
    frame = results_frame(load_all(kb))
    changes = precision_changes(frame)
    lines = []
    for machine, rows in changes.groupby("machine", sort=True):
        lines.append(f"== {rows['machine_label'].iloc[0]} ({machine})")
        lines.append(f"{'model':<29} {'variant':<34} {'median':>9} {'speed-up':>8}  change")
        for row in rows.itertuples():
            variant = f"{row.runtime} · {(row.precision or '?').upper()}"
            if isinstance(row.quantizer, str) and row.quantizer:  # NaN where no quantiser ran
                variant += f" ({row.quantizer})"
            lines.append(
                f"{row.model:<29} {variant:<34} {format_latency(row.p50):>9} "
                f"{format_ratio(row.speedup):>8}  {agreement_change(row)}"
            )
        lines.append("")
    return lines or ["no results"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=Path, default=ROOT / "kb")
    args = parser.parse_args(argv)
    print("\n".join(table_lines(args.kb)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
