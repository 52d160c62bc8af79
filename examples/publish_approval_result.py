"""Publish one approval result as the 威海 approval bureau, the way an approval system would.

Run against a stack (``sgbus stack up`` then ``sgbus topics apply``)::

    .venv/bin/python examples/publish_approval_result.py
"""

from __future__ import annotations

import datetime as dt

from sgbus.bus.events import (
    ApprovalOutcome,
    ApprovalResult,
    LicenceCategory,
    LicenceDecisionKind,
    Licensee,
    LicenseeKind,
    Matter,
    Organisation,
    approval_case_key,
    new_envelope,
)
from sgbus.producers.publisher import Publisher

REGION = "371000"
DOCUMENT = "威审批〔2026〕888号"
BUREAU = Organisation(name="威海市行政审批服务局", uscc="11371000MB28512348")


def main() -> None:
    """Build the event, publish it, print where the broker stored it."""
    now = dt.datetime.now(dt.UTC)
    result = ApprovalResult(
        envelope=new_envelope(
            ApprovalResult,
            sender="weihai-approval",
            region=REGION,
            case_key=approval_case_key(REGION, DOCUMENT),
        ),
        matter=Matter(code="WH-A1-001", name="权限内企业投资项目核准"),
        decision_kind=LicenceDecisionKind.ESTABLISH,
        outcome=ApprovalOutcome.GRANTED,
        licensee=Licensee(
            kind=LicenseeKind.LEGAL_PERSON,
            name="威海海悦餐饮管理有限公司",
            uscc="91371002MA3C8K2L59",
        ),
        document_title="企业投资项目核准决定书",
        document_number=DOCUMENT,
        licence_category=LicenceCategory.ORDINARY,
        licence_content="同意项目核准",
        decision_date=now.date(),
        valid_from=now.date(),
        licensing_authority=BUREAU,
        data_source=BUREAU,
    )
    with Publisher("weihai-approval") as publisher:  # settings from SGBUS_* variables
        receipt = publisher.publish(result)  # returns once the broker has it, or raises
    print(f"published {receipt.event_id} to {receipt.topic}[{receipt.partition}]@{receipt.offset}")


if __name__ == "__main__":
    main()
