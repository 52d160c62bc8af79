"""Transfer (转办), dispute (争议), ruling and urging (督办) in the obligation state machine."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from sgbus.bus.obligations.machine import (
    answer,
    handover_opening,
    open_obligation,
    resume,
    suspend,
    tick,
    transfer_out,
    urge,
)
from sgbus.bus.obligations.model import (
    Answer,
    ExpiryAction,
    Obligation,
    OutcomeKind,
    State,
)
from tests import factories

T0 = datetime(2026, 9, 30, 8, 0, tzinfo=UTC)
DUE = T0 + timedelta(days=3)
REMIND = T0 + timedelta(days=2)


def first(action: ExpiryAction = ExpiryAction.BREACH_REPORT) -> Obligation:
    return open_obligation(
        factories.opening("item-1", opened_at=T0, due_at=DUE, remind_at=REMIND, action=action)
    )


def handed(before: Obligation, receiver: str, at: datetime, request: str = "xfer-1") -> Obligation:
    return open_obligation(
        handover_opening(
            before,
            request_event_id=request,
            request_event_type="ItemTransfer",
            receiver=receiver,
            at=at,
            due_at=at + timedelta(days=3),
            remind_at=None,
            provisional=False,
        )
    )


# -- transfer ------------------------------------------------------------------------------


def test_a_transfer_in_time_ends_the_first_obligation_as_transferred_never_breached() -> None:
    at = T0 + timedelta(days=1)
    ob, out = transfer_out(first(), at)
    assert (ob.state, ob.closed_at, out) == (State.TRANSFERRED, at, [])
    later, more = tick(ob, DUE + timedelta(days=30))
    assert later.state is State.TRANSFERRED and more == []


def test_a_transfer_after_the_deadline_does_not_undo_the_breach() -> None:
    ob, out = transfer_out(first(), DUE + timedelta(hours=1))
    assert ob.state is State.BREACHED
    assert [o.kind for o in out] == [OutcomeKind.REMINDER, OutcomeKind.BREACH]


def test_a_transfer_after_the_reminder_time_sends_the_reminder_it_owed() -> None:
    ob, out = transfer_out(first(), REMIND + timedelta(hours=1))
    assert ob.state is State.TRANSFERRED
    assert [o.kind for o in out] == [OutcomeKind.REMINDER]


def test_the_receiver_counts_from_the_transfer_with_the_original_deadline_beside_it() -> None:
    at = T0 + timedelta(days=2)
    before, _ = transfer_out(first(), at)
    received = handed(before, "wh-health", at)
    o = received.opening
    assert (o.debtor, o.creditor, o.flow) == ("wh-health", "wh-approval", "claim")
    assert (o.opened_at, o.due_at, o.original_due_at) == (at, at + timedelta(days=3), DUE)
    assert o.handed_over_from == "wh-market"
    assert received.id != before.id
    # Passed on again: the very first deadline is the one kept.
    again = handed(received, "wh-water", at + timedelta(days=1), request="xfer-2")
    assert again.opening.original_due_at == DUE
    assert again.opening.handed_over_from == "wh-health"


def test_the_receiver_discharges_its_obligation_by_claiming() -> None:
    at = T0 + timedelta(days=1)
    received = handed(transfer_out(first(), at)[0], "wh-health", at)
    claim = Answer("claim", "xfer-1", "wh-health", "claim-1", at + timedelta(hours=2))
    ob, _ = answer(received, claim)
    assert ob.state is State.DISCHARGED


# -- dispute -------------------------------------------------------------------------------


def test_a_dispute_stops_the_clock_and_nothing_expires_while_it_is_open() -> None:
    at = T0 + timedelta(days=1)
    ob, out = suspend(first(), at)
    assert (ob.state, ob.suspended_at, out) == (State.SUSPENDED, at, [])
    still, more = tick(ob, DUE + timedelta(days=60))
    assert still == ob and more == []


def test_a_ruling_back_restarts_the_clock_with_the_time_that_was_left() -> None:
    disputed_at = T0 + timedelta(days=1)
    ruled_at = disputed_at + timedelta(days=5)
    ob, _ = resume(suspend(first(), disputed_at)[0], ruled_at)
    assert ob.state is State.OPEN and ob.suspended_at is None
    assert ob.opening.due_at == DUE + timedelta(days=5)
    assert ob.opening.remind_at == REMIND + timedelta(days=5)
    assert [s for s, _ in ob.transitions] == ["open", "suspended", "open"]
    # The clock runs again: the moved deadline expires it.
    expired, out = tick(ob, DUE + timedelta(days=5))
    assert expired.state is State.BREACHED and OutcomeKind.BREACH in [o.kind for o in out]


def test_a_ruling_to_another_department_ends_the_disputed_obligation_as_transferred() -> None:
    ob, out = transfer_out(suspend(first(), T0 + timedelta(days=1))[0], DUE + timedelta(days=9))
    assert ob.state is State.TRANSFERRED and out == []


def test_a_dispute_after_the_deadline_comes_too_late() -> None:
    ob, out = suspend(first(), DUE + timedelta(minutes=1))
    assert ob.state is State.BREACHED and OutcomeKind.BREACH in [o.kind for o in out]


def test_a_claim_while_the_dispute_is_open_discharges() -> None:
    ob, _ = suspend(first(), T0 + timedelta(days=1))
    claimed, out = answer(ob, Answer("claim", "item-1", "wh-market", "c", DUE + timedelta(days=2)))
    assert claimed.state is State.DISCHARGED and out == []


def test_resume_and_suspend_leave_other_states_alone() -> None:
    done, _ = answer(first(), Answer("claim", "item-1", "wh-market", "c", T0))
    assert suspend(done, T0 + timedelta(hours=1)) == (done, [])
    assert resume(done, T0 + timedelta(hours=1)) == (done, [])
    assert resume(first(), T0) == (first(), [])


# -- urging --------------------------------------------------------------------------------


def test_urgings_are_counted_once_each_in_any_state() -> None:
    ob = urge(first(), "urge-1", T0 + timedelta(days=4))
    ob = urge(ob, "urge-1", T0 + timedelta(days=4))
    breached, _ = tick(ob, DUE)
    ob = urge(breached, "urge-2", T0 + timedelta(days=5))
    assert [e for e, _ in ob.urgings] == ["urge-1", "urge-2"]
    assert ob.state is State.BREACHED


# -- interleavings -------------------------------------------------------------------------


@dataclass
class Item:
    """One item's chain of claim obligations, driven like the watchdog's ledger drives it."""

    chain: list[Obligation] = field(default_factory=lambda: [first(ExpiryAction.AUTO_CLAIM)])
    now: datetime = T0
    n: int = 0
    breached_while_suspended: bool = False

    @property
    def last(self) -> Obligation:
        return self.chain[-1]

    def step(self, kind: str, hours: int, receiver: str) -> None:
        self.now += timedelta(hours=hours)
        self.n += 1
        ob = self.last
        if kind == "tick":
            new, out = tick(ob, self.now)
            if ob.state is State.SUSPENDED and (out or new.state is not State.SUSPENDED):
                self.breached_while_suspended = True
            self.chain[-1] = new
        elif kind == "claim":
            req = ob.opening.request_event_id
            claim = Answer("claim", req, ob.opening.debtor, f"c{self.n}", self.now)
            self.chain[-1] = answer(ob, claim)[0]
        elif kind == "dispute":
            self.chain[-1] = suspend(ob, self.now)[0]
        elif kind == "rule-back":
            self.chain[-1] = resume(ob, self.now)[0]
        else:  # "transfer", or "rule-away": the item goes to ``receiver``
            if receiver == ob.opening.debtor or ob.state not in (State.OPEN, State.SUSPENDED):
                return  # nobody passes on what they do not hold
            if kind == "transfer" and ob.state is State.SUSPENDED:
                return  # while disputed, the oversight office holds it
            in_time = ob.state is State.SUSPENDED or self.now < ob.opening.due_at
            self.chain[-1] = transfer_out(ob, self.now)[0]
            # Passed on in time: never a breach of the department that passed it on.
            assert (self.chain[-1].state is State.TRANSFERRED) == in_time
            self.chain.append(handed(self.chain[-1], receiver, self.now, f"h{self.n}"))


STEPS = st.tuples(
    st.sampled_from(["tick", "claim", "dispute", "rule-back", "transfer", "rule-away"]),
    st.integers(min_value=0, max_value=60),
    st.sampled_from(["wh-market", "wh-health", "wh-water"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(STEPS, max_size=12))
def test_one_accountable_debtor_or_the_pool_and_no_breach_while_suspended(
    steps: list[tuple[str, int, str]],
) -> None:
    item = Item()
    for kind, hours, receiver in steps:
        item.step(kind, hours, receiver)
        # Every obligation but the last is final: at most one department owes the claim.
        assert all(ob.state.final for ob in item.chain[:-1])
        live = [ob for ob in item.chain if not ob.state.final]
        assert len(live) <= 1
        # The accountable party is the last debtor, or the oversight pool while disputed.
        if item.last.state is State.SUSPENDED:
            assert item.last.suspended_at is not None
    assert not item.breached_while_suspended
    # Each receiver sees the first department's deadline (as a ruling back may have moved it).
    first_due = item.chain[0].opening.due_at
    assert all(ob.opening.original_due_at == first_due for ob in item.chain[1:])
