"""``sgbus department run``, ``sgbus claim`` and ``sgbus inbox``: a party's inbox and claims."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import structlog
import typer
from rich import box
from rich.console import Console
from rich.table import Table

from sgbus.bus.catalogue import display_name, labelled
from sgbus.bus.parties import outbox_topic
from sgbus.bus.settings import Settings
from sgbus.cli import _startup, app

department_app = typer.Typer(help="The department service: a party's inbox stored in SQL.")
app.add_typer(department_app, name="department")

_PARTY = typer.Option(..., "--party", help="Party id, e.g. weihai-water.")
_DB = typer.Option(None, "--db", help="SQLAlchemy URL of the store (default: SGBUS_DEPARTMENT_DB).")

#: Columns of ``sgbus inbox``: identifiers and claim bookkeeping, never payload fields.
INBOX_COLUMNS = (
    "received_at",
    "event_type",
    "case_key",
    "sender",
    "claim_state",
    "claim_mode",
    "claimed_at",
    "event_id",
)


@department_app.command("run")
def run(
    party: str = _PARTY,
    claim_on_receipt: bool = typer.Option(
        False,
        "--claim-on-receipt",
        help="Claim every claimable item on receipt (the party's integrated system).",
    ),
    auto_claim: bool = typer.Option(
        False, "--auto-claim", hidden=True, help="Deprecated name of --claim-on-receipt."
    ),
    db: str | None = _DB,
    batch: int = typer.Option(500, "--batch", min=1, max=10000, help="Records per transaction."),
    instance_id: str | None = typer.Option(
        None,
        "--instance-id",
        help="Stable id of this replica (static group membership): a restart resumes at once.",
    ),
) -> None:
    """Consume sg.<party>.inbox into the store until SIGTERM or Ctrl-C."""
    from sgbus.bus.gc_tuning import tune_for_service
    from sgbus.consumers.department.service import DepartmentService, from_settings
    from sgbus.monitoring.lag_sampler import serve_service_metrics
    from sgbus.runtime.logging import configure_logging
    from sgbus.runtime.stop import StopSignal

    settings = _startup.settings()
    party = _startup.party(settings, party)
    db = _startup.department_store(settings, party, db, existing=False)
    configure_logging(settings.log_level, service="department", party=party)
    if auto_claim:
        typer.echo(
            "sgbus: --auto-claim is deprecated and goes away in the next release;"
            " use --claim-on-receipt",
            err=True,
        )
        structlog.get_logger("sgbus.cli.department").warning(
            "deprecated option, use --claim-on-receipt", option="--auto-claim"
        )
    config = from_settings(
        settings,
        party,
        claim_on_receipt=(claim_on_receipt or auto_claim) or None,
        db_url=db,
        batch_size=batch,
        instance_id=instance_id,
    )
    stop = StopSignal().install()
    monitoring = None
    try:
        service = DepartmentService(config, settings)
        monitoring = serve_service_metrics(
            settings, "department", service.group, service.lag_reader()
        )
        tune_for_service()
        service.run(stop)
    except Exception as exc:
        # Only a bug or a fatal configuration error gets here (outages are waited out): one
        # JSON line the log pipeline can alert on, and a non-zero exit.
        structlog.get_logger("sgbus.cli.department").error(
            "department service failed", error=type(exc).__name__, detail=_safe_detail(exc)
        )
        raise typer.Exit(1) from None
    finally:
        if monitoring is not None:
            monitoring.close()


def _safe_detail(exc: Exception) -> str:
    from sqlalchemy.exc import StatementError

    if isinstance(exc, StatementError):
        # Its text repeats the statement's bound values, which may be personal data.
        return f"database error {type(exc.orig).__name__}"
    return str(exc)[:300]


def _store(settings: Settings, party: str, db: str | None) -> tuple[str, Any]:
    """The checked party id and its existing store (migrated), from ``--db`` or settings."""
    party = _startup.party(settings, party)
    url = _startup.department_store(settings, party, db, existing=True)
    return party, _startup.open_store(url, existing=True)


@app.command()
def claim(
    case_key: str = typer.Argument(..., help="Case key, e.g. '371000:威审批〔2026〕12号'."),
    party: str = _PARTY,
    by: str | None = typer.Option(None, "--by", help="Name of the officer who claims."),
    db: str | None = _DB,
) -> None:
    """Claim every pending item of a case (人工认领) and publish the claims."""
    from sgbus.bus.serde import serde_for
    from sgbus.consumers.department.manual import NothingToClaim, claim_case
    from sgbus.producers.relay import OutboxRelay, RelayError

    settings = _startup.settings()
    party, engine = _store(settings, party, db)
    settings = settings.acting_as(party)
    try:
        done = claim_case(engine, serde_for(settings), party, case_key, officer=by)
    except NothingToClaim as exc:
        typer.echo(f"sgbus: {exc}", err=True)
        raise typer.Exit(1) from None
    for c in done:
        typer.echo(f"claimed {c.item_event_type} {c.item_event_id} (claim {c.claim_event_id})")
    relay = OutboxRelay.from_settings(engine, settings)
    try:
        sent = relay.drain()
    except RelayError as exc:
        typer.echo(
            f"sgbus: claims stored but not yet published to {outbox_topic(party)}: {exc};"
            " the department service (or the next `sgbus claim`) sends them",
            err=True,
        )
        raise typer.Exit(3) from None
    finally:
        relay.close(timeout_s=5.0)
    typer.echo(f"published {sent} message(s) to {outbox_topic(party)}")


@app.command()
def inbox(
    party: str = _PARTY,
    pending: bool = typer.Option(False, "--pending", help="Only items still to be claimed."),
    case: str | None = typer.Option(None, "--case", help="Only items of this case key."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per item."),
    limit: int = typer.Option(100, "--limit", min=0, help="Newest N items; 0 for all."),
    db: str | None = _DB,
) -> None:
    """List a party's received items and their claim state (no personal data)."""
    from sgbus.consumers.department.rejects import count_rejected
    from sgbus.consumers.department.store import find_items

    settings = _startup.settings()
    party, engine = _store(settings, party, db)
    with engine.connect() as conn:
        rows = find_items(conn, party, case_key=case, pending_only=pending, limit=limit or None)
        rejected = count_rejected(conn, party)
    shown = [{k: row[k] for k in INBOX_COLUMNS} for row in rows]
    if as_json:
        for row in shown:
            sys.stdout.write(json.dumps(row, default=_json_value, ensure_ascii=False) + "\n")
        return
    Console().print(_table(party, shown, _startup.catalogue(settings).names))
    if rejected:
        typer.echo(f"{rejected} undecodable record(s) set aside (table rejected_items)")


