"""Audit records → openings and answers, per seed-city preset (no broker, no database).

Expected deadlines are worked out by hand from the calendar of November 2026 (Mon 2 … Fri 6,
Mon 9 … Fri 13, Mon 16 …, all working days), not recomputed with the code under test.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from sgbus.bus.calendar import default_calendar
from sgbus.bus.obligations.ingest import AuditRecord, Ingestor, ingest, policy_problems
from sgbus.bus.obligations.machine import open_obligation
from sgbus.bus.obligations.model import ExpiryAction, State, obligation_id
from sgbus.bus.policy import load_preset, parse_policy
from tests.watchdog_kit import CITY_REGIONS, Scene, at, audit, city_catalogue

CITIES = list(CITY_REGIONS)


def ingestor(city: str) -> Ingestor:
    return Ingestor(load_preset(city), default_calendar(), city_catalogue(city))


@pytest.mark.parametrize("city", CITIES)
def test_every_preset_applies_to_its_catalogue(city: str) -> None:
    assert policy_problems(load_preset(city), city_catalogue(city)) == []


# -- approval push: a timeliness check on arrival, in every city ---------------------------

PUSH_DAYS = {"weihai": 3, "zichuan": 3, "ankang": 3, "anqiu": 0, "yingkou": 2}


@pytest.mark.parametrize("city", CITIES)
def test_approval_push_is_opened_and_answered_by_the_same_event(city: str) -> None:
    s = Scene(city)
    ev = s.approval_result(1, at("2026-11-02", "15:00"), decided=date(2026, 11, 2))
    got = ingestor(city).ingest(audit(ev))
    push = [o for o in got.openings if o.flow == "approval-push"]
    assert len(push) == 1
    o = push[0]
    assert (o.debtor, o.creditor) == (s.party("approval"), s.party("market"))
    assert o.opened_at == at("2026-11-02", "00:00")  # the decision date
    # N working days after Mon 2 Nov; 0 means the same day.
    assert o.due_at == at("2026-11-02", "00:00") + timedelta(days=1 + PUSH_DAYS[city])
    assert o.action is ExpiryAction.BREACH_REPORT
    answers = [a for a in got.answers if a.flow == "approval-push"]
    assert [(a.obligation_id, a.answered_at) for a in answers] == [(o.id, ev.envelope.occurred_at)]
    assert open_obligation(o, answers[0]).state is State.DISCHARGED


@pytest.mark.parametrize("city", CITIES)
def test_a_late_push_is_a_breach_stamped_at_the_deadline(city: str) -> None:
    s = Scene(city)
    ev = s.approval_result(2, at("2026-11-16", "09:00"), decided=date(2026, 11, 2))
    got = ingestor(city).ingest(audit(ev))
    o = next(o for o in got.openings if o.flow == "approval-push")
    a = next(a for a in got.answers if a.flow == "approval-push")
    ob = open_obligation(o, a)
    assert ob.state is State.BREACHED and ob.closed_at == o.due_at
    assert ob.answered_at == ev.envelope.occurred_at


# -- claims ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("city", "due_day", "remind_day", "action", "escalate"),
    [
        ("anqiu", "2026-11-06", "2026-11-05", ExpiryAction.AUTO_CLAIM, None),
        ("yingkou", "2026-11-05", "2026-11-04", ExpiryAction.BREACH_REPORT, "oversight"),
        ("weihai", "2026-11-06", None, ExpiryAction.BREACH_REPORT, None),
    ],
)
def test_each_recipient_owes_a_claim(
    city: str, due_day: str, remind_day: str | None, action: ExpiryAction, escalate: str | None
) -> None:
    s = Scene(city)
    ev = s.approval_result(3, at("2026-11-02", "10:00"))
    delivered = (s.party("market"), s.party("health"))
    got = ingestor(city).ingest(audit(ev, delivered))
    claims = [o for o in got.openings if o.flow == "claim"]
    assert sorted(o.debtor for o in claims) == sorted(delivered)
    for o in claims:
        assert o.creditor == s.party("approval")
        assert o.opened_at == ev.envelope.occurred_at
        assert o.due_at == at(due_day, "00:00")
        assert o.remind_at == (at(remind_day, "00:00") if remind_day else None)
        assert o.action is action
        assert o.escalate_to == (s.party(escalate) if escalate else None)
        assert not o.provisional
    # The claim answers exactly the claimant's obligation.
    claim = s.claim(4, ev, "health", at("2026-11-03"))
    answers = ingestor(city).ingest(audit(claim)).answers
    assert [a.obligation_id for a in answers] == [
        obligation_id("claim", str(ev.envelope.event_id), s.party("health"))
    ]


def test_the_unassigned_pool_owes_nothing_but_is_still_owed_the_push() -> None:
    s = Scene("anqiu")
    ev = s.approval_result(5, at("2026-11-02"))
    rec = AuditRecord(ev, delivered_to=("unassigned",), unassigned=True)
    got = ingestor("anqiu").ingest(rec)
    assert [(o.flow, o.debtor, o.creditor) for o in got.openings] == [
        ("approval-push", s.party("approval"), "unassigned")
    ]


def test_without_delivery_header_the_envelope_recipients_count() -> None:
    s = Scene("anqiu")
    ev = s.approval_result(6, at("2026-11-02"), to=("market", "health"))
    got = ingestor("anqiu").ingest(AuditRecord(ev))
    assert {o.debtor for o in got.openings if o.flow == "claim"} == {
        s.party("market"),
        s.party("health"),
    }


def test_a_claim_of_a_supervision_action_answers_only_that_flow() -> None:
    s = Scene("anqiu")
    action = s.request(
        "SupervisionAction",
        7,
        at("2026-11-02"),
        "market",
        "approval",
        decision_date=date(2026, 11, 2),
    )
    got = ingestor("anqiu").ingest(audit(action))
    flows = sorted(o.flow for o in got.openings)
    assert flows == ["supervision-claim", "supervision-push"]
    push = next(o for o in got.openings if o.flow == "supervision-push")
    assert push.due_at == at("2026-11-12", "00:00")  # 7 WD after Mon 2 Nov: Wed 11 Nov
    claim = s.claim(8, action, "approval", at("2026-11-03"))
    answers = ingestor("anqiu").ingest(audit(claim)).answers
    assert [(a.flow, a.debtor) for a in answers] == [("supervision-claim", s.party("approval"))]


# -- consultation: deemed consent in 安丘, a breach in 淄川 -----------------------------------


@pytest.mark.parametrize(
    ("city", "action"),
    [("anqiu", ExpiryAction.DEEMED_CONSENT), ("zichuan", ExpiryAction.BREACH_REPORT)],
)
def test_consultation_letter_and_reply(city: str, action: ExpiryAction) -> None:
    s = Scene(city)
    letter = s.request("ConsultationLetter", 9, at("2026-11-02"), "approval", "market")
    got = ingestor(city).ingest(audit(letter))
    (o,) = got.openings
    assert (o.flow, o.debtor, o.creditor, o.action) == (
        "consultation-reply",
        s.party("market"),
        s.party("approval"),
        action,
    )
    assert o.due_at == at("2026-11-06", "00:00")  # the operator's 3 WD for 及时
    # The reply names the letter in its payload even when its causation is another event.
    reply = s.reply(
        "ConsultationReply", 10, letter, at("2026-11-04"), letter_event_id=letter.envelope.event_id
    )
    reply = reply.model_copy(
        update={"envelope": reply.envelope.model_copy(update={"causation_id": None})}
    )
    (a,) = ingestor(city).ingest(audit(reply)).answers
    assert a.obligation_id == o.id


# -- special review: mode decides the flow (威海) --------------------------------------------


@pytest.mark.parametrize(
    ("mode", "flow", "due_day"),
    [("JOINT", "joint-opinion", "2026-11-11"), ("OPINION", "lead-opinion", "2026-11-06")],
)
def test_special_review_mode_picks_the_rule(mode: str, flow: str, due_day: str) -> None:
    s = Scene("weihai")
    req = s.request(
        "SpecialReviewRequest",
        11,
        at("2026-11-02"),
        "approval",
        "health",
        mode=mode,
        scheduled_on=date(2026, 11, 6),
    )
    got = ingestor("weihai").ingest(audit(req))
    assert [(o.flow, o.due_at) for o in got.openings] == [(flow, at(due_day, "00:00"))]
    opinion = s.reply(
        "SpecialReviewOpinion",
        12,
        req,
        at("2026-11-09"),
        mode=mode,
        request_event_id=req.envelope.event_id,
    )
    assert [a.flow for a in ingestor("weihai").ingest(audit(opinion)).answers] == [flow]


def test_a_step_the_bureau_handles_alone_owes_no_opinion() -> None:
    s = Scene("weihai")
    req = s.request(
        "SpecialReviewRequest", 13, at("2026-11-02"), "approval", "health", mode="ALONE"
    )
    assert ingestor("weihai").ingest(audit(req)).openings == []


# -- meetings (威海): agenda 3 WD before, minutes 3 WD after ----------------------------------


def test_meeting_agenda_before_and_minutes_after() -> None:
    s = Scene("weihai")
    meeting = at("2026-11-13", "14:30")
    early = s.request(
        "MeetingAgenda", 14, at("2026-11-09"), "approval", "market", starts_at=meeting
    )
    late = s.request("MeetingAgenda", 15, at("2026-11-11"), "approval", "market", starts_at=meeting)
    states = {}
    for ev in (early, late):
        got = ingestor("weihai").ingest(audit(ev))
        agenda = next(o for o in got.openings if o.flow == "meeting-agenda")
        assert agenda.due_at == at("2026-11-10", "00:00")  # 3 whole WD (10, 11, 12) before Fri 13
        assert agenda.opened_at == ev.envelope.occurred_at
        answer = next(a for a in got.answers if a.flow == "meeting-agenda")
        states[ev.envelope.event_id] = open_obligation(agenda, answer).state
        minutes = next(o for o in got.openings if o.flow == "meeting-minutes")
        assert minutes.opened_at == meeting and minutes.due_at == at("2026-11-19", "00:00")
    assert list(states.values()) == [State.DISCHARGED, State.BREACHED]
    mins = s.request(
        "MeetingMinutes",
        16,
        at("2026-11-16"),
        "approval",
        "market",
        agenda_event_id=early.envelope.event_id,
    )
    (a,) = ingestor("weihai").ingest(audit(mins)).answers
    assert a.obligation_id == obligation_id(
        "meeting-minutes", str(early.envelope.event_id), s.party("approval")
    )


# -- policy notice: counted from the issue date; 1 WD in 淄川 --------------------------------


def test_policy_notice_counts_from_the_issue_day() -> None:
    s = Scene("zichuan")
    notice = s.request(
        "PolicyChangeNotice",
        17,
        at("2026-11-05"),
        "market",
        "approval",
        issued_on=date(2026, 11, 3),
    )
    got = ingestor("zichuan").ingest(audit(notice))
    (o,) = got.openings
    assert o.due_at == at("2026-11-05", "00:00")  # 1 WD after Tue 3 Nov: Wed 4 Nov
    assert open_obligation(o, got.answers[0]).state is State.BREACHED


def test_missing_anchor_date_counts_from_the_request_time() -> None:
    s = Scene("zichuan")
    notice = s.request(
        "PolicyChangeNotice", 18, at("2026-11-05", "11:00"), "market", "approval", issued_on=None
    )
    (o,) = ingestor("zichuan").ingest(audit(notice)).openings
    assert o.opened_at == at("2026-11-05", "11:00") and o.due_at == at("2026-11-07", "00:00")


# -- change decisions: answered in most cities, a timeliness check in 营口 --------------------


def test_change_request_is_answered_by_the_decision_naming_it() -> None:
    s = Scene("ankang")
    req = s.request("LicenceChangeRequest", 19, at("2026-11-02"), "market", "approval")
    (o,) = ingestor("ankang").ingest(audit(req)).openings
    assert (o.flow, o.debtor) == ("change-decision", s.party("approval"))
    dec = s.reply(
        "LicenceChangeDecision", 20, req, at("2026-11-04"), request_event_id=req.envelope.event_id
    )
    (a,) = ingestor("ankang").ingest(audit(dec)).answers
    assert a.obligation_id == o.id


def test_yingkou_checks_the_decision_is_pushed_within_2_working_days() -> None:
    s = Scene("yingkou")
    dec = s.request(
        "LicenceChangeDecision",
        21,
        at("2026-11-06", "09:00"),
        "approval",
        "market",
        decision_date=date(2026, 11, 2),
    )
    got = ingestor("yingkou").ingest(audit(dec))
    (o,) = got.openings
    assert o.due_at == at("2026-11-05", "00:00") and o.escalate_to == s.party("oversight")
    assert open_obligation(o, got.answers[0]).state is State.BREACHED


def test_case_transfer_decision_within_5_working_days() -> None:
    s = Scene("yingkou")
    tr = s.request(
        "CaseTransfer", 22, at("2026-11-04"), "market", "health", receiving_party=s.party("health")
    )
    (o,) = ingestor("yingkou").ingest(audit(tr)).openings
    assert (o.debtor, o.due_at) == (s.party("health"), at("2026-11-12", "00:00"))
    dec = s.reply(
        "CaseTransferDecision", 23, tr, at("2026-11-10"), transfer_event_id=tr.envelope.event_id
    )
    assert [a.obligation_id for a in ingestor("yingkou").ingest(audit(dec)).answers] == [o.id]


# -- verification (安丘 第二十二条) ----------------------------------------------------------


def test_verification_task_claim_and_result() -> None:
    s = Scene("anqiu")
    task = s.request("VerificationTask", 24, at("2026-11-02"), "approval", "market")
    (o,) = ingestor("anqiu").ingest(audit(task)).openings
    assert (o.flow, o.debtor) == ("verification-claim", s.party("market"))
    result = s.reply(
        "VerificationResult",
        25,
        task,
        at("2026-11-12"),
        task_event_id=task.envelope.event_id,
        verified_on=date(2026, 11, 6),
    )
    got = ingestor("anqiu").ingest(audit(result))
    (r,) = got.openings
    assert r.flow == "verification-result" and r.due_at == at("2026-11-12", "00:00")
    assert open_obligation(r, got.answers[0]).state is State.BREACHED


# -- policy checks -------------------------------------------------------------------------

_BAD = """
name: bad
title: bad
source: test.txt
rules:
  - flow: joint-opinion
    request: SpecialReviewRequest
    answer: SpecialReviewOpinion
    match: {mode: jointly, colour: red}
    debtor: recipient
    creditor: sender
    working_days: 2
    at_expiry: escalate
    escalate_to: oversight
    source: test.txt 1
  - flow: approval-push
    request: ApprovalResult
    answer: ApprovalResult
    anchor: meeting-date
    debtor: sender
    creditor: recipient
    working_days: 2
    at_expiry: breach-report
    source: test.txt 2
