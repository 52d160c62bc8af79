"""The sent-log: a day's digest goes to one recipient on one channel at most once.

A row is committed in state ``sending`` *before* the message is handed to the channel, then
set to ``sent`` or ``failed``. A row that exists — whatever its state — means "do not send
again today", so a crash between the commit and the channel's answer loses that one message
rather than sending it twice (at-most-once: the console and the watchdog's reminders remain
the record of what is due; a digest sent twice costs SMS fees and the officers' trust). Two
instances racing on the same day are kept apart by the primary key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Connection, Engine, select, update

from sgbus.bus.store.tables import digest_log
from sgbus.bus.store.upsert import insert_ignore

SENDING, SENT, FAILED = "sending", "sent", "failed"
_c = digest_log.c


@dataclass(frozen=True)
class Key:
    """What the log counts sends of."""

    day: date
    recipient: str
    kind: str
    channel: str

    def where(self) -> list[ColumnElement[bool]]:
        """The row's primary-key condition."""
        return [
            _c.day == self.day,
            _c.recipient == self.recipient,
            _c.kind == self.kind,
            _c.channel == self.channel,
        ]


def claim(engine: Engine, key: Key, now: datetime) -> bool:
    """Record that ``key`` is being sent, committed at once; False if it was already tried."""
    row = {**key.__dict__, "state": SENDING, "started_at": now}
    with engine.begin() as conn:
        return insert_ignore(conn, digest_log, [row]) == 1


def finish(engine: Engine, key: Key, state: str, now: datetime, detail: str | None) -> None:
    """Record how the send of ``key`` ended (``detail`` must hold no address or phone)."""
    values = {"state": state, "finished_at": now, "detail": detail}
    with engine.begin() as conn:
        conn.execute(update(digest_log).where(*key.where()).values(values))


def states(conn: Connection, day: date) -> dict[Key, str]:
    """Every send of ``day`` and its state."""
    q = select(_c.day, _c.recipient, _c.kind, _c.channel, _c.state).where(_c.day == day)
    return {Key(d, r, k, ch): s for d, r, k, ch, s in conn.execute(q)}
