"""The metrics reference: every metric ``sgbus.monitoring.metrics`` defines."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from sgbus.docsgen.markdown import code, page, prose, table

# What a scrape shows for each kind (prometheus_client strips these from the family name).
_SUFFIXES = {"counter": "_total", "info": "_info"}


@dataclass(frozen=True)
class MetricDoc:
    """One metric as a scrape shows it."""

    name: str
    kind: str
    labels: tuple[str, ...]
    help: str


def _is_collector(value: Any) -> bool:
    return not isinstance(value, type) and callable(getattr(value, "describe", None))


def metric_docs(module: ModuleType | None = None) -> list[MetricDoc]:
    """The module's metrics, in the order it defines them."""
    if module is None:
        from sgbus.monitoring import metrics as module
    out = []
    for name, value in vars(module).items():
        if not (name.isupper() and _is_collector(value)):
            continue
        labels = tuple(getattr(value, "_labelnames", ()))
        for family in value.describe():
            labels = labels or tuple(getattr(family, "_labelnames", ()))
            shown = family.name + _SUFFIXES.get(family.type, "")
            out.append(MetricDoc(shown, family.type, labels, family.documentation))
    return out


def _who_updates(module: ModuleType) -> str:
    doc = module.__doc__ or ""
    start = doc.find("Who updates what, and when")
    return doc[start:].split("\n", 2)[2].strip() if start >= 0 else ""


INTRO = """
Every service serves these on `/metrics` when `SGBUS_METRICS_PORT` is set (see
[Settings](settings.md)). Labels are bounded — `service`, `party`, `flow`, `event_type`,
`reason`, `group`, `topic`, `partition`, `city` — and any other value becomes `other`, so no
case key or person can reach Prometheus. Histograms also give `_bucket`, `_sum` and `_count`.

`city` is the entry of the policy map an event's region resolved to — its region code
(`371000` for 威海 and its counties), `default`, or `other` for a region the map does not
cover — on a bus under a policy map (`SGBUS_POLICY=shandong`); it is empty (absent, to
Prometheus) on a bus with one policy. Sum over it for the province.
"""


def metrics_page() -> str:
    """The whole metrics reference page."""
    from sgbus.monitoring import metrics as module

    rows = [
        [code(m.name), m.kind, ", ".join(m.labels) or "—", prose(m.help)]
        for m in metric_docs(module)
    ]
    sections = [
        "## Metrics\n\n" + table(["metric", "type", "labels", "what"], rows),
        "## Who updates what, and when\n\nFrom the module's own documentation:\n\n```text\n"
        + _who_updates(module)
        + "\n```\n",
    ]
    return page("Metrics", INTRO, sections)
