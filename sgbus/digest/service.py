"""Sending a day's digest, and the service that does it every working day.

Logs name parties, kinds and channels, never a recipient's name, address or phone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import structlog
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from sgbus.bus.calendar import WorkingCalendar
from sgbus.bus.calendar.timeutil import china_date
from sgbus.digest import sentlog
from sgbus.digest.channels import Channel, DeliveryFailed
from sgbus.digest.compose import Message, breach_messages, plan
from sgbus.digest.gather import all_work, breaches, recipients
from sgbus.digest.schedule import breach_window, due_today, next_send
from sgbus.digest.settings import DigestSettings

log = structlog.get_logger("sgbus.digest")

Clock = Callable[[], datetime]
#: The longest the service sleeps before looking at the clock again.
MAX_SLEEP_S = 300.0


def utc_now() -> datetime:
    """The wall clock, aware."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Outcome:
    """What became of one message on one channel."""

    message: Message
    channel: str
    state: str
    """``sent``, ``failed``, or ``skipped`` (already tried today: see :mod:`sentlog`)."""
    detail: str | None = None


def compose_day(
    engine: Engine,
    day: date,
    now: datetime,
    names: Mapping[str, str],
    settings: DigestSettings,
) -> list[Message]:
    """The digests of ``day``, from the store as it is at ``now``."""
    with engine.connect() as conn:
        work = all_work(conn, names, day, now, settings.list_size)
        people = recipients(conn)
    return plan(day, work, people, send_empty=settings.send_empty, names=names)


def deliver(
    engine: Engine,
    day: date,
    messages: Sequence[Message],
    channels: Sequence[Channel],
    clock: Clock = utc_now,
) -> list[Outcome]:
    """Send each message on each channel the recipient has an address on, at most once per
    (day, recipient, kind, channel) whatever happened before (the sent-log)."""
    out: list[Outcome] = []
    for m in messages:
        reachable = [ch for ch in channels if ch.address_of(m)]
        if not reachable:
            log.warning("no contact for a digest", party=m.recipient.party, kind=m.kind.value)
        for ch in reachable:
            out.append(
                _send_once(
                    engine,
                    sentlog.Key(day, m.recipient.username, m.log_kind, ch.name),
                    m,
                    ch,
                    clock,
                )
            )
    return out


def _send_once(engine: Engine, key: sentlog.Key, m: Message, ch: Channel, clock: Clock) -> Outcome:
    if not sentlog.claim(engine, key, clock()):
        return Outcome(m, ch.name, "skipped")
    try:
        ch.send(m)
    except DeliveryFailed as exc:
        sentlog.finish(engine, key, sentlog.FAILED, clock(), str(exc))
        log.warning(
            "digest not delivered",
            party=m.recipient.party,
            kind=m.kind.value,
            channel=ch.name,
            reason=str(exc),
        )
        return Outcome(m, ch.name, sentlog.FAILED, str(exc))
    sentlog.finish(engine, key, sentlog.SENT, clock(), None)
    return Outcome(m, ch.name, sentlog.SENT)


@dataclass
class DigestService:
    """Sends the digest on every working day at the configured time, until stopped."""

    engine: Engine
    settings: DigestSettings
    channels: Sequence[Channel]
    names: Mapping[str, str]
    calendar: WorkingCalendar
    clock: Clock = utc_now

    def send_day(self, day: date) -> list[Outcome]:
        """Compose and send ``day``'s digest now."""
        now = self.clock()
        messages = compose_day(self.engine, day, now, self.names, self.settings)
        outcomes = deliver(self.engine, day, messages, self.channels, self.clock)
        counts = {
            s: sum(1 for o in outcomes if o.state == s) for s in ("sent", "failed", "skipped")
        }
        log.info("digest done", day=day.isoformat(), messages=len(messages), **counts)
        return outcomes

    def breach_notices(self) -> list[tuple[date, Message]]:
        """The breach notices due now, each with the day it counts against in the sent-log:
        the heads' of the departments in breach, for the breaches recorded since
        :func:`breach_window` (none outside working days' hours)."""
        since = breach_window(self.clock(), self.settings.send_at, self.calendar)
        if since is None:
            return []
        with self.engine.connect() as conn:
            found = breaches(conn, self.names, since)
            people = recipients(conn)
        day_of = {b.obligation_id: china_date(b.breached_at) for b in found}
        return [(day_of[m.about or ""], m) for m in breach_messages(found, people)]

    def notify_breaches(self) -> list[Outcome]:
        """Send the breach notices due now, each at most once (the sent-log)."""
        outcomes: list[Outcome] = []
        for day, m in self.breach_notices():
            outcomes += deliver(self.engine, day, [m], self.channels, self.clock)
        sent = sum(1 for o in outcomes if o.state == sentlog.SENT)
        if sent:
            log.info("breach notices sent", sent=sent)
        return outcomes

    def run(self, stop: threading.Event) -> None:
        """Wait for each working day's send time and send; meanwhile, notify department heads
        of breaches every ``breach_check_s``. A store error is retried a minute later (the
        sent-log keeps what already went out from going again)."""
        done: date | None = None
        while not stop.is_set():
            now = self.clock()
            day = due_today(now, self.settings.send_at, self.calendar)
            try:
                if day is not None and day != done:
                    self.send_day(day)
                    done = day
                if self.settings.breach_check_s:
                    self.notify_breaches()
            except SQLAlchemyError as exc:
                log.error("digest failed, retrying", error=type(exc).__name__)
                stop.wait(60)
                continue
            wake = next_send(self.clock(), self.settings.send_at, self.calendar)
            stop.wait(min(self._longest_sleep(), max(1.0, (wake - self.clock()).total_seconds())))

    def _longest_sleep(self) -> float:
        return min(MAX_SLEEP_S, self.settings.breach_check_s or MAX_SLEEP_S)
