"""Events, catalogues and audit records for watchdog tests, built from the golden examples.

Every event is a golden example with a new envelope and the payload fields a test cares about,
re-validated by its model, so what the tests feed the watchdog is what the router would accept.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sgbus.bus import headers as h
from sgbus.bus.catalogue import Catalogue, parse_catalogue_yaml
from sgbus.bus.events import Event, event_class, new_envelope
from sgbus.bus.obligations.ingest import AuditRecord
from tests.golden_data import golden_event

CST = timezone(timedelta(hours=8))

# The five seed cities: preset name → region code (the presets' own).
CITY_REGIONS = {
    "weihai": "371000",
    "zichuan": "370302",
    "ankang": "610900",
    "anqiu": "370784",
    "yingkou": "210800",
}


def city_catalogue(city: str) -> Catalogue:
    """A small catalogue for ``city``: approval bureau, oversight office, two departments."""
    return parse_catalogue_yaml(catalogue_text(city), f"{city} test catalogue")


def catalogue_text(city: str) -> str:
    """The YAML of :func:`city_catalogue`."""
    region = CITY_REGIONS[city]
    code = city.upper()[:2]
    text = f"""
name: {city}
title: {city} test catalogue
region: "{region}"
approval: {city}-approval
oversight: {city}-oversight
parties:
  - {{id: {city}-approval, name: 行政审批服务局, region: "{region}", kind: approval}}
  - {{id: {city}-oversight, name: 营商环境建设局, region: "{region}", kind: oversight}}
  - {{id: {city}-market, name: 市场监督管理局, region: "{region}"}}
  - {{id: {city}-health, name: 卫生健康局, region: "{region}"}}
matters:
  - {{code: {code}-F-001, name: 食品经营许可, mode: alone, departments: [{city}-market]}}
  - {{code: {code}-H-001, name: 医疗机构执业许可, mode: joint,
      departments: [{city}-health, {city}-market]}}
"""
    return text


def eid(n: int | str) -> uuid.UUID:
    """A readable, deterministic event id."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"sgbus-test/{n}")


def make_event(
    event_type: str,
    *,
    event_id: uuid.UUID,
    sender: str,
    recipients: list[str] | None,
    at: datetime,
    region: str,
    case_key: str | None = None,
    causation: uuid.UUID | None = None,
    **payload: Any,
) -> Event:
    """The golden ``event_type`` with a fresh envelope and ``payload`` fields replaced."""
    cls = event_class(event_type)
    env = new_envelope(
        cls,
        sender=sender,
        region=region,
        case_key=case_key or f"{region}:测试〔2026〕{event_id.hex[:8]}号",
        recipients=recipients,
        causation_id=causation,
        event_id=event_id,
        occurred_at=at,
    )
    data = golden_event(event_type).model_dump()
    data.update(payload)
    data["envelope"] = env.model_dump()
    return cls.model_validate(data)


@dataclass(frozen=True)
class Scene:
    """Builds one city's events with consistent parties and region."""

    city: str

    @property
    def region(self) -> str:
        return CITY_REGIONS[self.city]

    def party(self, name: str) -> str:
        return f"{self.city}-{name}"

    def approval_result(
        self, n: int | str, at: datetime, decided: date | None = None, to: tuple[str, ...] = ()
    ) -> Event:
        recipients = [self.party(p) for p in (to or ("market",))]
        code = self.city.upper()[:2]
        return make_event(
            "ApprovalResult",
            event_id=eid(n),
            sender=self.party("approval"),
            recipients=recipients,
            at=at,
            region=self.region,
            decision_date=decided or at.astimezone(CST).date(),
            matter={"code": f"{code}-F-001", "name": "食品经营许可"},
        )

    def claim(self, n: int | str, of: Event, by: str, at: datetime) -> Event:
        return make_event(
            "Claim",
            event_id=eid(n),
            sender=self.party(by),
            recipients=[of.envelope.sender],
            at=at,
            region=self.region,
            case_key=of.envelope.case_key,
            causation=of.envelope.event_id,
            claimed_event_id=of.envelope.event_id,
            claimed_event_type=type(of).__name__,
            claimed_by=self.party(by),
            claimed_at=at,
        )

    def request(
        self, event_type: str, n: int | str, at: datetime, by: str, to: str, **payload: Any
    ) -> Event:
        return make_event(
            event_type,
            event_id=eid(n),
            sender=self.party(by),
            recipients=[self.party(to)],
            at=at,
            region=self.region,
            **payload,
        )

    def reply(
        self, event_type: str, n: int | str, to: Event, at: datetime, **payload: Any
    ) -> Event:
        recipient = to.envelope.sender
        sender = (to.envelope.recipients or [""])[0]
        return make_event(
            event_type,
            event_id=eid(n),
            sender=sender,
            recipients=[recipient],
            at=at,
            region=self.region,
            case_key=to.envelope.case_key,
            causation=to.envelope.event_id,
            **payload,
        )


def audit(event: Event, delivered_to: tuple[str, ...] | None = None) -> AuditRecord:
    """The audit record the router writes for ``event`` (delivered to its recipients)."""
    to = delivered_to if delivered_to is not None else tuple(event.envelope.recipients or ())
    return AuditRecord(event=event, delivered_to=to)


def audit_headers(
    event: Event, delivered_to: tuple[str, ...] | None = None
) -> list[tuple[str, bytes]]:
    """Kafka headers of the audit record, as the router writes them."""
    to = delivered_to if delivered_to is not None else tuple(event.envelope.recipients or ())
    env = event.envelope
    return [
        (h.EVENT_ID, str(env.event_id).encode()),
        (h.EVENT_TYPE, env.event_type.encode()),
        (h.SOURCE_TOPIC, f"sg.{env.sender}.outbox".encode()),
        (h.DELIVERED_TO, h.format_parties(to).encode()),
    ]


def at(day: str, hhmm: str = "10:00") -> datetime:
    """An Asia/Shanghai instant, e.g. ``at("2026-10-12", "09:30")``."""
    return datetime.fromisoformat(f"{day}T{hhmm}:00+08:00")
