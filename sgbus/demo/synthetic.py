"""Synthetic approval results that pass every validation rule (valid credit codes and IDs).

Deterministic for a given seed, so tests, benchmarks and the demo publish reproducible data.
Names and numbers are made up; check characters are computed, not copied from real records.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass

from sgbus.bus.catalogue.model import Matter
from sgbus.bus.events import (
    ApprovalOutcome,
    ApprovalResult,
    LegalBasis,
    LicenceCategory,
    LicenceDecisionKind,
    LicenceEffect,
    Licensee,
    LicenseeKind,
    Organisation,
    SupervisionAction,
    SupervisionActionKind,
    approval_case_key,
    new_envelope,
)
from sgbus.bus.events import Matter as MatterRef
from sgbus.bus.validation.codes import resident_id_check_digit, uscc_check_char

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_SURNAMES = "王李张刘陈杨赵黄周吴"
_GIVEN = ["海涛", "晓梅", "建国", "丽娜", "志强", "秀英", "文博", "雨欣"]
_TRADES = ["餐饮管理", "建筑工程", "医药连锁", "物流运输", "环保科技", "文化传媒"]
_AUTHORITY_USCC = "11371000MB28512348"
_CHINA = dt.timezone(dt.timedelta(hours=8))


@dataclass(frozen=True)
class Issuer:
    """The approval bureau a synthetic result comes from, and the place its licensees are in."""

    authority: str
    """The bureau's name, e.g. 威海市行政审批服务局."""
    place: str
    """The city (or county) its licensees are in, e.g. 威海市."""
    address: str = ""
    """A street in the place, for licensees' addresses; default ``<place>人民路``."""

    @property
    def street(self) -> str:
        """The street licensees' addresses are on."""
        return self.address or f"{self.place}人民路"

    @property
    def short(self) -> str:
        """The one-character abbreviation in document numbers: 威 for 威海市, 安 for
        潍坊市安丘市 (a county's own name, not its city's)."""
        city, _, county = self.place.partition("市")
        return (county or city)[0]


#: The 威海 bureau: what every result was issued by before the demo had several cities.
WEIHAI = Issuer("威海市行政审批服务局", "威海", "山东省威海市环翠区新威路")


def uscc(rng: random.Random, region: str) -> str:
    """A unified social credit code with a correct check character (GB 32100-2015)."""
    body = "91" + region + "".join(rng.choice(_USCC_CHARS) for _ in range(9))
    return body + uscc_check_char(body)


def resident_id(rng: random.Random, region: str) -> str:
    """A resident ID number with a correct check digit (GB 11643)."""
    born = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(15000))
    body = region + born.strftime("%Y%m%d") + f"{rng.randrange(1000):03d}"
    return body + resident_id_check_digit(body)


def approval_result(
    matter: Matter,
    serial: int,
    *,
    sender: str,
    region: str,
    decided_at: dt.datetime,
    rng: random.Random,
    recipients: list[str] | None = None,
    issuer: Issuer = WEIHAI,
) -> ApprovalResult:
    """An approval result for ``matter`` from ``issuer``; its case key is unique per
    (region, serial)."""
    document_number = f"{issuer.short}审批〔{decided_at.year}〕{serial}号"
    case_key = approval_case_key(region, document_number)
    event_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    name = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
    authority = Organisation(name=issuer.authority, uscc=_AUTHORITY_USCC)
    return ApprovalResult(
        envelope=new_envelope(
            ApprovalResult,
            sender=sender,
            region=region,
            case_key=case_key,
            recipients=recipients,
            event_id=event_id,
            occurred_at=decided_at,
        ),
        matter=MatterRef(code=matter.code, name=matter.name),
        decision_kind=LicenceDecisionKind.ESTABLISH,
        outcome=ApprovalOutcome.GRANTED,
        licensee=Licensee(
            kind=LicenseeKind.LEGAL_PERSON,
            name=f"{issuer.place}{rng.choice(_TRADES)}有限公司{serial}",
            uscc=uscc(rng, region),
            legal_representative=name,
            phone=f"1386311{rng.randrange(10000):04d}",
            address=f"{issuer.street}{rng.randrange(1, 300)}号",
        ),
        document_title=f"{matter.name}决定书",
        document_number=document_number,
        licence_category=LicenceCategory.ORDINARY,
        licence_content=f"{matter.name}：准予许可",
        decision_date=decided_at.astimezone(_CHINA).date(),
        valid_from=decided_at.date(),
        valid_until=decided_at.date() + dt.timedelta(days=5 * 365),
        licensing_authority=authority,
        data_source=authority,
    )


def supervision_action(
    cause: ApprovalResult,
    department: str,
    serial: int,
    *,
    at: dt.datetime,
    rng: random.Random,
) -> SupervisionAction:
    """A penalty decided by ``department`` against the licensee of ``cause``, pushed back to
    the approval bureau (F3)."""
    return SupervisionAction(
        envelope=new_envelope(
            SupervisionAction,
            sender=department,
            region=cause.envelope.region,
            case_key=cause.envelope.case_key,
            recipients=[cause.envelope.sender],
            correlation_id=cause.envelope.correlation_id,
            causation_id=cause.envelope.event_id,
            event_id=uuid.UUID(int=rng.getrandbits(128), version=4),
            occurred_at=at,
        ),
        kind=SupervisionActionKind.ADMINISTRATIVE_PENALTY,
        decision_number=f"威执罚〔{at.year}〕{serial}号",
        decision_date=at.astimezone(_CHINA).date(),
        deciding_authority=Organisation(name="威海市综合行政执法局", uscc=_AUTHORITY_USCC),
        subject=cause.licensee,
        approval_case_key=cause.envelope.case_key,
        result="警告，并处罚款",
        licence_effect=LicenceEffect.NONE,
        legal_basis=[LegalBasis(law="中华人民共和国行政许可法", article="第八十一条")],
        fine_amount_fen=rng.randrange(1, 50) * 100_000,
    )