def _table(party: str, rows: list[dict[str, Any]], names: Mapping[str, str]) -> Table:
    """The items, each sender by its name over its id."""
    title = f"{labelled(names, party)} inbox: {len(rows)} item(s), times Asia/Shanghai"
    table = Table(title=title, box=box.SIMPLE_HEAD)
    table.add_column("received", no_wrap=True)
    table.add_column("event type", no_wrap=True)
    table.add_column("case key", overflow="fold", min_width=12)
    table.add_column("sender", no_wrap=True)
    table.add_column("claim", no_wrap=True)
    for r in rows:
        table.add_row(
            _when(r["received_at"]),
            r["event_type"],
            r["case_key"],
            _party_cell(names, r["sender"]),
            _claim_cell(r),
        )
    return table


def _party_cell(names: Mapping[str, str], party: str) -> str:
    """A party's name over its id (just the id when the catalogue does not name it)."""
    name = display_name(names, party)
    return party if name == party else f"{name}\n{party}"


def _claim_cell(r: dict[str, Any]) -> str:
    """``pending``, ``-`` (nothing to claim), or how and when it was claimed."""
    if r["claim_state"] == "claimed":
        return f"{str(r['claim_mode']).lower()} {_when(r['claimed_at'])}"
    return "-" if r["claim_state"] == "info" else str(r["claim_state"])


def _when(value: object) -> str:
    if not isinstance(value, datetime):
        return ""
    from sgbus.bus.calendar.timeutil import CHINA_TZ

    return value.astimezone(CHINA_TZ).strftime("%m-%d %H:%M")


def _json_value(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
