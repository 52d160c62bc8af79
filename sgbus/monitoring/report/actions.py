"""Officers' actions per party in a report period: urgings (督办) received, disputes (争议)
raised, transfers (转办) passed on and received. Pure: counted from obligation facts.

An action counts in the period it was taken in, whenever its item was opened: an item of
October urged in November is one of November's urgings. Each action counts once per party even
when it touched several of the party's obligations for one item (one per flow):

* urging — an urging event recorded on an obligation of the urged party (its debtor);
* dispute — a move of the disputing party's obligation to ``suspended`` (its clock stopped);
* transfer — an obligation opened by an ``ItemTransfer`` event: out for the party it was
  handed over from, in for its debtor. A dispute the oversight office rules to another
  department hands the item over too, but is the office's decision, not a 转办: not counted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sgbus.bus.obligations.model import State
from sgbus.monitoring.report.facts import ObligationFacts

TRANSFER_EVENT = "ItemTransfer"


@dataclass(frozen=True)
class ActionCounts:
    """A party's actions in the period (``party == "*"`` for all parties together)."""

    party: str
    urged: int = 0
    """Urgings (督办) the party received."""
    disputed: int = 0
    """Disputes of responsibility (争议) the party raised."""
    transferred_out: int = 0
    """Items the party passed on to another department (转办)."""
    transferred_in: int = 0
    """Items another department passed on to the party."""


def count_actions(
    facts: Iterable[ObligationFacts], lo: datetime, hi: datetime
) -> tuple[list[ActionCounts], ActionCounts]:
    """Per party (by id), and in total, the actions taken in ``[lo, hi)``."""
    seen: dict[str, set[tuple[str, ...]]] = defaultdict(set)

    def add(kind: str, party: str, *key: str) -> None:
        seen[kind].add((party, *key))

    for f in facts:
        for event_id, at in f.urgings:
            if lo <= at < hi:
                add("urged", f.debtor, event_id)
        for state, at in f.transitions:
            if state == State.SUSPENDED and lo <= at < hi:
                add("disputed", f.debtor, f.request_event_id, at.isoformat())
        source = f.handed_over_from
        if f.request_event_type == TRANSFER_EVENT and source and lo <= f.opened_at < hi:
            add("transferred_out", source, f.request_event_id)
            add("transferred_in", f.debtor, f.request_event_id)
    return _tally(seen)


def _tally(seen: dict[str, set[tuple[str, ...]]]) -> tuple[list[ActionCounts], ActionCounts]:
    per: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for kind, keys in seen.items():
        for party, *_ in keys:
            per[party][kind] += 1
    parties = [ActionCounts(p, **per[p]) for p in sorted(per)]
    total = ActionCounts("*", **{k: len(v) for k, v in seen.items()})
    return parties, total
