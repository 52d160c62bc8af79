"""``sgbus export daily``: each department's XLSX of what reached it on a day, and its state —
for offices that keep their own register in Excel."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import Engine

from sgbus.cli import _startup, app

export_app = typer.Typer(help="Spreadsheets for offices without a system.", no_args_is_help=True)
app.add_typer(export_app, name="export")
out = Console()


@export_app.command("daily")
def daily(
    day: Annotated[
        str, typer.Option(help="the day (Beijing time), YYYY-MM-DD; default: yesterday")
    ] = "",
    party: Annotated[
        list[str] | None, typer.Option(help="only this department; repeat for several")
    ] = None,
    folder: Annotated[Path, typer.Option("--out", help="where to write <party>-<day>.xlsx")] = Path(
        "."
    ),
    db: Annotated[str | None, typer.Option(help="the console's store (SGBUS_CONSOLE_DB)")] = None,
) -> None:
    """Write one XLSX per department: what arrived on DAY, with its deadline and claim state."""
    from sgbus.bus.calendar import CHINA_TZ, default_calendar
    from sgbus.bus.store import make_engine
    from sgbus.console.readmodel.queries import ItemFilter, Tab, list_items
    from sgbus.console.web import export
    from sgbus.console.web.views import item_view

    settings = _startup.settings()
    try:
        chosen = (
            dt.date.fromisoformat(day)
            if day
            else dt.datetime.now(CHINA_TZ).date() - dt.timedelta(days=1)
        )
    except ValueError:
        _startup.fail(f"--day {day!r}: give a date as YYYY-MM-DD")
    start = dt.datetime.combine(chosen, dt.time(), CHINA_TZ)
    engine = make_engine(db or settings.console_db_url())
    now, calendar = dt.datetime.now(dt.UTC), default_calendar()
    parties = party or _parties_with_items(engine)
    folder.mkdir(parents=True, exist_ok=True)
    for p in parties:
        f = ItemFilter(
            p,
            Tab.ALL,
            received_from=start,
            received_before=start + dt.timedelta(days=1),
            per_page=100_000,
        )
        with engine.connect() as conn:
            page = list_items(conn, f, now)
        rows = []
        for r in page.rows:
            view = item_view(r, now, calendar)
            rows.append(export.cells(r, view.days_left, view.state))
        target = folder / f"{p}-{chosen.isoformat()}.xlsx"
        target.write_bytes(export.to_xlsx(rows, f"{chosen.isoformat()} 到达"))
        out.print(f"{target}: {len(rows)} item(s)")


def _parties_with_items(engine: Engine) -> list[str]:
    from sqlalchemy import select

    from sgbus.bus.store.tables import console_items

    with engine.connect() as conn:
        return sorted(conn.execute(select(console_items.c.party).distinct()).scalars())


@export_app.command("template")
def template(
    event_type: Annotated[
        str, typer.Option(help="the event type the file carries")
    ] = "ApprovalResult",
    target: Annotated[Path, typer.Option("--out", help="the XLSX to write")] = Path(
        "template.xlsx"
    ),
) -> None:
    """Write an empty spreadsheet for the file-drop connector: the columns of EVENT_TYPE by
    their Chinese labels, and a sheet saying which are required and what values they take."""
    from enum import Enum

    from sgbus.bus.events import EVENT_CLASSES
    from sgbus.connectors.files.columns import columns
    from sgbus.connectors.files.sheets import write_template
    from sgbus.console.labels import symbol_labels

    if event_type not in EVENT_CLASSES:
        _startup.fail(f"--event-type {event_type!r}: not an event type of the contracts")
    cols = columns(EVENT_CLASSES[event_type])
    notes = []
    for c in cols:
        values = ""
        if isinstance(c.kind, type) and issubclass(c.kind, Enum):
            labels = symbol_labels(c.kind)
            values = "、".join(v for k, v in labels.items() if k != "UNKNOWN")
        elif c.kind is bool:
            values = "是、否"
        elif getattr(c.kind, "__name__", "") in ("date",):
            values = "YYYY-MM-DD"
        notes.append([c.chinese, c.english, "是" if c.required else "", values])
    write_template(target, [c.chinese for c in cols], notes)
    out.print(f"{target}: {len(cols)} columns of {event_type}")
