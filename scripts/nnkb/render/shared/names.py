"""How prose names what the results name by id: a model by its KB name, a runtime by its
adapter's display name (else its framework entry's name). Sentences built away from a page
(render/sections/reasoning.py, precision_words.py) take a Names, so no id reaches a reader."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ...analysis.ranking import adapters_of
from ...bench.runtimes import Adapter
from ...kb import KB


@dataclass(frozen=True)
class Names:
    models: Mapping[str, str] = field(default_factory=dict)
    runtimes: Mapping[str, str] = field(default_factory=dict)

    def model(self, model_id: str | None) -> str:
        return self.models.get(model_id or "", model_id or "")

    def runtime(self, adapter: str | None) -> str:
        return self.runtimes.get(adapter or "", adapter or "")

    @classmethod
    def of(cls, kb: KB, adapters: Mapping[str, Adapter]) -> Names:
        runtimes: dict[str, str] = {}
        for framework in kb.frameworks.values():
            for adapter_name in adapters_of(framework):
                runtimes.setdefault(adapter_name, framework.name)
        for name, adapter in adapters.items():
            if adapter.display_name:
                runtimes[name] = adapter.display_name
        return cls({m.id: m.display_name for m in kb.models.values()}, runtimes)


def status_words(status: str) -> str:
    """A row or candidate status as a reader says it: 'not benchmarked', 'timed out'; statuses
    joined by '/' (a candidate's rows) each in words."""
    return " / ".join(STATUS_WORDS.get(s, s.replace("-", " ")) for s in str(status).split("/"))


STATUS_WORDS = {
    "timeout": "timed out",
    "mismatch": "outputs differ",
    "not-benchmarked": "not benchmarked",
    "not-measured": "not measured",
    "not-applicable": "not applicable",
}
