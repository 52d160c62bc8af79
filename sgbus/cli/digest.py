"""``sgbus digest run|send``: the working-day digest for liaison officers and oversight."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import Engine

from sgbus.bus.calendar import parse_instant
from sgbus.bus.calendar.timeutil import china_date
from sgbus.bus.settings import Settings
from sgbus.cli import _startup, app
from sgbus.cli._errors import user_errors
from sgbus.consumers.watchdog.calendars import load_calendar
from sgbus.digest.channels import configured_channels
from sgbus.digest.compose import Message
from sgbus.digest.service import DigestService, Outcome, compose_day, utc_now
from sgbus.digest.settings import DigestSettings, load_digest_settings
from sgbus.runtime.startup import check_store_url
from sgbus.runtime.stop import StopSignal

digest_app = typer.Typer(
    help="The working-day digest (每日提醒) by e-mail and SMS.", no_args_is_help=True
)
app.add_typer(digest_app, name="digest")


def _settings() -> tuple[Settings, DigestSettings]:
    settings = _startup.settings()
    with user_errors():
        return settings, load_digest_settings()


def _store(settings: Settings, digest: DigestSettings) -> Engine:
    url = digest.store_url(settings)
    source = "SGBUS_DIGEST_STORE" if digest.store else "the console's store"
    with user_errors():
        check_store_url(url, source, existing=True)
    return _startup.open_store(url, existing=True)


def _service(settings: Settings, digest: DigestSettings, stop: StopSignal) -> DigestService:
    names = {p.id: p.name for p in _startup.catalogue(settings).parties}
    with user_errors():
        calendar = load_calendar(list(settings.calendar_overrides))
    engine = _store(settings, digest)
    return DigestService(engine, digest, configured_channels(digest, stop), names, calendar)


@digest_app.command("run")
def run() -> None:
    """Send the digest every working day at SGBUS_DIGEST_SEND_AT (Asia/Shanghai) until
    SIGTERM; started after that time on a working day, it sends that day's at once."""
    from sgbus.runtime.logging import configure_logging

    settings, digest = _settings()
    if not digest.channels():
        _startup.fail("no channel: set SGBUS_DIGEST_SMTP_HOST or SGBUS_DIGEST_SMS_URL")
    configure_logging(settings.log_level, service="digest")
    stop = StopSignal().install()
    _service(settings, digest, stop).run(stop)


@digest_app.command("send")
def send(
    now: Annotated[bool, typer.Option("--now", help="send today's digest now")] = False,
    at: Annotated[
        str | None,
        typer.Option("--at", help="compose as of this instant (ISO 8601 with offset), not now"),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="print what each recipient would get; send nothing")
    ] = False,
) -> None:
    """Compose and send one day's digest, and the breach notices due to department heads,
    once (never twice to anyone: see the sent-log)."""
    if not now and at is None:
        _startup.fail("say --now (or --at INSTANT) to send a digest outside `sgbus digest run`")
    settings, digest = _settings()
    with user_errors():
        instant = parse_instant(at) if at else utc_now()
    if not dry_run and not digest.channels():
        _startup.fail("no channel: set SGBUS_DIGEST_SMTP_HOST or SGBUS_DIGEST_SMS_URL")
    service = _service(settings, digest, StopSignal())
    if at:
        service.clock = lambda: instant
    day = china_date(instant)
    if not service.calendar.is_working_day(day):
        typer.echo(f"{day} is not a working day: no digest.")
        return
    if dry_run:
        notices = [m for _, m in service.breach_notices()]
        messages = compose_day(service.engine, day, instant, service.names, digest)
        _print_plan([*messages, *notices], digest)
        return
    _print_outcomes(service.send_day(day) + service.notify_breaches())


def _print_plan(messages: list[Message], digest: DigestSettings) -> None:
    configured = ", ".join(digest.channels()) or "none configured"
    typer.echo(f"{len(messages)} digests (dry run; channels: {configured})")
    for m in messages:
        r = m.recipient
        reach = [name for name, a in (("email", r.email), ("sms", r.phone)) if a] or ["no contact"]
        typer.echo(f"\n--- to {r.username} ({m.kind.value}, {r.party}) by {', '.join(reach)}")
        typer.echo(m.text)


def _print_outcomes(outcomes: list[Outcome]) -> None:
    for o in outcomes:
        detail = f": {o.detail}" if o.detail else ""
        typer.echo(
            f"{o.message.recipient.username} {o.message.kind.value} {o.channel} {o.state}{detail}"
        )
    states = [o.state for o in outcomes]
    typer.echo(
        f"{states.count('sent')} sent, {states.count('failed')} failed,"
        f" {states.count('skipped')} already sent today"
    )
