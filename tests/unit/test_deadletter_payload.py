"""Dead letters at rest: the refused payload kept Fernet-encrypted or not at all, never a
sender's header; the key from settings or the stack's key file (0600); no broker."""

from __future__ import annotations

import datetime as dt
import random
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from sgbus.bus import headers as h
from sgbus.bus.catalogue import example_catalogue
from sgbus.bus.deadletter_payload import (
    DROP,
    PayloadNotKept,
    PayloadPolicy,
    PayloadUnreadable,
    load_key,
    original_payload,
    payload_policy,
    reading_key,
)
from sgbus.bus.deadletters import NotReplayable, replay_record, row_of
from sgbus.bus.events import DeadLetter, DeadLetterReason
from sgbus.bus.parties import DEAD_LETTER_TOPIC
from sgbus.bus.serde import Serde, build_serde
from sgbus.bus.settings import Settings
from sgbus.consumers.router.directory import CatalogueDirectory
from sgbus.consumers.router.process import route_record
from sgbus.consumers.router.records import InRecord, OutRecord
from sgbus.consumers.watchdog.audit import RawRecord
from sgbus.consumers.watchdog.deadletters import dead_letter_message
from sgbus.demo.synthetic import approval_result

CAT = example_catalogue()
DIRECTORY = CatalogueDirectory(CAT)
OUTBOX = "sg.weihai-approval.outbox"
SENDER_HEADERS = {
    "traceparent": "00-abc",
    "x-officer-phone": "13800000000",
    h.UNASSIGNED: "1",
    h.EVENT_ID: "forged",
}
FERNET = Fernet(Fernet.generate_key())


@pytest.fixture(scope="module")
def serde() -> Serde:
    return build_serde(None)


def refused(serde: Serde, payload: PayloadPolicy) -> tuple[bytes, OutRecord, DeadLetter]:
    """An approval result sent to a party that does not exist: dead-lettered."""
    event = approval_result(
        CAT.matter("WH-A1-001"), 3, sender="weihai-approval", region="371000",
        decided_at=dt.datetime(2026, 9, 30, tzinfo=dt.UTC), rng=random.Random(3),
        recipients=["ghost-dept"],
    )  # fmt: skip
    value = serde.encode(event, OUTBOX)
    rec = InRecord(OUTBOX, 0, 5, b"k", value, dict(SENDER_HEADERS))
    routed = route_record(rec, serde, DIRECTORY, payload=payload)
    out = routed.out[0]
    assert out.topic == DEAD_LETTER_TOPIC
    dead = serde.decode(out.value, DEAD_LETTER_TOPIC)
    assert isinstance(dead, DeadLetter)
    return value, out, dead


def no_sender_header(out: OutRecord, dead: DeadLetter) -> None:
    kept = {k.key for k in dead.original_headers} | set(out.headers)
    assert not {"traceparent", "x-officer-phone", h.UNASSIGNED} & kept
    assert out.headers[h.EVENT_ID] == str(dead.envelope.event_id)  # the router's own
    assert b"13800000000" not in out.value


def test_the_router_keeps_a_refused_payload_only_encrypted(serde: Serde) -> None:
    value, out, dead = refused(serde, PayloadPolicy(FERNET))
    assert dead.original_value is not None and value not in dead.original_value
    assert out.headers[h.PAYLOAD_ENCRYPTED] == "fernet"
    assert original_payload(dead, FERNET) == value
    no_sender_header(out, dead)


def test_the_router_drops_a_refused_payload_in_drop_mode(serde: Serde) -> None:
    _value, out, dead = refused(serde, DROP)
    assert dead.original_value is None and out.headers[h.PAYLOAD_DROPPED] == "1"
    with pytest.raises(PayloadNotKept, match="not kept"):
        original_payload(dead, FERNET)
    no_sender_header(out, dead)


def test_another_key_or_no_key_cannot_read_the_payload(serde: Serde) -> None:
    _value, _out, dead = refused(serde, PayloadPolicy(FERNET))
    with pytest.raises(PayloadUnreadable, match="another key"):
        original_payload(dead, Fernet(Fernet.generate_key()))
    with pytest.raises(PayloadUnreadable, match="no key"):
        original_payload(dead, None)


def test_a_dead_letter_from_before_encryption_is_read_as_it_is(serde: Serde) -> None:
    _value, _out, dead = refused(serde, DROP)
    legacy = dead.model_copy(update={"original_value": b"plain", "original_headers": []})
    assert original_payload(legacy, None) == b"plain"


def test_replay_decrypts_and_sends_no_sender_header(serde: Serde) -> None:
    value, _out, dead = refused(serde, PayloadPolicy(FERNET))
    rec = replay_record(dead, FERNET)
    assert rec.value == value and rec.topic == OUTBOX
    assert rec.headers == [(h.REPLAY_OF, str(dead.envelope.event_id).encode())]
    row = row_of(dead, serde, fernet=FERNET)
    assert (row.event_type, row.payload) == ("ApprovalResult", "encrypted")
    assert row_of(dead, serde).event_type is None  # without the key: no type, no error


def test_replay_of_a_dropped_payload_says_it_was_not_kept(serde: Serde) -> None:
    _value, _out, dead = refused(serde, DROP)
    with pytest.raises(NotReplayable, match="payload was not kept"):
        replay_record(dead, FERNET)
    assert row_of(dead, serde).payload == "dropped"


def test_the_watchdog_keeps_an_unreadable_audit_record_encrypted_without_headers(
    serde: Serde,
) -> None:
    raw = RawRecord("sg.audit", 0, 9, b"\x00garbage", [("traceparent", b"t")], key=b"k")
    message = dead_letter_message(
        serde, raw, DeadLetterReason.UNDECODABLE, "bad bytes", PayloadPolicy(FERNET)
    )
    dead = serde.decode(message.value, DEAD_LETTER_TOPIC)
    assert isinstance(dead, DeadLetter)
    assert original_payload(dead, FERNET) == b"\x00garbage"
    assert "traceparent" not in message.headers
    assert [k.key for k in dead.original_headers] == [h.PAYLOAD_ENCRYPTED]


def test_drop_mode_needs_no_key(tmp_path: Path) -> None:
    settings = Settings(stack_dir=tmp_path, deadletter_payload="drop")
    assert payload_policy(settings) is DROP
    assert not (tmp_path / "identity").exists()
    assert reading_key(settings) is None


def test_encrypted_mode_creates_one_private_key_file(tmp_path: Path) -> None:
    settings = Settings(stack_dir=tmp_path)
    assert reading_key(settings) is None  # tools never create a key
    key = load_key(settings)
    path = tmp_path / "identity" / "deadletter.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_key(settings) == key and Fernet(key)  # the same key again
    sealed = payload_policy(settings).seal(b"x")[0]
    assert sealed is not None
    fernet = reading_key(settings)
    assert fernet is not None and fernet.decrypt(sealed) == b"x"


def test_a_loose_key_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "identity" / "deadletter.key"
    path.parent.mkdir()
    path.write_bytes(Fernet.generate_key())
    path.chmod(0o644)
    load_key(Settings(stack_dir=tmp_path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_configured_key_wins_and_no_file_is_made(tmp_path: Path) -> None:
    key = Fernet.generate_key()
    settings = Settings(stack_dir=tmp_path, deadletter_key=SecretStr(key.decode()))
    assert load_key(settings) == key
    assert not (tmp_path / "identity").exists()
    assert key.decode() not in repr(settings)  # a secret, never printed
