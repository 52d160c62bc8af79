"""``sgbus transfer``, ``sgbus dispute``, ``sgbus rule``, ``sgbus urge`` and ``sgbus answer``:
the officers' actions on an item, published as the acting party.

A department transfers or disputes an item of its own inbox store (``sgbus department run``
keeps it); the oversight office rules on a dispute in its own store, and urges a department on
an obligation of the watchdog's store (``sgbus obligations`` lists them). A department answers
a 函询 of its store with one of the fixed answers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from sgbus.bus.events import Event
from sgbus.cli import _startup, app

_PARTY = Annotated[str, typer.Option("--party", help="The acting party's id.")]
_DB = Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL of the party's store.")]
_BY = Annotated[str | None, typer.Option("--by", help="Name of the officer who acts.")]
_REASON = Annotated[str, typer.Option("--reason", help="Why (required).")]
_CASE = Annotated[str, typer.Argument(help="Case key, e.g. '371000:威审批〔2026〕12号'.")]


def _items(party: str, db: str | None, case_key: str, types: frozenset[str]) -> list[Event]:
    """The items of ``case_key`` in ``party``'s inbox store whose type is one of ``types``."""
    from sgbus.bus.serde import serde_for
    from sgbus.consumers.department.store import find_items, item_value

    settings = _startup.settings()
    url = _startup.department_store(settings, party, db, existing=True)
    engine = _startup.open_store(url, existing=True)
    serde = serde_for(settings.acting_as(party))
    found: list[Event] = []
    with engine.connect() as conn:
        for row in find_items(conn, party, case_key=case_key):
            value = item_value(conn, str(row["event_id"]))
            if row["event_type"] in types and value is not None:
                found.append(serde.decode(value, str(row["source_topic"])))
    if not found:
        typer.echo(
            f"sgbus: no {'/'.join(sorted(types))} of case {case_key!r} in the store", err=True
        )
        raise typer.Exit(1)
    return found


def _publish(party: str, events: list[Any]) -> None:
    from sgbus.bus.validation import EventValidationError
    from sgbus.producers.publisher import Publisher, PublishError

    try:
        with Publisher(party, _startup.settings()) as pub:
            for event in events:
                pub.publish(event)
                typer.echo(f"published {type(event).__name__} {event.envelope.event_id}")
    except (PublishError, EventValidationError) as exc:
        typer.echo(f"sgbus: {exc}", err=True)
        raise typer.Exit(1) from None


def _checked(party: str) -> str:
    return _startup.party(_startup.settings(), party)


_CLAIMED = frozenset(
    {"ApprovalResult", "SupervisionAction", "VerificationTask", "ItemTransfer", "DisputeRuling"}
)


@app.command("transfer")
def transfer(
    case_key: _CASE,
    party: _PARTY,
    to: Annotated[str, typer.Option("--to")],
    reason: _REASON,
    by: _BY = None,
    db: _DB = None,
) -> None:
    """Pass the items of a case to another department (转办); its claim clock starts now."""
    from sgbus.bus.actions import ActionError, build_transfer

    party, to = _checked(party), _checked(to)
    now = datetime.now(UTC)
    try:
        events = [
            build_transfer(i, party, to, reason, now, officer=by)
            for i in _items(party, db, case_key, _CLAIMED)
        ]
    except ActionError as exc:
        raise typer.BadParameter(str(exc)) from None
    _publish(party, events)


@app.command("dispute")
def dispute(
    case_key: _CASE,
    party: _PARTY,
    reason: _REASON,
    propose: Annotated[str | None, typer.Option(help="party id you hold responsible")] = None,
    by: _BY = None,
    db: _DB = None,
) -> None:
    """Dispute that a case's items are yours (争议): they go to the oversight office's pool and
    your claim clock stops until it rules."""
    from sgbus.bus.actions import ActionError, build_dispute

    party = _checked(party)
    now = datetime.now(UTC)
    try:
        events = [
            build_dispute(i, party, reason, now, proposed_party=propose, officer=by)
            for i in _items(party, db, case_key, _CLAIMED)
        ]
    except ActionError as exc:
        raise typer.BadParameter(str(exc)) from None
    _publish(party, events)


@app.command("rule")
def rule(
    case_key: _CASE,
    party: _PARTY,
    to: Annotated[str, typer.Option("--to")],
    reason: _REASON,
    by: Annotated[str, typer.Option(help="who decides (a role)")] = "oversight office",
    db: _DB = None,
) -> None:
    """As the oversight office, decide the disputes of a case: the item goes to ``--to`` (back
    to the disputing department restarts its clock)."""
    from sgbus.bus.actions import ActionError, build_ruling
    from sgbus.bus.events import ResponsibilityDispute

    party, to = _checked(party), _checked(to)
    now = datetime.now(UTC)
    disputes = _items(party, db, case_key, frozenset({"ResponsibilityDispute"}))
    try:
        events = [
            build_ruling(d, party, to, reason, by, now)
            for d in disputes
            if isinstance(d, ResponsibilityDispute)
        ]
    except ActionError as exc:
        raise typer.BadParameter(str(exc)) from None
    _publish(party, events)


@app.command("urge")
def urge(
    obligation: Annotated[str, typer.Argument(help="obligation id (sgbus obligations)")],
    party: _PARTY,
    message: Annotated[str, typer.Option("--message")],
    db: _DB = None,
) -> None:
    """As the oversight office, urge the debtor of an obligation (督办); it reaches the
    department's inbox and counts in the report."""
    from sqlalchemy import select

    from sgbus.bus.actions import ActionError, build_urging
    from sgbus.bus.store.tables import obligations
    from sgbus.consumers.watchdog.ledger import from_row

    party = _checked(party)
    settings = _startup.settings()
    engine = _startup.open_store(
        _startup.watchdog_store(settings, db, existing=True), existing=True
    )
    with engine.connect() as conn:
        row = conn.execute(select(obligations).where(obligations.c.id == obligation)).first()
    if row is None:
        typer.echo(f"sgbus: no obligation {obligation!r} in the watchdog's store", err=True)
        raise typer.Exit(1)
    o = from_row(row).opening
    try:
        event = build_urging(
            oversight=party,
            urged_party=o.debtor,
            item_event_id=o.request_event_id,
            item_event_type=o.request_event_type,
            region=o.region,
            case_key=o.case_key,
            message=message,
            at=datetime.now(UTC),
            obligation_id=obligation,
        )
    except ActionError as exc:
        raise typer.BadParameter(str(exc)) from None
    _publish(party, [event])


@app.command("answer")
def answer(
    case_key: _CASE,
    party: _PARTY,
    position: Annotated[str, typer.Option("--position", help="同意, 有条件同意 or 不同意")],
    reply: Annotated[
        str | None,
        typer.Option("--reply", help="the conditions (有条件同意) or the reason (不同意)"),
    ] = None,
    by: _BY = None,
    db: _DB = None,
) -> None:
    """Answer the 函询 (consultation letters) of a case with one of the fixed answers; 不同意
    needs its reason, 有条件同意 its conditions."""
    from sgbus.bus.actions import ActionError, build_consultation_reply

    party = _checked(party)
    now = datetime.now(UTC)
    letters = _items(party, db, case_key, frozenset({"ConsultationLetter"}))
    try:
        events = [
            build_consultation_reply(letter, party, position, reply, now, officer=by)
            for letter in letters
        ]
    except ActionError as exc:
        raise typer.BadParameter(str(exc)) from None
    _publish(party, events)
