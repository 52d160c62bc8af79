"""Unreadable audit records become dead letters in the transaction that stores the offsets;
a registry that cannot be asked makes none (no broker; a SQLite file)."""

from __future__ import annotations

from pathlib import Path

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from sqlalchemy import Engine, select

from sgbus.bus import headers as h
from sgbus.bus.calendar import default_calendar
from sgbus.bus.events import DeadLetter, DeadLetterReason
from sgbus.bus.obligations.ingest import Ingestor
from sgbus.bus.parties import DEAD_LETTER_TOPIC
from sgbus.bus.policy import load_preset
from sgbus.bus.serde import RegistryUnavailable, Serde, build_serde
from sgbus.bus.store import make_engine, migrate
from sgbus.bus.store.offsets import load_offsets
from sgbus.bus.store.tables import outbox
from sgbus.consumers.watchdog.audit import RawRecord, outcome_messages
from sgbus.consumers.watchdog.batch_apply import apply_interpreted
from sgbus.consumers.watchdog.deadletters import dead_letter_id, dead_letters_for
from sgbus.consumers.watchdog.interpret import interpret
from sgbus.runtime.faults import TransientError
from tests.watchdog_kit import Scene, at, audit_headers, city_catalogue

TOPIC = "sg.audit"
GROUP = "t-dead-letters"


def _ingestor() -> Ingestor:
    return Ingestor(load_preset("anqiu"), default_calendar(), city_catalogue("anqiu"))


def _records(serde: Serde) -> list[RawRecord]:
    ev = Scene("anqiu").approval_result("dl-1", at("2026-11-02"))
    good = serde.encode(ev, TOPIC)
    key = ev.envelope.case_key.encode()
    return [
        RawRecord(TOPIC, 0, 10, good, audit_headers(ev), key, 1_700_000_000_000),
        RawRecord(TOPIC, 0, 11, b"\x00garbage", [(h.EVENT_ID, b"x")], b"k-11"),
        RawRecord(TOPIC, 0, 12, None, None, b"k-12"),
    ]


@pytest.fixture(scope="module")
def offline() -> Serde:
    return build_serde(None)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    e = make_engine(f"sqlite:///{tmp_path / 'wd.db'}")
    migrate(e)
    return e


def _apply(engine: Engine, serde: Serde, records: list[RawRecord]) -> None:
    items = interpret(records, serde, _ingestor())
    with engine.begin() as conn:
        apply_interpreted(
            conn,
            GROUP,
            TOPIC,
            items,
            {},
            lambda outs: outcome_messages(outs, serde, default_calendar(), "sg.watchdog.outbox"),
            dead_letters_for(serde, records),
        )


def test_an_unreadable_record_is_a_dead_letter_written_with_the_offsets(
    engine: Engine, offline: Serde
) -> None:
    serde = offline
    records = _records(serde)
    _apply(engine, serde, records)
    with engine.connect() as conn:
        rows = conn.execute(select(outbox).where(outbox.c.topic == DEAD_LETTER_TOPIC)).all()
        stored = load_offsets(conn, GROUP)
    assert stored == {(TOPIC, 0): 13}  # past all three: none is left behind, none skipped
    assert sorted(r.event_id for r in rows) == sorted(dead_letter_id(r) for r in records[1:])
    letters = {r.event_id: (r, serde.decode(r.value, DEAD_LETTER_TOPIC)) for r in rows}
    for raw in records[1:]:
        row, dead = letters[dead_letter_id(raw)]
        assert isinstance(dead, DeadLetter)
        assert dead.reason_code is DeadLetterReason.UNDECODABLE
        assert (dead.original_topic, dead.original_partition, dead.original_offset) == (
            TOPIC,
            0,
            raw.offset,
        )
        assert dead.original_value is None and dead.original_key == raw.key  # not kept
        marks = [(k.key, k.value) for k in dead.original_headers]  # no header of the record
        assert marks == ([(h.PAYLOAD_DROPPED, b"1")] if raw.value is not None else [])
        assert dead.service == "watchdog" and dead.envelope.sender == "watchdog"
        assert row.key == raw.key
        assert f"[0]@{raw.offset}" in dead.reason  # where, never what
    # Applied again (a crash before the commit was noticed): the same rows, nothing more.
    _apply(engine, serde, records)
    with engine.connect() as conn:
        again = conn.execute(select(outbox).where(outbox.c.topic == DEAD_LETTER_TOPIC)).all()
    assert len(again) == 2


def test_a_schema_id_the_registry_does_not_know_is_an_unknown_schema_dead_letter(
    engine: Engine,
) -> None:
    serde = build_serde("mock://watchdog-dead-letters")
    unknown = RawRecord(TOPIC, 1, 5, b"\x00\x00\x00\x03\x07" + b"\x00" * 8, None, b"k")
    [item] = interpret([unknown], serde, _ingestor())
    assert item.dead_letter is DeadLetterReason.UNKNOWN_SCHEMA
    _apply(engine, serde, [unknown])
    with engine.connect() as conn:
        [row] = conn.execute(select(outbox).where(outbox.c.topic == DEAD_LETTER_TOPIC)).all()
    assert row.event_id == dead_letter_id(unknown)
    assert '"sgbus-dlq-reason": "UNKNOWN_SCHEMA"' in row.headers  # the contract's code


def test_an_unreachable_registry_fails_the_whole_batch_instead_of_a_dead_letter() -> None:
    # Garbage first: it is unreadable whatever the registry says; the framed record after it
    # may be good, so the batch is not interpreted at all (and retried) rather than passed.
    framed = RawRecord(TOPIC, 0, 21, b"\x00\x00\x00\x00\x07" + b"\x00" * 8, None)
    garbage = RawRecord(TOPIC, 0, 20, b"\x00garbage", None)
    # Nothing listens on the discard port; no retries, to keep the test fast.
    down = build_serde(
        registry_client=SchemaRegistryClient({"url": "http://127.0.0.1:9", "max.retries": 0})
    )
    with pytest.raises(RegistryUnavailable):
        interpret([garbage, framed], down, _ingestor())


def test_a_registry_refusing_the_dead_letter_schema_is_waited_out_not_passed() -> None:
    serde = build_serde("mock://watchdog-no-dead-letter-schema", auto_register=False)
    garbage = RawRecord(TOPIC, 0, 30, b"\x00garbage", None, b"k")
    [item] = interpret([garbage], serde, _ingestor())
    with pytest.raises(TransientError) as info:
        dead_letters_for(serde, [garbage])([item])
    assert info.value.source == "registry"