"""


def test_policy_problems_name_the_flow_and_what_is_wrong() -> None:
    cat = city_catalogue("weihai").model_copy(update={"oversight": None})
    problems = policy_problems(parse_policy(_BAD), cat)
    assert problems == [
        "policy 'bad' flow joint-opinion: match mode: 'jointly' is not one of alone, entrusted,"
        " joint, opinion",
        "policy 'bad' flow joint-opinion: match field 'colour' is not a field of"
        " SpecialReviewRequest",
        "policy 'bad' flow joint-opinion: role oversight needs an oversight party in catalogue"
        " 'weihai'",
        "policy 'bad' flow approval-push: ApprovalResult carries no meeting-date",
    ]


def test_function_form_equals_the_class() -> None:
    s = Scene("anqiu")
    ev = s.approval_result(26, at("2026-11-02"))
    rec = audit(ev)
    cal, cat = default_calendar(), city_catalogue("anqiu")
    assert ingest(rec, load_preset("anqiu"), cal, cat) == ingestor("anqiu").ingest(rec)


def test_deadlines_in_a_year_without_official_data_are_provisional() -> None:
    s = Scene("anqiu")
    ev = s.approval_result(27, at("2026-12-30"), to=("market",))
    claim = next(o for o in ingestor("anqiu").ingest(audit(ev)).openings if o.flow == "claim")
    assert claim.provisional  # runs into 2027
