"""The connector SDK without a broker: configuration, discovery, the webhook sink's wire
format (checked with the reference Standard Webhooks and CloudEvents libraries), its answers to
each HTTP status, and the errant-record reporter."""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from cloudevents.v1.http import from_http
from standardwebhooks import Webhook

from sgbus.bus.catalogue import example_catalogue
from sgbus.bus.events import ApprovalResult, DeadLetterReason
from sgbus.bus.settings import Settings
from sgbus.bus.store import make_engine, migrate
from sgbus.bus.yamldoc import SourceError
from sgbus.connectors import registry
from sgbus.connectors.api import ConnectorContext, InboxRecord, TargetUnavailable
from sgbus.connectors.config import load_config, safe_dump
from sgbus.connectors.errant import ErrantRecordError, ErrantReporter
from sgbus.connectors.state import ConnectorState
from sgbus.connectors.webhook import CONNECTOR, cloudevents, signing
from sgbus.connectors.webhook.config import WebhookConfig
from sgbus.connectors.webhook.sink import WebhookSink
from sgbus.demo.synthetic import approval_result
from sgbus.runtime.faults import TransientError, is_transient

PARTY = "weihai-health"


def an_event(seed: int = 1) -> ApprovalResult:
    return approval_result(
        example_catalogue().matter("WH-A1-001"),
        seed,
        sender="weihai-approval",
        region="371000",
        decided_at=dt.datetime(2026, 9, 30, 8, tzinfo=dt.UTC),
        rng=random.Random(seed),
    )


def a_record(seed: int = 1, offset: int = 0) -> InboxRecord:
    event = an_event(seed)
    return InboxRecord(
        event,
        str(event.envelope.event_id),
        "ApprovalResult",
        f"sg.{PARTY}.inbox",
        0,
        offset,
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    )


# -- signatures and CloudEvents ---------------------------------------------------------------


def test_signatures_verify_with_the_reference_library_both_ways() -> None:
    secret = signing.new_secret()
    key = signing.secret_key(secret)
    body = b'{"hello":"\xe4\xb8\x96\xe7\x95\x8c"}'
    ours = signing.headers(key, "evt-1", body)
    assert Webhook(secret).verify(body, ours) == {"hello": "世界"}
    now = int(time.time())
    theirs = Webhook(secret).sign("evt-2", dt.datetime.fromtimestamp(now, dt.UTC), body.decode())
    received = {"webhook-id": "evt-2", "webhook-timestamp": str(now), "webhook-signature": theirs}
    assert signing.verify(key, received, body) == "evt-2"


@pytest.mark.parametrize(
    "change",
    [
        {"webhook-id": "another"},
        {"webhook-timestamp": "1000"},
        {"webhook-signature": "v1,AAAA"},
        {"webhook-signature": ""},
    ],
)
def test_a_changed_request_is_refused(change: dict[str, str]) -> None:
    key = signing.secret_key(signing.new_secret())
    good = signing.headers(key, "evt-1", b"{}")
    with pytest.raises(signing.BadSignature):
        signing.verify(key, {**good, **change}, b"{}")
    with pytest.raises(signing.BadSignature):
        signing.verify(key, good, b"{ }")


@pytest.mark.parametrize("bad", ["abc", "whsec_***", "whsec_" + "QQ=="])
def test_a_malformed_secret_is_named_without_echoing_it(bad: str) -> None:
    with pytest.raises(ValueError, match="webhook secret") as caught:
        signing.secret_key(bad)
    assert bad not in str(caught.value)


def test_an_inbox_item_is_a_structured_cloud_event_with_the_event_as_data() -> None:
    record = a_record()
    body = cloudevents.body_of(record)
    ce = from_http({"content-type": cloudevents.CONTENT_TYPE}, body)
    assert ce["id"] == record.event_id
    assert ce["type"] == "cn.gov.sgbus.ApprovalResult"
    assert ce["source"] == "urn:sgbus:party:weihai-approval"
    assert ce["subject"] == record.event.envelope.case_key
    assert json.loads(body)["traceparent"] == record.traceparent
    assert ApprovalResult.model_validate(ce.get_data()) == record.event
    assert "威审批" in body.decode()  # Chinese as UTF-8, not \u escapes


# -- configuration ----------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "webhook.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_config_errors_name_file_line_and_field_never_the_value(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"party: {PARTY}\nurl: http://127.0.0.1:9/h\nsecret: whsec_TOPSECRET!\nbatch_size: -3\n",
    )
    with pytest.raises(SourceError) as caught:
        load_config(path, WebhookConfig, "webhook")
    text = str(caught.value)
    assert "webhook.yaml" in text and "line 3: secret" in text and "line 4: batch_size" in text
    assert "TOPSECRET" not in text


