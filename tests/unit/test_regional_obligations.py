"""One bus, several cities: the same event at the same instant follows each city's own rules.

Dates worked out by hand on the calendar of November 2026 (Mon 2 … Fri 6, Mon 9 …, all
working days): 威海 pushes within 3 working days and reports a missed claim as a breach (the
operator's 3-day default for 及时); 安丘 pushes the same day and auto-claims after 3 days.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from sgbus.bus.calendar import default_calendar
from sgbus.bus.events import Event
from sgbus.bus.obligations.model import ExpiryAction, Opening
from sgbus.bus.obligations.regional import RegionalIngestor, regional_problems
from sgbus.bus.regions import load_regions
from tests.watchdog_kit import at, audit, eid, make_event

T = at("2026-11-02", "15:00")


def last_day(day: str) -> datetime:
    """The due_at of a deadline whose last day is ``day``: 00:00 of the day after."""
    return at(day, "00:00") + timedelta(days=1)


def result(n: int, sender: str, to: str, region: str, matter: str) -> Event:
    return make_event(
        "ApprovalResult",
        event_id=eid(f"regional-{n}"),
        sender=sender,
        recipients=[to],
        at=T,
        region=region,
        decision_date=date(2026, 11, 2),
        matter={"code": matter, "name": "事项"},
    )


WEIHAI = result(1, "weihai-approval", "weihai-drc", "371000", "WH-A1-001")
ANQIU = result(2, "anqiu-approval", "anqiu-housing", "370784", "SD-SAMPLE-001")


def openings(ingestor: RegionalIngestor, event: Event) -> dict[str, Opening]:
    return {o.flow: o for o in ingestor.ingest(audit(event)).openings}


def test_the_shipped_map_applies_to_its_catalogues() -> None:
    assert regional_problems(load_regions("shandong")) == []


def test_same_instant_and_flow_in_two_cities_follow_each_citys_rules() -> None:
    ingestor = RegionalIngestor(load_regions("shandong"), default_calendar())
    weihai, anqiu = openings(ingestor, WEIHAI), openings(ingestor, ANQIU)
    # approval push: 3 working days in 威海, the same day in 安丘
    assert weihai["approval-push"].due_at == last_day("2026-11-05")
    assert anqiu["approval-push"].due_at == last_day("2026-11-02")
    # claim: both due after 3 working days, but a missed claim is a breach in 威海 and an
    # automatic claim in 安丘; 安丘 also reminds a day ahead
    assert weihai["claim"].due_at == anqiu["claim"].due_at == last_day("2026-11-05")
    assert weihai["claim"].action is ExpiryAction.BREACH_REPORT
    assert anqiu["claim"].action is ExpiryAction.AUTO_CLAIM
    assert weihai["claim"].remind_at is None
    assert anqiu["claim"].remind_at == last_day("2026-11-04")
    assert weihai["claim"].source.startswith("《威海市行政审批与监管协调联动工作机制》")
    assert anqiu["claim"].source.startswith("《安丘市行政审批与监管协调联动实施办法》")


def test_a_district_follows_its_city_and_zichuan_has_no_claim_flow() -> None:
    ingestor = RegionalIngestor(load_regions("shandong"), default_calendar())
    huancui = result(3, "weihai-approval", "weihai-drc", "371002", "WH-A1-001")  # 环翠区
    assert set(openings(ingestor, huancui)) == {"approval-push", "claim"}
    zichuan = result(4, "zichuan-approval", "zichuan-housing", "370302", "SD-SAMPLE-001")
    got = openings(ingestor, zichuan)
    assert set(got) == {"approval-push"}  # 淄川's text sets no claim obligation
    assert got["approval-push"].due_at == last_day("2026-11-05")  # 及时 → 3


def test_a_region_no_entry_covers_opens_nothing() -> None:
    ingestor = RegionalIngestor(load_regions("shandong"), default_calendar())
    stray = result(5, "anqiu-approval", "anqiu-housing", "370500", "SD-SAMPLE-001")  # 东营
    got = ingestor.ingest(audit(stray))
    assert got.openings == [] and got.answers == []
    assert got.skipped == ["region 370500 is not covered by 'shandong'"]


def test_a_regions_own_holiday_moves_only_its_deadlines(tmp_path: Path) -> None:
    (tmp_path / "anqiu-2026.yaml").write_text(
        "holidays:\n  - {date: 2026-11-04, name: 地方假日 (test)}\n", encoding="utf-8"
    )
    (tmp_path / "map.yaml").write_text(
        "name: two-cities\ntitle: 测试\nregions:\n"
        "  - {region: '371000', name: 威海市, policy: weihai, catalogue: weihai}\n"
        "  - {region: '370784', name: 安丘市, policy: anqiu, catalogue: anqiu,\n"
        "     calendar: [anqiu-2026.yaml]}\n",
        encoding="utf-8",
    )
    ingestor = RegionalIngestor(load_regions(str(tmp_path / "map.yaml")), default_calendar())
    weihai, anqiu = openings(ingestor, WEIHAI), openings(ingestor, ANQIU)
    assert weihai["claim"].due_at == last_day("2026-11-05")
    assert anqiu["claim"].due_at == last_day("2026-11-06")  # Wed 4 is off in 安丘 only
    assert ingestor.calendar_for("370784").is_working_day(date(2026, 11, 4)) is False
    assert ingestor.calendar_for("371000").is_working_day(date(2026, 11, 4)) is True
    # a reload of the national calendar keeps the region's own file on top
    reloaded = ingestor.with_calendar(default_calendar())
    assert openings(reloaded, ANQIU)["claim"].due_at == anqiu["claim"].due_at
    # and recomputing stored deadlines asks each obligation's region
    policy, cal = reloaded.rules_of("370784")  # type: ignore[misc]
    assert policy.name == "anqiu" and not cal.is_working_day(date(2026, 11, 4))
    assert reloaded.rules_of("440300") is None


def test_a_regional_ingestor_travels_to_a_decode_worker() -> None:
    """The watchdog's worker process gets the ingestor pickled: it must judge alike there."""
    import pickle

    ingestor = RegionalIngestor(load_regions("shandong"), default_calendar())
    copy = pickle.loads(pickle.dumps(ingestor))
    assert openings(copy, ANQIU) == openings(ingestor, ANQIU)
    assert copy.for_region("371082") is not None and copy.policy_names.startswith("shandong (")
