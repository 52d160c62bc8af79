"""Finding an event on sg.audit by case key (for ``sgbus assign``)."""

from __future__ import annotations

from collections.abc import Callable

from sgbus.bus import headers as h
from sgbus.bus.events import Event
from sgbus.bus.parties import AUDIT_TOPIC
from sgbus.bus.reading import read_to_end
from sgbus.bus.serde import Serde
from sgbus.bus.settings import Settings


def find_unassigned(
    settings: Settings,
    serde: Serde,
    case_key: str,
    progress: Callable[[int], None] = lambda _n: None,
) -> tuple[Event, bytes] | None:
    """The newest approval result of ``case_key`` that went to the unassigned pool, with its
    original bytes; None if there is none. Reads sg.audit from the start to its end."""
    key, found = case_key.encode(), None
    for n, r in enumerate(read_to_end(settings, [AUDIT_TOPIC], timeout_s=600), start=1):
        if r.key == key and r.headers.get(h.UNASSIGNED) == "1" and r.value is not None:
            found = (serde.decode(r.value, r.topic, r.partition, r.offset), r.value)
        if n % 1000 == 0:
            progress(n)
    return found