def test_a_secret_may_come_from_the_environment_and_is_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = signing.new_secret()
    monkeypatch.setenv("SGBUS_CONNECTOR_SECRET", secret)
    config = load_config(
        write(tmp_path, f"party: {PARTY}\nurl: http://127.0.0.1:9/h\n"), WebhookConfig, "webhook"
    )
    assert config.secret.get_secret_value() == secret
    assert secret not in json.dumps(safe_dump(config)) and secret not in repr(config)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not found"):
        load_config(tmp_path / "nope.yaml", WebhookConfig, "webhook")


# -- discovery --------------------------------------------------------------------------------


class FakeEntryPoint:
    def __init__(self, name: str, value: str, loaded: Any) -> None:
        self.name, self.value, self._loaded = name, value, loaded
        self.dist = type("Dist", (), {"name": f"dist-of-{name}"})()

    def load(self) -> Any:
        if isinstance(self._loaded, Exception):
            raise self._loaded
        return self._loaded


def test_installed_connectors_are_found_and_broken_ones_listed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = registry.ConnectorSpec("x", "sink", WebhookConfig, WebhookSink, "a third party's")
    eps = [
        FakeEntryPoint("ledger", "ledger:CONNECTOR", other),
        FakeEntryPoint("broken", "broken:CONNECTOR", ImportError("no module named broken")),
        FakeEntryPoint("webhook", "evil:CONNECTOR", other),
        FakeEntryPoint("notaspec", "n:CONNECTOR", object()),
    ]
    monkeypatch.setattr(registry, "entry_points", lambda group: eps)
    found, broken = registry.discover()
    assert found["ledger"].origin == "dist-of-ledger" and found["ledger"].name == "ledger"
    assert found["webhook"] is CONNECTOR  # a package cannot replace a built-in
    assert {b.name: b.error for b in broken} == {
        "broken": "ImportError: no module named broken",
        "webhook": "name taken by a built-in connector",
        "notaspec": "entry point is not a ConnectorSpec",
    }
    with pytest.raises(registry.UnknownConnector, match="broken: ImportError"):
        registry.connector_named("broken")
    with pytest.raises(registry.UnknownConnector, match="known: file-drop, ledger, sql-claims"):
        registry.connector_named("nothing")


# -- the webhook sink's answers ---------------------------------------------------------------


class Reported:
    def __init__(self) -> None:
        self.records: list[tuple[str, str]] = []

    def report_inbox(self, record: InboxRecord, reason: str) -> None:
        self.records.append((record.event_id, reason))


def webhook_sink(handler: Any, reported: Reported | None = None) -> WebhookSink:
    config = WebhookConfig(party=PARTY, url="http://receiver.test/h", secret=signing.new_secret())
    context = ConnectorContext("webhook", PARTY, Settings(), threading.Event(), reported)  # type: ignore[arg-type]
    sink = WebhookSink(config, context)
    sink.transport = httpx.MockTransport(handler)
    sink.open()
    return sink


def test_delivered_items_are_not_sent_again_when_a_batch_is_retried() -> None:
    seen: list[str] = []
    answers = iter([204, 503, 204, 204])

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["webhook-id"])
        return httpx.Response(next(answers))

    sink = webhook_sink(handler)
    batch = [a_record(1, 0), a_record(2, 1)]
    with pytest.raises(TargetUnavailable) as caught:
        sink.put(batch)
    assert is_transient(caught.value)
    sink.put(batch)  # the runtime offers the same batch again
    sink.flush()
    sink.put(batch[:1])  # after a flush, a redelivery is sent again (the receiver dedupes)
    ids = [r.event_id for r in batch]
    assert seen == [ids[0], ids[1], ids[1], ids[0]]


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503])
def test_an_overloaded_or_failing_receiver_is_waited_for(status: int) -> None:
    sink = webhook_sink(lambda _r: httpx.Response(status))
    with pytest.raises(TargetUnavailable, match=str(status)):
        sink.put([a_record()])


def test_an_unreachable_receiver_is_waited_for() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(TargetUnavailable, match="ConnectError"):
        webhook_sink(refuse).put([a_record()])


@pytest.mark.parametrize("status", [400, 401, 404, 413, 422])
def test_a_refused_item_is_reported_and_the_batch_goes_on(status: int) -> None:
    reported = Reported()
    statuses = {a_record(1).event_id: status}
    sink = webhook_sink(
        lambda r: httpx.Response(statuses.get(r.headers["webhook-id"], 200)), reported
    )
    sink.put([a_record(1), a_record(2)])
    assert reported.records == [(a_record(1).event_id, f"webhook answered HTTP {status}")]


