"""``sgbus sheet out|in``: claim in Excel. An office whose inbox is a local database that
``sql-inbox`` fills and ``sql-claims`` watches gets its unclaimed items as a claim form
(认领单), and reads the filled form back; ``sql-claims`` then publishes the claims."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine, Table

from sgbus.cli import _startup, app
from sgbus.cli._errors import user_errors

sheet_app = typer.Typer(
    help="Claim in Excel: a claim form from the office's sgbus_inbox, and the filled form back.",
    no_args_is_help=True,
)
app.add_typer(sheet_app, name="sheet")

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="the office's sql-inbox/sql-claims configuration (its url, table)"
    ),
]
UrlOption = Annotated[
    str | None,
    typer.Option(
        help="the database's SQLAlchemy URL instead of --config, e.g. sqlite:///office.db"
    ),
]
_LABELS = {"claimed": "已认领 claimed", "unchanged": "未变 unchanged", "refused": "未认领 refused"}


def _inbox(config_file: Path | None, url: str | None) -> tuple[Engine, Table]:
    """The office's database and its ``sgbus_inbox`` table, which must be there already."""
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url

    from sgbus.bus.store import make_engine
    from sgbus.connectors.config import load_config
    from sgbus.connectors.sql.config import SqlConfig
    from sgbus.connectors.sql.tables import INBOX, inbox_table

    if (config_file is None) == (url is None):
        _startup.fail("give the office's database: --config FILE or --url URL (one of them)")
    with user_errors():
        if config_file is not None:
            config = load_config(config_file, SqlConfig, "sql-inbox")
            url, name = config.url.get_secret_value(), config.table or INBOX
        else:
            name = INBOX
        assert url is not None
        parsed = make_url(url)  # a malformed URL is a ValueError: reported, exit 2
    missing = f"no table {name} in the database: run sql-inbox on it first"
    database = parsed.database or ""
    if parsed.get_backend_name() == "sqlite" and database and not Path(database).is_file():
        _startup.fail(missing)  # connecting would create an empty file
    engine = make_engine(url)
    if not inspect(engine).has_table(name):
        _startup.fail(missing)
    return engine, inbox_table(name)


@sheet_app.command("out")
def sheet_out(
    config_file: ConfigOption = None,
    url: UrlOption = None,
    target: Annotated[Path, typer.Option("--out", help="the XLSX to write")] = Path("认领单.xlsx"),
    everything: Annotated[
        bool, typer.Option("--all", help="every claimable item, with its claim state")
    ] = False,
) -> None:
    """Write the claim form: one row per item not yet claimed, the most urgent first, with
    empty columns 认领人 and 认领时间 for the office to fill in. With --all, every item and
    whether its claim is on the bus yet."""
    from sgbus.connectors.sql.claim_form import summary
    from sgbus.connectors.sql.claim_sheet import load_items, write_form

    engine, table = _inbox(config_file, url)
    items = load_items(engine, table, everything)
    write_form(target, items)
    what = summary(items) if everything else f"{len(items)} item(s) to claim"
    typer.echo(f"{target}: {what}")


@sheet_app.command("in")
def sheet_in(
    form: Annotated[
        Path, typer.Argument(help="the filled claim form (XLSX, or CSV saved from it)")
    ],
    config_file: ConfigOption = None,
    url: UrlOption = None,
) -> None:
    """Read a filled claim form: each row with 认领人 claims its item, at 认领时间 (Beijing
    time; empty: now) — where the item is still unclaimed. Exits 1 when a row was refused."""
    from sgbus.connectors.sql.claim_form import Outcome
    from sgbus.connectors.sql.claim_sheet import RowOutcome, read_form_file, record_claims

    if not form.is_file():
        _startup.fail(f"{form}: no such file")
    engine, table = _inbox(config_file, url)
    with user_errors():
        reading = read_form_file(form, dt.datetime.now(dt.UTC))
    outcomes = record_claims(engine, table, reading.claims)
    outcomes += [
        RowOutcome(r.row, r.event_id, Outcome.REFUSED, r.column, r.reason) for r in reading.refused
    ]
    outcomes.sort(key=lambda o: o.row)
    for o in outcomes:  # plain lines: no wrapping, easy to grep
        why = f"{o.column}: {o.reason}" if o.column else o.reason
        typer.echo(f"row {o.row}  {o.event_id or '-'}  {_LABELS[o.outcome.value]}  {why}".rstrip())
    counts = {k: sum(o.outcome is k for o in outcomes) for k in Outcome}
    typer.echo(
        f"{form}: {counts[Outcome.CLAIMED]} claimed, {counts[Outcome.UNCHANGED]} unchanged,"
        f" {counts[Outcome.REFUSED]} refused, {reading.blank} without 认领人"
    )
    if counts[Outcome.REFUSED]:
        raise typer.Exit(1)
