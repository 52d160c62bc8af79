"""Reading a connector's ``/metrics`` the way Prometheus does."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample as (name, sorted labels) → value; raises while nothing answers."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float | None:
    """The sample ``name`` with exactly ``labels``, or None when the series does not exist."""
    return samples.get((name, tuple(sorted(labels.items()))))


def answers(port: int) -> bool:
    """Whether ``/metrics`` answers yet."""
    try:
        scrape(port)
    except httpx.HTTPError:
        return False
    return True
