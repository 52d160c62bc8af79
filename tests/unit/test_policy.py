"""Policy presets encode the seeds' deadline table; operator files are validated readably."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from sgbus.bus.policy import (
    PRESETS,
    ExpiryAction,
    Flow,
    Role,
    UnknownFlow,
    UnknownPolicy,
    load_policy,
    load_preset,
    parse_policy,
)
from sgbus.bus.yamldoc import SourceError
from tests.unit.seeds import seed_text

EVENT = datetime.fromisoformat("2026-09-30T16:00:00+08:00")


@pytest.mark.parametrize(
    ("preset", "flow", "days", "expiry"),
    [
        ("anqiu", "claim", 3, ExpiryAction.AUTO_CLAIM),
        ("anqiu", "supervision-push", 7, ExpiryAction.BREACH_REPORT),
        ("anqiu", "supervision-claim", 3, ExpiryAction.BREACH_REPORT),
        ("anqiu", "verification-claim", 3, ExpiryAction.BREACH_REPORT),
        ("anqiu", "verification-result", 3, ExpiryAction.BREACH_REPORT),
        ("yingkou", "approval-push", 2, ExpiryAction.BREACH_REPORT),
        ("yingkou", "claim", 2, ExpiryAction.BREACH_REPORT),
        ("yingkou", "supervision-push", 2, ExpiryAction.BREACH_REPORT),
        ("yingkou", "change-decision", 2, ExpiryAction.BREACH_REPORT),
        ("yingkou", "transfer-decision", 5, ExpiryAction.BREACH_REPORT),
        ("weihai", "supervision-push", 3, ExpiryAction.BREACH_REPORT),
        ("weihai", "joint-opinion", 2, ExpiryAction.BREACH_REPORT),
        ("weihai", "lead-opinion", 3, ExpiryAction.BREACH_REPORT),
        ("weihai", "meeting-agenda", 3, ExpiryAction.BREACH_REPORT),
        ("weihai", "meeting-minutes", 3, ExpiryAction.BREACH_REPORT),
        ("zichuan", "policy-notice", 1, ExpiryAction.BREACH_REPORT),
    ],
)
def test_presets_encode_the_deadline_table(
    preset: str, flow: str, days: int, expiry: ExpiryAction
) -> None:
    policy = load_preset(preset)
    rule = policy.rule(flow)
    assert policy.working_days(flow) == days
    assert not rule.promptly_default
    assert rule.at_expiry is expiry


def test_yingkou_reports_to_the_oversight_office() -> None:
    assert all(r.escalate_to is Role.OVERSIGHT for r in load_preset("yingkou").rules)


def test_anqiu_claim_deadline_and_reminder() -> None:
    policy = load_preset("anqiu")
    assert policy.deadline("claim", EVENT).due_at.isoformat() == "2026-10-11T00:00:00+08:00"
    reminder = policy.reminder("claim", EVENT)
    assert reminder is not None and reminder.due_at.isoformat() == "2026-10-10T00:00:00+08:00"
    assert policy.reminder("supervision-push", EVENT) is None


def test_meeting_agenda_counts_backwards() -> None:
    meeting = datetime.fromisoformat("2026-02-12T09:30:00+08:00")
    due = load_preset("weihai").deadline("meeting-agenda", meeting)
    assert due.before and due.due_at.isoformat() == "2026-02-09T00:00:00+08:00"


def test_anqiu_consultation_silence_is_consent() -> None:
    rule = load_preset("anqiu").rule("consultation-reply")
    assert rule.at_expiry is ExpiryAction.DEEMED_CONSENT and rule.promptly_default


def test_promptly_rules_use_the_operator_default() -> None:
    policy = load_preset("weihai")
    assert policy.rule("approval-push").promptly_default
    assert policy.working_days("approval-push") == policy.promptly_working_days == 3
    five = policy.with_promptly_default(5)
    assert five.working_days("approval-push") == 5
    assert five.working_days("supervision-push") == 3  # a stated period is never replaced


@pytest.mark.parametrize("preset", PRESETS)
def test_every_rule_cites_an_article_of_its_own_seed(preset: str) -> None:
    policy = load_preset(preset)
    text = seed_text(policy.source)
    for rule in policy.rules:
        assert rule.source.startswith(policy.source), (preset, rule.flow)
        article = rule.source.removeprefix(policy.source)
        numbered = re.match(r"第[一二三四五六七八九十]+条", article)
        if numbered:
            assert numbered.group(0) in text, (preset, rule.flow, article)


def test_unknown_and_absent_flows_are_clear_errors() -> None:
    policy = load_preset("anqiu")
    with pytest.raises(UnknownFlow, match="unknown flow 'clam'; known flows: approval-push, claim"):
        policy.rule("clam")
    with pytest.raises(UnknownFlow, match="'anqiu' has no rule for flow 'meeting-agenda'"):
        policy.rule("meeting-agenda")
    with pytest.raises(UnknownPolicy, match="presets: weihai, zichuan"):
        load_preset("dalian")
    with pytest.raises(UnknownPolicy, match="give a preset"):
        load_policy("dalian")


GOOD = """\
name: my-city
title: 某市审管联动办法
source: my-rules.txt
rules:
  - flow: claim
    request: ApprovalResult
    answer: Claim
    debtor: recipient
    creditor: sender
    working_days: 4
    at_expiry: auto-claim
    source: my-rules.txt 第五条
