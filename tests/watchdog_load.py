"""A reproducible stream of audit events for the crash test and the benchmark (安丘 policy).

Cases over November 2026: approval results to one or two departments (claimed in time, late,
or never; some claims reach the log before the result they claim; a few events twice),
consultation letters (answered or left to deemed consent), supervision actions and their
claims, commitment verifications. Every event is a valid contract event.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from sgbus.bus.events import Event
from tests.watchdog_kit import CST, Scene

Item = Event | tuple[Event, tuple[str, ...]]

_DEPARTMENTS = ("market", "health")


def _instant(rng: random.Random, first: date, days: int) -> datetime:
    day = first + timedelta(days=rng.randrange(days))
    return datetime(
        day.year, day.month, day.day, rng.randrange(8, 18), rng.randrange(60), tzinfo=CST
    )


class LoadGenerator:
    """Yields audit items case by case until ``n`` items are produced."""

    def __init__(
        self,
        seed: int,
        city: str = "anqiu",
        first: date = date(2026, 11, 2),
        days: int = 26,
        prefix: str = "load",
    ):
        self.rng = random.Random(seed)
        self.s = Scene(city)
        self.first, self.days = first, days
        self.serial = 0
        self.prefix = prefix

    def _n(self) -> str:
        self.serial += 1
        return f"{self.prefix}-{self.serial}"

    def items(self, n: int) -> list[Item]:
        out: list[Item] = []
        while len(out) < n:
            out += list(self._case())
        return out[:n]

    def _case(self) -> Iterator[Item]:
        r = self.rng.random()
        if r < 0.5:
            yield from self._approval()
        elif r < 0.7:
            yield from self._consultation()
        elif r < 0.9:
            yield from self._supervision()
        else:
            yield from self._verification()

    def _later(self, t: datetime, lo_h: float, hi_h: float) -> datetime:
        return t + timedelta(hours=self.rng.uniform(lo_h, hi_h))

    def _approval(self) -> Iterator[Item]:
        s, rng = self.s, self.rng
        t = _instant(rng, self.first, self.days)
        decided = (t - timedelta(days=rng.choice((0, 0, 0, 1, 3)))).date()
        to = tuple(rng.sample(_DEPARTMENTS, rng.choice((1, 1, 2))))
        ev = s.approval_result(self._n(), t, decided=decided, to=to)
        delivered = tuple(s.party(d) for d in to)
        claims: list[Event] = []
        for d in to:
            p = rng.random()
            if p < 0.6:
                claims.append(s.claim(self._n(), ev, d, self._later(t, 1, 40)))
            elif p < 0.75:
                claims.append(s.claim(self._n(), ev, d, self._later(t, 120, 300)))
        early = [c for c in claims if rng.random() < 0.1]
        yield from early
        yield (ev, delivered)
        if rng.random() < 0.03:
            yield (ev, delivered)  # the same event twice
        yield from (c for c in claims if c not in early)

    def _consultation(self) -> Iterator[Item]:
        s = self.s
        t = _instant(self.rng, self.first, self.days)
        letter = s.request(
            "ConsultationLetter", self._n(), t, "approval", self.rng.choice(_DEPARTMENTS)
        )
        yield letter
        if self.rng.random() < 0.5:
            yield s.reply(
                "ConsultationReply",
                self._n(),
                letter,
                self._later(t, 2, 60),
                letter_event_id=letter.envelope.event_id,
            )

    def _supervision(self) -> Iterator[Item]:
        s = self.s
        t = _instant(self.rng, self.first, self.days)
        decided = (t - timedelta(days=self.rng.choice((1, 2, 12)))).date()
        dept = self.rng.choice(_DEPARTMENTS)
        action = s.request(
            "SupervisionAction", self._n(), t, dept, "approval", decision_date=decided
        )
        yield action
        if self.rng.random() < 0.7:
            yield s.claim(self._n(), action, "approval", self._later(t, 1, 90))

    def _verification(self) -> Iterator[Item]:
        s = self.s
        t = _instant(self.rng, self.first, self.days)
        dept = self.rng.choice(_DEPARTMENTS)
        task = s.request("VerificationTask", self._n(), t, "approval", dept)
        yield task
        if self.rng.random() < 0.8:
            yield s.claim(self._n(), task, dept, self._later(t, 1, 50))
            done = self._later(t, 24, 200)
            yield s.reply(
                "VerificationResult",
                self._n(),
                task,
                self._later(done, 1, 100),
                task_event_id=task.envelope.event_id,
                verified_on=done.astimezone(CST).date(),
            )
