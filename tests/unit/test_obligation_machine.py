"""The obligation state machine over every order of requests, answers, duplicates and ticks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from sgbus.bus.obligations.machine import answer, open_obligation, tick
from sgbus.bus.obligations.model import (
    _NS,
    Answer,
    ExpiryAction,
    Obligation,
    Opening,
    Outcome,
    OutcomeKind,
    State,
    obligation_id,
    outcome_id,
)
from tests import factories

T0 = datetime(2026, 9, 30, 8, 0, tzinfo=UTC)
REMIND = T0 + timedelta(days=2)
DUE = T0 + timedelta(days=3)


def opening(action: ExpiryAction = ExpiryAction.AUTO_CLAIM) -> Opening:
    return factories.opening(
        "req-1", opened_at=T0, due_at=DUE, remind_at=REMIND, action=action, source="003 第十八条"
    )


class Tracker:
    """In-memory driver with the same early-answer handling as the SQL watchdog."""

    def __init__(self, action: ExpiryAction) -> None:
        self.action = action
        self.ob: Obligation | None = None
        self.early: Answer | None = None
        self.outcomes: list[Outcome] = []
        self.clock: datetime | None = None

    def feed(self, item: object) -> None:
        if item == "open":
            if self.ob is None:
                self.ob = open_obligation(opening(self.action), self.early)
                self._emit_from_open()
                if self.clock is not None:  # the sweep after each batch uses the current clock
                    self.ob, out = tick(self.ob, self.clock)
                    self.outcomes += out
        elif isinstance(item, Answer):
            if self.ob is None:
                self.early = self.early or item
            else:
                self.ob, out = answer(self.ob, item)
                self.outcomes += out
        elif isinstance(item, datetime):
            self.clock = max(item, self.clock or item)
            if self.ob is not None:
                self.ob, out = tick(self.ob, self.clock)
                self.outcomes += out

    def _emit_from_open(self) -> None:
        # open_obligation applies an early answer; replay it to collect its outcomes.
        if self.early is not None:
            fresh = open_obligation(opening(self.action))
            self.ob, out = answer(fresh, self.early)
            self.outcomes += out


def expected(action: ExpiryAction, answered_at: datetime | None, last_tick: datetime | None):
    """What the facts imply, independent of order."""
    kinds: set[OutcomeKind] = set()
    horizon = max([t for t in (answered_at, last_tick) if t is not None], default=None)
    if horizon is None:
        return State.OPEN, kinds
    if (answered_at is None or answered_at > REMIND) and horizon > REMIND:
        kinds.add(OutcomeKind.REMINDER)
    if answered_at is not None and answered_at < DUE:
        return State.DISCHARGED, kinds
    if horizon >= DUE:
        kinds.add(
            {
                ExpiryAction.AUTO_CLAIM: OutcomeKind.AUTO_CLAIM,
                ExpiryAction.DEEMED_CONSENT: OutcomeKind.DEEMED_CONSENT,
                ExpiryAction.BREACH_REPORT: OutcomeKind.BREACH,
                ExpiryAction.ESCALATE: OutcomeKind.ESCALATION,
            }[action]
        )
        final = (
            State.AUTO_RESOLVED
            if action in (ExpiryAction.AUTO_CLAIM, ExpiryAction.DEEMED_CONSENT)
            else State.BREACHED
        )
        return final, kinds
    return State.OPEN, kinds


def _answers_before_later_ticks(order: list[object], answered_at: datetime | None) -> list[object]:
    """The watchdog's clock never runs ahead of an answer it has not read yet (audit first)."""
    if answered_at is None:
        return order
    last_answer = max(i for i, x in enumerate(order) if isinstance(x, Answer))
    held = [x for x in order[:last_answer] if isinstance(x, datetime) and x > answered_at]
    rest = [x for x in order if not any(x is h for h in held)]
    cut = max(i for i, x in enumerate(rest) if isinstance(x, Answer)) + 1
    return rest[:cut] + held + rest[cut:]


hours = st.integers(min_value=0, max_value=6 * 24).map(lambda h: T0 + timedelta(hours=h))


