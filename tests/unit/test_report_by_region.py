"""``sgbus report --region``: one county, one city with its counties, or the province."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from sgbus.bus.calendar import CHINA_TZ
from sgbus.bus.store import make_engine, migrate
from sgbus.consumers.watchdog.ledger import apply_batch
from sgbus.monitoring.report import make_report
from tests import factories

OPENED = datetime(2026, 11, 3, 9, tzinfo=CHINA_TZ)
# debtor → region of the events it owes answers for
DEBTORS = {
    "weihai-drc": "371000",
    "rongcheng-natural-resources": "371082",  # a county-level city inside 威海
    "zichuan-housing": "370302",
    "anqiu-housing": "370784",
    "elsewhere-dept": "440300",
}


@pytest.fixture
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    migrate(engine)
    with engine.begin() as conn:
        apply_batch(
            conn,
            [
                factories.opening(f"r-{debtor}", debtor=debtor, region=region, opened_at=OPENED)
                for debtor, region in DEBTORS.items()
            ],
            [],
        )
    return engine


@pytest.mark.parametrize(
    ("region", "parties"),
    [
        (None, set(DEBTORS)),
        (
            "370000",
            {"weihai-drc", "rongcheng-natural-resources", "zichuan-housing", "anqiu-housing"},
        ),
        ("371000", {"weihai-drc", "rongcheng-natural-resources"}),
        ("370302", {"zichuan-housing"}),
        ("370300", {"zichuan-housing"}),  # 淄博 includes 淄川
        ("370700", {"anqiu-housing"}),  # 潍坊 includes 安丘
        ("410000", set()),
    ],
)
def test_report_counts_only_the_region_asked(engine, region: str | None, parties: set[str]) -> None:  # type: ignore[no-untyped-def]
    report = make_report(engine, date(2026, 11, 1), date(2026, 11, 30), OPENED, region=region)
    assert {line.party for line in report.party_totals} == parties
    assert report.total.received == len(parties)
