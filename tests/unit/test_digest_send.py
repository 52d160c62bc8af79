"""Sending a day's digest from a console store: what each recipient gets, once a day at most,
working days only; the SMS channel's retries. No broker, no network."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from structlog.testing import capture_logs
from typer.testing import CliRunner

from sgbus.bus.calendar import default_calendar, parse_instant
from sgbus.bus.catalogue import example_catalogue
from sgbus.cli import _register, app
from sgbus.digest import sentlog
from sgbus.digest.channels import DeliveryFailed, SmsChannel, render
from sgbus.digest.compose import Message
from sgbus.digest.service import DigestService, compose_day, deliver
from sgbus.digest.settings import DigestSettings
from tests.fixtures.digest_seed import CREDIT_CODE, LICENSEE, week_store

_register()
NAMES = {p.id: p.name for p in example_catalogue().parties}
FRIDAY = parse_instant("2026-10-09T08:30:00+08:00")
DAY = date(2026, 10, 9)


class Recorder:
    """A channel that keeps what it was given; ``fail`` decides per recipient what happens."""

    def __init__(self, name: str = "email", fail: Callable[[Message], None] | None = None) -> None:
        self.name = name
        self.sent: list[tuple[str, str]] = []
        self._fail = fail

    def address_of(self, message: Message) -> str | None:
        r = message.recipient
        return r.email if self.name == "email" else r.phone

    def send(self, message: Message) -> None:
        if self._fail:
            self._fail(message)
        self.sent.append((message.recipient.username, message.text))


class OneRound(threading.Event):
    """A stop signal that ends the service's loop at its first wait."""

    def wait(self, timeout: float | None = None) -> bool:
        self.set()
        return True


@pytest.fixture
def store(tmp_path: Path) -> Engine:
    return week_store(tmp_path / "console.db")


def _messages(store: Engine, now: datetime = FRIDAY) -> list[Message]:
    return compose_day(store, DAY, now, NAMES, DigestSettings())


def test_each_recipient_gets_their_digest_on_each_of_their_channels(store: Engine) -> None:
    email, sms = Recorder("email"), Recorder("sms")
    outcomes = deliver(store, DAY, _messages(store), [email, sms])
    assert [u for u, _ in email.sent] == ["li.civil", "zhao.oversight"]
    assert [u for u, _ in sms.sent] == ["li.civil", "wang.housing"]
    assert {o.state for o in outcomes} == {"sent"}
    li = dict(email.sent)["li.civil"]
    assert li.splitlines()[1:5] == [
        "待认领 2 件,其中今日到期 1 件;已逾期 1 件。",
        "最紧急的事项:",
        "- WH-2026-0001 养老机构备案 期限 2026-10-08 24:00(已逾期)",
        "- WH-2026-0002 民办非企业单位成立登记 期限 2026-10-09 24:00",
    ]


def test_no_licensee_data_in_any_text(store: Engine) -> None:
    texts = [m.text for m in _messages(store)]
    assert texts and not [t for t in texts if LICENSEE in t or CREDIT_CODE in t or "威审" in t]


def test_a_second_run_the_same_day_sends_nothing(store: Engine) -> None:
    deliver(store, DAY, _messages(store), [Recorder()])
    again = Recorder()
    outcomes = deliver(store, DAY, _messages(store), [again])
    assert again.sent == [] and {o.state for o in outcomes} == {"skipped"}
    # The next working day is another day.
    nxt = Recorder()
    deliver(store, date(2026, 10, 10), _messages(store), [nxt])
    assert len(nxt.sent) == 2


def test_a_crash_mid_way_never_sends_twice_to_anyone(store: Engine) -> None:
    def crash_at_oversight(m: Message) -> None:
        if m.recipient.username == "zhao.oversight":
            raise SystemExit("killed")

    first = Recorder(fail=crash_at_oversight)
    with pytest.raises(SystemExit):
        deliver(store, DAY, _messages(store), [first])
    after = Recorder()
    deliver(store, DAY, _messages(store), [after])
    # li got it before the crash; zhao's may or may not have gone out: at most once, so not
    # again. The log says which send is in doubt.
    assert [u for u, _ in first.sent] == ["li.civil"] and after.sent == []
    with store.connect() as conn:
        states = {k.recipient: s for k, s in sentlog.states(conn, DAY).items()}
    assert states == {"li.civil": "sent", "zhao.oversight": "sending"}


def test_a_failed_delivery_is_logged_and_not_repeated(store: Engine) -> None:
    def refuse(m: Message) -> None:
        raise DeliveryFailed("SMS gateway answered 400")

    outcomes = deliver(store, DAY, _messages(store), [Recorder("sms", refuse)])
    assert {(o.message.recipient.username, o.state) for o in outcomes} == {
        ("li.civil", "failed"),
        ("wang.housing", "failed"),
    }
    with store.connect() as conn:
        assert set(sentlog.states(conn, DAY).values()) == {"failed"}


