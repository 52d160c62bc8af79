"""Dead letters you can act on: selection, rows without payload, replay records; no broker."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from typer.testing import CliRunner

from sgbus.bus import headers as h
from sgbus.bus.catalogue import example_catalogue
from sgbus.bus.deadletters import (
    NotReplayable,
    Selection,
    in_original_order,
    parse_reason,
    parse_since,
    replay_record,
    row_of,
)
from sgbus.bus.events import DeadLetter, DeadLetterReason, KafkaHeader
from sgbus.bus.serde import Serde, build_serde
from sgbus.demo.synthetic import approval_result
from tests.golden_data import golden_event

NOW = dt.datetime(2026, 10, 1, 12, tzinfo=dt.UTC)
CAT = example_catalogue()


@pytest.fixture(scope="module")
def serde() -> Serde:
    return build_serde(None)


def letter(**changes: object) -> DeadLetter:
    dead = golden_event("DeadLetter")
    assert isinstance(dead, DeadLetter)
    return dead.model_copy(update=changes)


def test_reason_codes_in_either_spelling() -> None:
    assert parse_reason("validation-failed") is DeadLetterReason.VALIDATION_FAILED
    assert parse_reason("UNKNOWN_SCHEMA") is DeadLetterReason.UNKNOWN_SCHEMA
    with pytest.raises(ValueError, match="known: UNDECODABLE, UNKNOWN_SCHEMA"):
        parse_reason("forged")


def test_since_takes_a_duration_or_an_instant_with_offset() -> None:
    assert parse_since("90m", NOW) == NOW - dt.timedelta(minutes=90)
    assert parse_since("2d", NOW) == NOW - dt.timedelta(days=2)
    at = parse_since("2026-09-30T08:00:00+08:00", NOW)
    assert at == dt.datetime(2026, 9, 30, 0, tzinfo=dt.UTC)
    for bad in ("2026-09-30T08:00:00", "yesterday", "5w"):
        with pytest.raises(ValueError, match="--since"):
            parse_since(bad, NOW)


def test_selection_by_reason_time_and_id() -> None:
    dead = letter()
    failed = dead.failed_at
    assert Selection().matches(dead)
    assert Selection(reason=DeadLetterReason.VALIDATION_FAILED).matches(dead)
    assert not Selection(reason=DeadLetterReason.UNDECODABLE).matches(dead)
    assert Selection(since=failed).matches(dead)
    assert not Selection(since=failed + dt.timedelta(seconds=1)).matches(dead)
    assert Selection(dead_letter_id=str(dead.envelope.event_id)).matches(dead)
    assert not Selection(dead_letter_id="another").matches(dead)


def test_row_shows_where_when_why_and_the_event_type_but_no_payload(serde: Serde) -> None:
    result = approval_result(
        CAT.matter("WH-A1-001"),
        3,
        sender="weihai-approval",
        region="371000",
        decided_at=NOW,
        rng=random.Random(3),
    )
    value = serde.encode(result, "sg.weihai-approval.outbox")
    dead = letter(original_value=value)
    row = row_of(dead, serde)
    assert row.event_type == "ApprovalResult"
    assert row.reason_code == "VALIDATION_FAILED" and row.original_offset == 1024
    assert not row.replayed
    shown = " ".join(str(v) for v in row.__dict__.values())
    assert result.licensee.name not in shown and "original_value" not in row.__dict__
    assert row_of(letter(), serde).event_type is None  # the golden original does not decode


def test_row_says_when_a_replay_of_its_event_was_delivered(serde: Serde) -> None:
    dead = letter()
    assert row_of(dead, serde, {str(dead.envelope.causation_id)}).replayed


def test_replay_record_is_the_original_marked_as_a_replay() -> None:
    dead = letter(
        original_headers=[
            KafkaHeader(key="traceparent", value=b"00-abc"),
            KafkaHeader(key=h.REPLAY_OF, value=b"an-earlier-dead-letter"),
        ]
    )
    rec = replay_record(dead)
    assert rec.topic == "sg.weihai-approval.outbox"
    assert (rec.key, rec.value) == (dead.original_key, dead.original_value)
    assert rec.headers == [
        ("traceparent", b"00-abc"),
        (h.REPLAY_OF, str(dead.envelope.event_id).encode()),
    ]


def test_only_outbox_records_with_a_value_are_replayable() -> None:
    with pytest.raises(NotReplayable, match="no value"):
        replay_record(letter(original_value=None))
    with pytest.raises(NotReplayable, match="not an outbox"):
        replay_record(letter(original_topic="sg.audit"))


def test_replays_keep_the_order_the_originals_were_read_in() -> None:
    a = letter(original_partition=1, original_offset=9)
    b = letter(original_partition=0, original_offset=5)
    c = letter(original_partition=1, original_offset=2)
    assert in_original_order([a, b, c]) == [b, c, a]


def test_replay_needs_a_reason_or_an_id() -> None:
    from sgbus.cli import _register, app

    _register()
    out = CliRunner().invoke(app, ["deadletter", "replay"])
    assert out.exit_code == 2 and "either --reason or --id" in out.output
    out = CliRunner().invoke(app, ["deadletter", "list", "--since", "last week"])
    assert out.exit_code == 2 and "--since" in out.output


def test_the_list_names_the_party_of_the_topic_read_from() -> None:
    from rich.console import Console

    from sgbus.bus.deadletters import Row
    from sgbus.cli.deadletter import _table

    at = dt.datetime(2026, 11, 2, 1, tzinfo=dt.UTC)
    rows = [
        Row(
            "d1",
            at,
            "validation-failed",
            "bad field",
            "sg.weihai-housing.outbox",
            0,
            7,
            None,
            False,
        ),
        Row("d2", at, "validation-failed", "bad field", "sg.audit", 0, 8, None, False),
    ]
    console = Console(width=200, record=True)
    console.print(_table(rows, example_catalogue().names))
    text = console.export_text()
    assert "sg.weihai-housing.outbox" in text and "威海市住房和城乡建设局" in text
    assert text.count("威海市") == 1  # the bus's own topic names no party
