"""Validation beyond types: codes, ranges, rules; every message names the path and masks PII."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from sgbus.bus.events import ApprovalResult, Event, event_class
from sgbus.bus.validation import EventValidationError, check_event, mask, validate_event
from sgbus.bus.validation.codes import (
    division_code_problem,
    phone_problem,
    resident_id_check_digit,
    resident_id_problem,
    uscc_check_char,
    uscc_problem,
)
from tests.golden_data import golden_event

# Published codes of real organisations, and the examples printed in GB 11643.
REAL_USCC = ["914403001922038216", "9144030071526726XG", "91330100716105852F", "91110000100003662X"]
STANDARD_IDS = ["11010519491231002X", "440524188001010014"]


@pytest.mark.parametrize("code", REAL_USCC)
def test_real_credit_codes_pass(code: str) -> None:
    assert uscc_problem(code) is None
    assert uscc_check_char(code[:17]) == code[17]


@pytest.mark.parametrize("code", REAL_USCC)
def test_any_single_change_of_a_credit_code_is_caught(code: str) -> None:
    for i in range(18):
        for ch in "0A9Y":
            if ch != code[i]:
                assert uscc_problem(code[:i] + ch + code[i + 1 :]) is not None, (i, ch)


def test_credit_code_shape_errors() -> None:
    assert uscc_problem("91440300192203821") == "must be 18 characters, has 17"
    assert "outside GB 32100-2015" in str(uscc_problem("91440300192203821I"))


@pytest.mark.parametrize("number", STANDARD_IDS)
def test_standard_id_numbers_pass(number: str) -> None:
    assert resident_id_problem(number) is None
    assert resident_id_check_digit(number[:17]) == number[17]


def test_id_number_errors() -> None:
    assert resident_id_problem("110105194912310021") == "check digit is wrong (GB 11643)"
    assert resident_id_problem("110105194902300021") == "birth date part is not a real date"
    assert resident_id_problem("990105194912310021") == "does not start with a province code"
    assert (
        resident_id_problem("11010519491231002x") == "must be 17 digits and a digit or upper-case X"
    )


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("371000", None),
        ("370784", None),
        ("210800", None),
        ("110000", None),
        ("37100", "must be 6 digits"),
        ("３７１０００", "must be 6 digits"),
        ("991000", "province prefix 99 does not exist"),
        ("370084", "has a county part without a city part"),
    ],
)
def test_division_codes(code: str, problem: str | None) -> None:
    assert division_code_problem(code) == problem


@pytest.mark.parametrize(
    "phone", ["13863112345", "+86 13863112345", "0631-5201234", "05365201234", "12345", "95588"]
)
def test_phones_pass(phone: str) -> None:
    assert phone_problem(phone) is None


@pytest.mark.parametrize("phone", ["1386311234", "abc", "0631-12"])
def test_bad_phones(phone: str) -> None:
    assert phone_problem(phone) is not None


def test_mask_never_shows_the_whole_value() -> None:
    assert mask("371002198003125612") == "371*************12"
    assert mask("王海涛") == "王*涛"
    assert mask("李四") == "李*"
    assert mask(b"\x00\x01") == "<2 bytes>"
    assert mask(None) is None


def _with(event: Event, **changes: Any) -> Event:
    data = event.model_dump()
    for path, value in changes.items():
        target = data
        *parents, last = path.split("__")
        for p in parents:
            target = target[int(p)] if p.isdigit() else target[p]
        target[last] = value
    return type(event).model_validate(data)


def _issues(event: Event) -> dict[str, str]:
    return {i.path: i.message for i in validate_event(event)}


def test_bad_id_number_is_reported_with_path_and_masked() -> None:
    event = _with(golden_event("ApprovalResult"), licensee__id_number="371002198003125613")
    issues = _issues(event)
    message = issues["licensee.id_number"]
    assert "check digit is wrong" in message
    assert "371002198003125613" not in message and "371*************13" in message


def test_error_text_never_contains_personal_data() -> None:
    secret_phone, secret_id = "1386311234", "37100219800312561X"
    event = _with(
        golden_event("ApprovalResult"), licensee__phone=secret_phone, contact__id_number=secret_id
    )
    with pytest.raises(EventValidationError) as info:
        check_event(event)
    text = str(info.value)
    assert "licensee.phone" in text and "contact.id_number" in text
    assert secret_phone not in text and secret_id not in text


def test_bad_credit_code_and_region() -> None:
    event = _with(
        golden_event("SupervisionAction"),
        subject__uscc="91371002MA3C8K2L58",
        envelope__region="991000",
    )
    issues = _issues(event)
    assert issues["subject.uscc"] == "check character is wrong (GB 32100-2015)"
    assert issues["envelope.region"] == "province prefix 99 does not exist"


def test_validity_must_end_after_it_starts() -> None:
    event = _with(golden_event("ApprovalResult"), valid_until=datetime.date(2026, 3, 1))
    assert _issues(event) == {
        "valid_until": "validity ends before it starts (valid_until < valid_from)"
    }


def test_open_ended_validity_is_fine() -> None:
    assert _issues(_with(golden_event("ApprovalResult"), valid_until=None)) == {}


def test_supervision_action_needs_a_legal_basis() -> None:
    event = _with(golden_event("SupervisionAction"), legal_basis=[])
    assert _issues(event) == {"legal_basis": "must have at least one item"}
    blank = _with(golden_event("SupervisionAction"), legal_basis__0__law="  ")
    assert _issues(blank) == {"legal_basis[0].law": "must not be blank"}


def test_approval_case_key_must_match_document_number() -> None:
    event = _with(golden_event("ApprovalResult"), envelope__case_key="371000:威审批〔2026〕13号")
    assert _issues(event) == {
        "envelope.case_key": "must be region:document number, i.e. '371000:威审批〔2026〕12号'"
    }


def test_event_type_must_match_the_record() -> None:
    event = _with(golden_event("Claim"), envelope__event_type="ApprovalResult")
    assert _issues(event)["envelope.event_type"] == "is 'ApprovalResult', the record is Claim"


def test_bad_party_ids_and_flows() -> None:
    event = _with(
        golden_event("ObligationBreach"),
        obligation__flow="approval_push",
        envelope__recipients=["Weihai Market"],
    )
    issues = _issues(event)
    assert issues["obligation.flow"] == "'approval_push' is not a known flow id"
    assert "'Weihai Market' is not a party id" in issues["envelope.recipients"]


def test_licensee_kind_rules() -> None:
    event = _with(golden_event("ApprovalResult"), licensee__uscc=None)
    assert "unified social credit code" in _issues(event)["licensee.uscc"]
    person = _with(
        golden_event("ApprovalResult"),
        licensee__kind="NATURAL_PERSON",
        licensee__id_number=None,
        licensee__id_type=None,
    )
    assert _issues(person) == {
        "licensee.id_number": "a natural person needs an identity document number"
    }


def test_id_number_without_type() -> None:
    event = _with(golden_event("Claim"), officer__id_type=None)
    assert _issues(event)["officer.id_number"].startswith("is given without id_type")


def test_non_resident_documents_are_not_checked_as_resident_ids() -> None:
    event = _with(
        golden_event("Claim"), officer__id_type="PASSPORT", officer__id_number="E12345678"
    )
    assert _issues(event) == {}


@pytest.mark.parametrize(
    ("name", "changes", "path"),
    [
        ("ConsultationReply", {"deemed": True, "position": "DISAGREE"}, "position"),
        ("ConsultationReply", {"reply": " "}, "reply"),
        ("Claim", {"mode": "AUTOMATIC"}, "officer"),
        ("Claim", {"mode": "ON_DELIVERY"}, "officer"),
        ("CaseTransferDecision", {"acceptance": "NOT_ACCEPTED"}, "case_filed"),
        ("VerificationResult", {"outcome": "FALSE_COMMITMENT", "follow_up": None}, "follow_up"),
        ("StatusReport", {"period_end": datetime.date(2026, 3, 31)}, "period_end"),
        ("LicenceChangeDecision", {"licensee_notified": False}, "licensee_notified"),
        ("SupervisionAction", {"decision_date": datetime.date(2026, 6, 11)}, "decision_date"),
        ("MeetingAgenda", {"invitees": ["weihai-approval"]}, "invitees"),
        (
            "AutoClaim",
            {"obligation__due_at": datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)},
            "obligation.due_at",
        ),
        ("Escalation", {"level": 0}, "level"),
        ("DeadLetter", {"original_offset": -1}, "original_offset"),
        ("Claim", {"envelope__recipients": []}, "envelope.recipients"),
        ("MeetingMinutes", {"attachments__0__sha256": "ABC"}, "attachments[0].sha256"),
    ],
)
def test_event_rules(name: str, changes: dict[str, Any], path: str) -> None:
    assert path in _issues(_with(golden_event(name), **changes))


def test_validation_accepts_a_model_built_in_code() -> None:
    event = golden_event("ApprovalResult")
    assert isinstance(event, ApprovalResult)
    check_event(event)
    assert event_class("ApprovalResult") is ApprovalResult


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"url": "ftp://files.weihai.gov.example/a.pdf"},
            "must be an absolute http:// or https:// URL with a host and without blanks",
        ),
        ({"url": "https://user:pw@files.example/a.pdf"}, "must be an absolute http:// or https://"),
        ({"url": "https:///a.pdf"}, "must be an absolute http:// or https://"),
        ({"url": "https://files.example/a b.pdf"}, "must be an absolute http:// or https://"),
        ({"sha256": "3F1B" * 16}, "must be 64 lower-case hex digits"),
        ({"sha256": "3f1b" * 15}, "must be 64 lower-case hex digits"),
        ({"size_bytes": -1}, "must not be negative"),
        ({"media_type": "pdf"}, "must be a media type such as application/pdf"),
        ({"title": " "}, "must not be blank"),
    ],
)
def test_material_references_are_checked(changes: dict[str, Any], message: str) -> None:
    fields = {f"material_references__0__{k}": v for k, v in changes.items()}
    issues = _issues(_with(golden_event("ApprovalResult"), **fields))
    (path,) = issues
    assert path == f"material_references[0].{next(iter(changes))}"
    assert issues[path].startswith(message)


@pytest.mark.parametrize(
    "url",
    ["http://10.1.2.3:8080/dzzz?id=7", "HTTPS://zzk.example/a.ofd#p1", "https://zzk.example"],
)
def test_plain_web_urls_pass(url: str) -> None:
    event = _with(golden_event("ApprovalResult"), material_references__0__url=url)
    assert _issues(event) == {}


def test_an_approval_result_without_material_references_is_fine() -> None:
    # Senders built on ApprovalResult v1 know no such field: it defaults to none.
    data = golden_event("ApprovalResult").model_dump(mode="json")
    del data["material_references"]
    event = ApprovalResult.model_validate(data)
    assert event.material_references == [] and _issues(event) == {}


def test_every_policy_flow_is_a_known_flow_id() -> None:
    # The watchdog's outcome events carry the flow of any rule; one the list lacks would be
    # dead-lettered by the router (an unruled dispute's Escalation once was).
    from sgbus.bus.policy.model import Flow
    from sgbus.bus.validation import FLOW_IDS

    assert {f.value for f in Flow} == FLOW_IDS


def test_an_escalation_of_a_dispute_ruling_is_valid() -> None:
    event = _with(golden_event("Escalation"), obligation__flow="dispute-ruling")
    assert _issues(event) == {}


@pytest.mark.parametrize(
    ("position", "reply"), [("AGREE", None), ("DISAGREE", None), ("UNKNOWN", "x")]
)
def test_answers_the_policy_switch_judges_are_valid(position: str, reply: str | None) -> None:
    # 同意 needs no text; a bare 不同意 or another answer reaches the watchdog, whose policy
    # switch (lenient_consultation_answers) decides whether it counts.
    event = _with(golden_event("ConsultationReply"), position=position, reply=reply)
    assert _issues(event) == {}
