"""A liaison officer's claim (人工认领) of one case's pending items, from the command line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from sgbus.bus.claims import build_claim
from sgbus.bus.events import ClaimMode
from sgbus.bus.parties import check_party_id, outbox_topic
from sgbus.bus.serde import Serde
from sgbus.bus.store.outbox import enqueue
from sgbus.consumers.department.intake import claim_message
from sgbus.consumers.department.store import find_items, item_value, mark_claimed


class NothingToClaim(ValueError):
    """The case has no pending claimable item in the party's store."""


@dataclass(frozen=True)
class ManualClaim:
    """One item claimed by hand: which item, which claim event."""

    item_event_id: str
    item_event_type: str
    claim_event_id: str


def claim_case(
    engine: Engine,
    serde: Serde,
    party: str,
    case_key: str,
    *,
    officer: str | None = None,
    at: datetime | None = None,
) -> list[ManualClaim]:
    """Claim every pending item of ``case_key`` in one transaction; the claims go to the outbox.

    Raises :class:`NothingToClaim` if there is none. An item claimed meanwhile by the service
    (or another officer) is skipped, so no item is ever claimed twice.
    """
    check_party_id(party)
    topic = outbox_topic(party)
    at = at or datetime.now(UTC)
    done: list[ManualClaim] = []
    with engine.begin() as conn:
        rows = find_items(conn, party, case_key=case_key, pending_only=True)
        for row in sorted(rows, key=lambda r: str(r["received_at"])):
            item_id = str(row["event_id"])
            value = item_value(conn, item_id)
            if value is None:
                continue
            cause = serde.decode(
                value,
                str(row["source_topic"]),
                _int(row["source_partition"]),
                _int(row["source_offset"]),
            )
            claim = build_claim(cause, party, at, officer=officer)
            claim_id = str(claim.envelope.event_id)
            if not mark_claimed(conn, item_id, ClaimMode.MANUAL, officer or party, at, claim_id):
                continue
            enqueue(conn, [claim_message(claim, serde.encode(claim, topic), topic)])
            done.append(ManualClaim(item_id, str(row["event_type"]), claim_id))
    if not done:
        raise NothingToClaim(
            f"no pending item to claim for case {case_key!r} in {party}'s store"
            " (see `sgbus inbox --party " + party + " --pending`)"
        )
    return done


def _int(value: object) -> int:
    return int(value) if isinstance(value, int | str) else -1
