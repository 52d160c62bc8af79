"""Party identifiers: who may write which outbox and read which inbox.

A party id becomes part of Kafka topic names (``sg.<party>.outbox``), so it is restricted to
lower-case ASCII letters, digits and hyphens, starting with a letter.
"""

from __future__ import annotations

import re

PARTY_ID_PATTERN = r"^[a-z][a-z0-9-]{1,47}$"
_PARTY_ID = re.compile(PARTY_ID_PATTERN)

WATCHDOG_PARTY = "watchdog"


class BadPartyId(ValueError):
    """A party id that cannot be used in a topic name."""


def check_party_id(party: str) -> str:
    """Return ``party`` unchanged if it is a valid party id, else raise :class:`BadPartyId`."""
    if not _PARTY_ID.fullmatch(party):
        raise BadPartyId(
            f"bad party id {party!r}: use 2-48 characters of a-z, 0-9 and '-',"
            " starting with a letter"
        )
    return party


def outbox_topic(party: str) -> str:
    """The topic only ``party`` may write."""
    return f"sg.{check_party_id(party)}.outbox"


def inbox_topic(party: str) -> str:
    """The topic only ``party`` may read."""
    return f"sg.{check_party_id(party)}.inbox"


def connector_dead_letter_topic(party: str) -> str:
    """Where ``party``'s connectors put the records they refuse; only ``party`` writes it and
    only the operator reads it. Apart from ``sg.deadletter``, which only the bus's own services
    write: a party's dead letters are never replayed into another party's outbox."""
    return f"sg.{check_party_id(party)}.deadletter"


_PARTY_TOPIC = re.compile(r"^sg\.([a-z][a-z0-9-]{1,47})\.(outbox|inbox|deadletter)$")


def party_of_topic(topic: str) -> str | None:
    """The party whose outbox, inbox or connector dead-letter topic ``topic`` is; None for
    the bus's own topics (``sg.audit``, ``sg.deadletter``…)."""
    found = _PARTY_TOPIC.fullmatch(topic)
    return found[1] if found else None


AUDIT_TOPIC = "sg.audit"
DEAD_LETTER_TOPIC = "sg.deadletter"
#: The router's ledger of replayed events it delivered (compacted, keyed by event id), so a
#: dead letter replayed twice is delivered once.
REPLAY_LEDGER_TOPIC = "sg.router.replayed"
#: The router's ledger of approval results it routed to the unassigned pool (compacted, keyed
#: by event id, value the SHA-256 of the original), so only a pooled result can be assigned.
UNASSIGNED_LEDGER_TOPIC = "sg.router.unassigned"
