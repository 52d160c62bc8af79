"""Finding an unassigned approval result by case key (for ``sgbus assign``)."""

from __future__ import annotations

from collections.abc import Callable

from sgbus.bus import headers as h
from sgbus.bus.events import Event
from sgbus.bus.parties import inbox_topic
from sgbus.bus.reading import read_to_end
from sgbus.bus.serde import Serde
from sgbus.bus.settings import Settings


def find_unassigned(
    settings: Settings,
    serde: Serde,
    case_key: str,
    pool: str,
    progress: Callable[[int], None] = lambda _n: None,
) -> tuple[Event, bytes] | None:
    """The newest approval result of ``case_key`` that went to the unassigned pool, with its
    original bytes; None if there is none. Reads the pool party's inbox (the only topic the
    oversight office may read) from the start to its end; the router marks pool copies."""
    key, found = case_key.encode(), None
    topic = inbox_topic(pool)
    for n, r in enumerate(read_to_end(settings, [topic], timeout_s=600), start=1):
        if r.key == key and r.headers.get(h.UNASSIGNED) == "1" and r.value is not None:
            found = (serde.decode(r.value, r.topic, r.partition, r.offset), r.value)
        if n % 1000 == 0:
            progress(n)
    return found