def _service(store: Engine, now: str, channel: Recorder) -> DigestService:
    moment = parse_instant(now)
    return DigestService(
        store, DigestSettings(), [channel], NAMES, default_calendar(), clock=lambda: moment
    )


@pytest.mark.parametrize(
    ("now", "sent"),
    [
        ("2026-10-01T09:00:00+08:00", 0),  # National Day
        ("2026-10-04T09:00:00+08:00", 0),  # a Sunday in the holiday
        ("2026-10-10T09:00:00+08:00", 2),  # the make-up working Saturday
        ("2026-10-11T09:00:00+08:00", 0),  # Sunday
        ("2026-10-09T08:00:00+08:00", 0),  # a working day, before 08:30
        ("2026-10-09T08:30:00+08:00", 2),
    ],
)
def test_the_service_sends_on_working_days_only(store: Engine, now: str, sent: int) -> None:
    channel = Recorder()
    _service(store, now, channel).run(OneRound())
    assert len(channel.sent) == sent


def test_a_restarted_service_does_not_send_again(store: Engine) -> None:
    first, second = Recorder(), Recorder()
    _service(store, "2026-10-09T08:30:00+08:00", first).run(OneRound())
    _service(store, "2026-10-09T11:00:00+08:00", second).run(OneRound())
    assert len(first.sent) == 2 and second.sent == []


# -- the SMS channel -------------------------------------------------------------------------


def _sms(handler: Callable[[httpx.Request], httpx.Response], **kw: object) -> SmsChannel:
    settings = DigestSettings(sms_url="http://sms.test/send", sms_backoff_s=0.01, **kw)
    return SmsChannel(settings, client=httpx.Client(transport=httpx.MockTransport(handler)))


def test_the_template_fills_phone_and_text_and_keeps_other_braces() -> None:
    t = {"to": "{phone}", "msg": "{text}", "sig": "{审管联动}"}
    assert render(t, "138", "你好") == {"to": "138", "msg": "你好", "sig": "{审管联动}"}


def test_sms_retries_a_5xx_and_a_connection_error(store: Engine) -> None:
    answers = iter(["down", 503, 200])
    bodies: list[dict[str, str]] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        answer = next(answers)
        if answer == "down":
            raise httpx.ConnectError("refused")
        return httpx.Response(int(answer))

    li = next(m for m in _messages(store) if m.recipient.username == "li.civil")
    _sms(gateway).send(li)
    assert len(bodies) == 3
    assert bodies[-1] == {"phone": "13800000001", "text": li.text}


def test_sms_gives_up_at_once_on_a_4xx_without_logging_the_phone(store: Engine) -> None:
    calls: list[httpx.Request] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(403)

    li = next(m for m in _messages(store) if m.recipient.username == "li.civil")
    with capture_logs() as logs:
        outcomes = deliver(store, DAY, [li], [_sms(gateway)])
    assert len(calls) == 1
    assert outcomes[0].state == "failed" and outcomes[0].detail == "SMS gateway answered 403"
    assert logs and "13800000001" not in repr(logs) and "li.civil" not in repr(logs)


def test_sms_gives_up_after_its_retries() -> None:
    def gateway(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502)

    channel = _sms(gateway, sms_retries=2)
    with pytest.raises(DeliveryFailed, match="answered 502"):
        channel.send(_a_message())


def test_sms_as_a_form_with_headers() -> None:
    seen: list[httpx.Request] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    template = {"mobile": "{phone}", "content": "{text}", "sign": "审管联动"}
    _sms(gateway, sms_body="form", sms_template=template, sms_headers={"X-Key": "k"}).send(
        _a_message()
    )
    (request,) = seen
    assert request.headers["X-Key"] == "k"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    form = httpx.QueryParams(request.content.decode())
    assert form["mobile"] == "1" and form["sign"] == "审管联动" and form["content"] == "s\nb"


def _a_message() -> Message:
    from sgbus.digest.compose import Kind, Recipient

    return Message(Recipient("u", "p", "officer", phone="1"), Kind.OFFICER, "s", "b")


# -- the command ------------------------------------------------------------------------------


def test_send_dry_run_prints_each_recipients_digest(
    store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SGBUS_DIGEST_STORE", str(store.url))
    at = ["digest", "send", "--dry-run", "--at", "2026-10-09T08:30:00+08:00"]
    result = CliRunner().invoke(app, at)
    assert result.exit_code == 0, result.output
    assert "3 digests (dry run; channels: none configured)" in result.stdout
    assert "--- to wang.housing (officer, weihai-housing) by sms" in result.stdout
    assert "13800000002" not in result.stdout
    with store.connect() as conn:
        assert sentlog.states(conn, DAY) == {}  # a dry run sends and records nothing
    holiday = CliRunner().invoke(app, [*at[:-1], "2026-10-01T09:00:00+08:00"])
    assert holiday.stdout == "2026-10-01 is not a working day: no digest.\n"
    bare = CliRunner().invoke(app, ["digest", "send"])
    assert bare.exit_code == 2 and "--now" in bare.output
