"""The unassigned pool, remembered: only an approval result the router pooled can be assigned.

When the router routes an approval result to the unassigned pool, it writes the event id and
the SHA-256 of the original bytes to its pool ledger (``sg.router.unassigned``, compacted,
keyed by event id) in the same transaction as the audit copy. A ``CaseAssignment`` is accepted
only if the ledger holds its ``assigned_event_id`` with the hash of its ``original_value``: an
oversight office can assign what the bus pooled, not bytes of its own making.

:class:`PoolBatch` answers one batch's questions (pure); :class:`PoolLedger` keeps the ledger in
memory across batches, read from the topic on first use and read again when an assignment
names an event it does not know yet (another router instance may have pooled it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from confluent_kafka import KafkaException

from sgbus.bus import headers as h
from sgbus.bus.parties import UNASSIGNED_LEDGER_TOPIC
from sgbus.bus.reading import read_to_end
from sgbus.bus.settings import Settings
from sgbus.consumers.router.records import OutRecord
from sgbus.runtime.faults import TransientError


def value_hash(value: bytes) -> str:
    """The SHA-256 of an original's bytes, hex: what the ledger keeps of a pooled result."""
    return hashlib.sha256(value).hexdigest()


def pool_record(event_id: str, value: bytes) -> OutRecord:
    """The ledger entry saying ``event_id`` (with bytes ``value``) went to the pool."""
    return OutRecord(
        UNASSIGNED_LEDGER_TOPIC,
        event_id.encode(),
        value_hash(value).encode(),
        {h.EVENT_ID: event_id},
    )


class PoolCheck(Protocol):
    """What routing asks about the unassigned pool."""

    def pooled(self, event_id: str, value: bytes) -> OutRecord:
        """Note that ``event_id`` goes to the pool; the ledger record to write with it."""
        ...

    def was_pooled(self, event_id: str, value: bytes) -> bool:
        """Whether ``event_id`` went to the pool with exactly these bytes."""
        ...


@dataclass
class PoolBatch:
    """Pool decisions of one batch: the ledger as known (``load``, on first use), plus what
    this batch pooled. ``refresh`` reads the ledger topic again, at most once a batch, when
    an assignment names an event not known yet."""

    load: Callable[[], Mapping[str, str]]
    refresh: Callable[[], Mapping[str, str]]
    added: dict[str, str] = field(default_factory=dict)
    _known: Mapping[str, str] | None = None
    _refreshed: bool = False

    def pooled(self, event_id: str, value: bytes) -> OutRecord:
        """Note a pooled result; the ledger record to write in the same transaction."""
        record = pool_record(event_id, value)
        self.added[event_id] = record.value.decode()
        return record

    def was_pooled(self, event_id: str, value: bytes) -> bool:
        """Whether the pool holds ``event_id`` with the hash of ``value``."""
        found = self.added.get(event_id) or self._lookup(event_id)
        return found == value_hash(value)

    def _lookup(self, event_id: str) -> str | None:
        if self._known is None:
            self._known = self.load()
        found = self._known.get(event_id)
        if found is None and not self._refreshed:
            self._refreshed = True
            self._known = self.refresh()
            found = self._known.get(event_id)
        return found


class PoolLedger:
    """The router's memory of the pool across batches: the ledger topic as last read, plus
    what batches committed since (their records may not be readable yet: commit markers are
    written after the commit returns). A batch that did not commit adds nothing."""

    def __init__(self, read: Callable[[], Mapping[str, str]]) -> None:
        self._read = read
        self._known: dict[str, str] | None = None
        self._pending: dict[str, str] = {}

    def batch(self) -> PoolBatch:
        """A fresh batch of pool decisions (reads the ledger only when one needs it)."""
        return PoolBatch(self._loaded, self._reload)

    def committed(self, batch: PoolBatch) -> None:
        """``batch`` was written: remember what it pooled."""
        if self._known is not None:
            self._known.update(batch.added)
        else:
            self._pending.update(batch.added)

    def _loaded(self) -> dict[str, str]:
        if self._known is None:
            self._known = {**self._read(), **self._pending}
        return self._known

    def _reload(self) -> dict[str, str]:
        self._known = {**(self._known or {}), **self._read()}
        return self._known


def read_pool(settings: Settings, timeout_s: float = 15) -> dict[str, str]:
    """Event id → hash of every pooled result in the ledger, read committed to its end. A
    broker that cannot be read is a transient fault: the batch is routed again later."""
    try:
        return {
            r.key.decode("utf-8", "replace"): r.value.decode("ascii", "replace")
            for r in read_to_end(settings, [UNASSIGNED_LEDGER_TOPIC], timeout_s=timeout_s)
            if r.key is not None and r.value is not None
        }
    except (TimeoutError, KafkaException) as exc:
        raise TransientError("broker", f"pool ledger not read: {type(exc).__name__}") from exc


def no_pool() -> PoolBatch:
    """A batch for callers without a ledger (tests, tools): nothing was pooled before."""
    return PoolBatch(dict, dict)
