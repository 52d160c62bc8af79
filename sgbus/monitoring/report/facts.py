"""What the report needs of one stored obligation: the rows the pure report is computed from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ObligationFacts:
    """One obligation of the watchdog's store, as the report reads it."""

    flow: str
    debtor: str
    opened_at: datetime
    due_at: datetime
    state: str
    answered_at: datetime | None
    request_event_id: str = ""
    request_event_type: str = ""
    handed_over_from: str | None = None
    """For an item handed over (转办, a ruling): the debtor it came from."""
    transitions: tuple[tuple[str, datetime], ...] = ()
    """States the obligation went through, with when (a dispute is a move to ``suspended``)."""
    urgings: tuple[tuple[str, datetime], ...] = ()
    """Urgings (督办) recorded on it: event id and time."""