"""


def test_operator_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD, encoding="utf-8")
    policy = load_policy(str(path))
    assert policy.name == "my-city" and policy.flows == [Flow.CLAIM]
    assert policy.deadline("claim", EVENT).due_at.isoformat() == "2026-10-13T00:00:00+08:00"


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (("working_days: 4", "working_days: -1"), 10, "rules[0].working_days: Input should be"),
        (("at_expiry: auto-claim", "at_expiry: shrug"), 11, "rules[0].at_expiry: Input should be"),
        (("flow: claim", "flow: clam"), 5, "rules[0].flow: Input should be"),
        (("request: ApprovalResult", "request: ApprovalResults"), 6, "did you mean ApprovalR"),
        (("answer: Claim", "answer: Nothing"), 7, "unknown event type; event types: ApprovalR"),
        (("    working_days: 4\n", ""), 5, "give working_days, or promptly_default"),
        (("working_days: 4", "working_days: 4\n    promptly_default: true"), 5, "give working_d"),
        (("answer: Claim", "answer: ConsultationReply"), 5, "answered by Claim, not"),
        (("answer: Claim", "answer: Claim\n    bogus: 1"), 8, "rules[0].bogus: Extra inputs"),
        (("creditor: sender", "creditor: recipient"), 5, "debtor and creditor must differ"),
        (("at_expiry: auto-claim", "at_expiry: escalate"), 5, "needs escalate_to"),
        (("working_days: 4", "working_days: 4\n    remind_before_working_days: 4"), 5, "less"),
        (("working_days: 4", "working_days: 4\n    before: true"), 5, "needs an anchor date"),
        (("name: my-city", "name: My City"), 1, "name: String should match pattern"),
        (("working_days: 4", "working_days: four"), 10, "valid integer"),
    ],
)
def test_bad_policy_files_name_line_and_key(
    change: tuple[str, str], line: int, message: str
) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(SourceError) as caught:
        parse_policy(text, "p.yaml")
    assert caught.value.line == line, str(caught.value)
    assert message in str(caught.value)


def test_duplicate_flows_and_keys() -> None:
    rule = GOOD[GOOD.index("  - flow") :]
    with pytest.raises(SourceError, match="flow claim has more than one rule"):
        parse_policy(GOOD + rule, "p.yaml")
    with pytest.raises(SourceError, match=r"p.yaml:2: key 'name' repeated \(first at line 1\)"):
        parse_policy("name: a1\nname: a2\n", "p.yaml")
    with pytest.raises(SourceError, match="must be a YAML mapping"):
        parse_policy("- 1\n", "p.yaml")
