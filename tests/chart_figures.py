"""What a chart fragment of render/shared/charts.py holds: the figure charts.js hands Plotly.newPlot
(shared by tests/conftest.py and tests/test_charts.py)."""

from __future__ import annotations

import json
import re
from typing import Any

_FIGURE = re.compile(
    r'<div id="([^"]+)" class="plotly-graph-div"[^>]*></div>'
    r'<script type="application/json" data-nnkb-chart="\1">(.*?)</script>',
    re.DOTALL,
)


def chart_arguments(fragment: str) -> list[Any]:
    """What a chart fragment hands Plotly.newPlot when it is drawn: id, data, layout, config."""
    found = _FIGURE.search(fragment)
    assert found, "no chart figure in the fragment"
    figure = json.loads(found.group(2))
    return [found.group(1), figure["data"], figure["layout"], figure["config"]]
