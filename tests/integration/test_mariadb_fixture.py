"""The throw-away MariaDB server (tests/fixtures/mariadb.py): Chinese text and 4-byte characters
survive a round trip, each test has a database of its own, and accounts need their password."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, inspect, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError

NAMES = ["威海市市场监督管理局", "𠀀", "荣成市行政审批服务局𠀀"]

#: Databases handed out so far in this module: no two tests may share one.
_seen: list[str] = []


@pytest.fixture
def engine(mariadb_url: str) -> Iterator[Engine]:
    """An engine on the test's database, which must be empty and new to this module."""
    eng = create_engine(mariadb_url)
    try:
        database = make_url(mariadb_url).database
        assert database and database not in _seen
        assert inspect(eng).get_table_names() == []
        _seen.append(database)
        yield eng
    finally:
        eng.dispose()


def test_chinese_and_four_byte_text_round_trips(engine: Engine) -> None:
    bureaus = Table(
        "bureaus",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("name", String(100), nullable=False),
    )
    bureaus.create(engine)
    with engine.begin() as conn:
        conn.execute(bureaus.insert(), [{"name": n} for n in NAMES])
    with engine.connect() as conn:
        assert conn.execute(select(bureaus.c.name).order_by(bureaus.c.id)).scalars().all() == NAMES
        charset = conn.exec_driver_sql(
            "SELECT character_set_name FROM information_schema.columns"
            " WHERE table_schema = DATABASE() AND table_name = 'bureaus' AND column_name = 'name'"
        ).scalar_one()
    assert charset == "utf8mb4"


@pytest.mark.parametrize("attempt", [1, 2])
def test_each_test_gets_a_fresh_database(engine: Engine, attempt: int) -> None:
    # The checks are in the fixture (empty, never seen); here the database is made non-empty,
    # so a database shared with a later test would fail that test.
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE left_by_attempt_{attempt} (id INT PRIMARY KEY)")
    assert inspect(engine).get_table_names() == [f"left_by_attempt_{attempt}"]


def test_the_account_needs_its_password(mariadb_url: str) -> None:
    wrong = make_url(mariadb_url).set(password="not-the-password")
    eng = create_engine(wrong)
    try:
        with pytest.raises(OperationalError, match="1045"), eng.connect():
            pass
    finally:
        eng.dispose()