# -- the errant-record reporter ---------------------------------------------------------------


class FakeProducer:
    def __init__(self, fail: str | None = None) -> None:
        self.produced: list[dict[str, Any]] = []
        self.fail = fail

    def produce(self, topic: str, **kw: Any) -> None:
        self.produced.append({"topic": topic, **kw})

    def flush(self, _timeout: float) -> int:
        for p in self.produced:
            err = type("E", (), {"name": lambda _s: self.fail})() if self.fail else None
            p["on_delivery"](err, None)
        return 0

    def poll(self, _t: float) -> int:
        return 0


class PlainSerde:
    def encode(self, event: Any, _topic: str) -> bytes:
        return event.model_dump_json().encode()


def reporter(tmp_path: Path, producer: FakeProducer, tolerance: str = "all") -> ErrantReporter:
    engine = make_engine(f"sqlite:///{tmp_path / 'state.db'}")
    migrate(engine)
    state = ConnectorState(engine, "webhook")
    return ErrantReporter("webhook", PARTY, producer, PlainSerde(), state, tolerance)  # type: ignore[arg-type]


def test_a_dead_letter_is_stored_once_with_its_position_and_no_payload(tmp_path: Path) -> None:
    producer = FakeProducer()
    errant = reporter(tmp_path, producer)
    record = a_record(offset=7)
    for _retry in range(2):  # the same batch read twice: the same dead letter
        errant.report_inbox(record, "webhook answered HTTP 422")
        errant.flush()
    first, second = (json.loads(p["value"]) for p in producer.produced)
    assert first["envelope"]["event_id"] == second["envelope"]["event_id"]
    assert first["original_offset"] == 7 and first["original_value"] is None
    assert first["service"] == "connector:webhook" and first["envelope"]["sender"] == PARTY
    assert first["envelope"]["causation_id"] == record.event_id
    (kept,) = errant._state.errants()
    assert (kept.offset, kept.reason_code, kept.event_id) == (7, "OTHER", record.event_id)


def test_unacknowledged_dead_letters_are_a_transient_fault_and_not_remembered(
    tmp_path: Path,
) -> None:
    errant = reporter(tmp_path, FakeProducer(fail="_MSG_TIMED_OUT"))
    errant.report_undecodable(
        f"sg.{PARTY}.inbox", 0, 3, None, "bad bytes", DeadLetterReason.UNDECODABLE.value
    )
    with pytest.raises(TransientError, match="_MSG_TIMED_OUT"):
        errant.flush()
    assert errant._state.errants() == [] and errant.pending == 0


def test_with_no_tolerance_a_refused_record_stops_the_connector(tmp_path: Path) -> None:
    errant = reporter(tmp_path, FakeProducer(), tolerance="none")
    with pytest.raises(ErrantRecordError, match="HTTP 400"):
        errant.report_inbox(a_record(), "webhook answered HTTP 400")


def test_error_answers_are_retried_then_dead_lettered_after_max_attempts() -> None:
    reported = Reported()
    sink = webhook_sink(lambda _r: httpx.Response(500), reported)
    sink.config = sink.config.model_copy(update={"max_attempts": 3})
    for _attempt in range(2):
        with pytest.raises(TargetUnavailable):
            sink.put([a_record()])
    sink.put([a_record()])
    assert reported.records == [(a_record().event_id, "webhook answered HTTP 500 3 times")]


def test_during_a_rotation_every_secret_signs() -> None:
    old, new = signing.new_secret(), signing.new_secret()
    keys = [signing.secret_key(new), signing.secret_key(old)]
    sent = signing.headers(keys, "evt-9", b"{}")
    assert len(sent["webhook-signature"].split()) == 2
    for secret in (old, new):
        assert signing.verify(signing.secret_key(secret), sent, b"{}") == "evt-9"
        Webhook(secret).verify(b"{}", sent)


def test_the_operators_replay_points_a_connector_dead_letter_to_its_connector(
    tmp_path: Path,
) -> None:
    from sgbus.bus.deadletters import NotReplayable, replay_record
    from sgbus.bus.events import DeadLetter

    producer = FakeProducer()
    errant = reporter(tmp_path, producer)
    errant.report_inbox(a_record(), "webhook answered HTTP 422")
    errant.flush()
    dead = DeadLetter.model_validate_json(producer.produced[0]["value"])
    with pytest.raises(NotReplayable, match="sgbus connector replay webhook --config"):
        replay_record(dead)