@settings(max_examples=400, deadline=None)
@given(
    action=st.sampled_from(list(ExpiryAction)),
    answered_at=st.none() | hours,
    ticks=st.lists(hours, max_size=4),
    dup=st.integers(min_value=1, max_value=3),
    data=st.data(),
)
def test_final_state_and_outcomes_do_not_depend_on_order(
    action: ExpiryAction,
    answered_at: datetime | None,
    ticks: list[datetime],
    dup: int,
    data: st.DataObject,
) -> None:
    items: list[object] = ["open", "open"]
    if answered_at is not None:
        items += [Answer("claim", "req-1", "wh-market", "ans-1", answered_at)] * dup
    order = _answers_before_later_ticks(data.draw(st.permutations(items + ticks)), answered_at)
    tracker = Tracker(action)
    for item in order:
        tracker.feed(item)
    ob = tracker.ob
    assert ob is not None
    want_state, want_kinds = expected(action, answered_at, max(ticks, default=None))
    assert ob.state is want_state
    kinds = [o.kind for o in tracker.outcomes]
    assert sorted(kinds) == sorted(want_kinds), "each outcome exactly once"
    for o in tracker.outcomes:
        assert o.at == (REMIND if o.kind is OutcomeKind.REMINDER else DUE)
    assert len({o.event_id for o in tracker.outcomes}) == len(tracker.outcomes)


def test_late_answer_after_expiry_is_recorded_but_state_stays() -> None:
    ob, out = tick(open_obligation(opening(ExpiryAction.BREACH_REPORT)), DUE + timedelta(hours=1))
    assert ob.state is State.BREACHED and [o.kind for o in out] == [
        OutcomeKind.REMINDER,
        OutcomeKind.BREACH,
    ]
    late = DUE + timedelta(days=1)
    ob2, out2 = answer(ob, Answer("claim", "req-1", "wh-market", "ans-1", late))
    assert (ob2.state, ob2.answered_at, out2) == (State.BREACHED, late, [])


def test_reminder_once_then_discharge() -> None:
    ob = open_obligation(opening())
    ob, out = tick(ob, REMIND + timedelta(minutes=1))
    assert [o.kind for o in out] == [OutcomeKind.REMINDER]
    ob, out = tick(ob, REMIND + timedelta(minutes=2))
    assert out == []
    ob, out = answer(ob, Answer("claim", "req-1", "wh-market", "a", REMIND + timedelta(hours=1)))
    assert ob.state is State.DISCHARGED and out == []
    assert [s for s, _ in ob.transitions] == ["open", "discharged"]


def test_due_instant_is_exclusive_and_an_answer_at_remind_time_needs_no_reminder() -> None:
    # due_at is 00:00 of the day after the last working day: arriving then is late.
    ob, out = answer(open_obligation(opening()), Answer("claim", "req-1", "wh-market", "a", DUE))
    assert ob.state is State.AUTO_RESOLVED
    assert [o.kind for o in out] == [OutcomeKind.REMINDER, OutcomeKind.AUTO_CLAIM]
    just_before = DUE - timedelta(milliseconds=1)
    ob, _ = answer(
        open_obligation(opening()), Answer("claim", "req-1", "wh-market", "a", just_before)
    )
    assert ob.state is State.DISCHARGED
    ob, out = answer(open_obligation(opening()), Answer("claim", "req-1", "wh-market", "a", REMIND))
    assert ob.state is State.DISCHARGED and out == []


@given(st.text(max_size=60), st.uuids(), st.text(max_size=40))
def test_ids_are_uuid5_of_their_causes(flow: str, request: uuid.UUID, debtor: str) -> None:
    """The fast id function gives exactly ``uuid5`` of the fixed namespace."""
    expected = uuid.uuid5(_NS, f"{flow}|{request}|{debtor}")
    assert obligation_id(flow, str(request), debtor) == str(expected)
    for kind in OutcomeKind:
        assert outcome_id(str(expected), kind) == str(uuid.uuid5(_NS, f"{expected}|{kind}"))
