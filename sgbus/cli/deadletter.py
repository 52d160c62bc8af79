"""``sgbus deadletter list`` and ``sgbus deadletter replay``: dead letters you can act on."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from sgbus.bus import principals
from sgbus.cli import _startup, app

if TYPE_CHECKING:
    from sgbus.bus.deadletters import Row, Selection

deadletter_app = typer.Typer(
    help="Dead letters: what the bus set aside and why; replay after the cause is fixed.",
    no_args_is_help=True,
)
app.add_typer(deadletter_app, name="deadletter")

ReasonOption = Annotated[
    str | None,
    typer.Option(
        "--reason", help="Only this reason code, e.g. validation-failed or UNKNOWN_SCHEMA."
    ),
]
SinceOption = Annotated[
    str | None,
    typer.Option(
        "--since", help="Only dead letters since: ISO 8601 with offset, or 30m, 12h, 7d back."
    ),
]


def _selection(
    reason: str | None, since: str | None, dead_letter_id: str | None = None
) -> Selection:
    from sgbus.bus.deadletters import Selection, parse_reason, parse_since

    try:
        return Selection(
            reason=parse_reason(reason) if reason else None,
            since=parse_since(since, datetime.now(UTC)) if since else None,
            dead_letter_id=dead_letter_id.strip() if dead_letter_id else None,
        )
    except ValueError as exc:
        _startup.fail(str(exc))


def _fail(what: str, exc: Exception) -> typer.Exit:
    """A one-line error for a broker or registry that cannot be reached."""
    first = next(iter(str(exc).splitlines()), "")
    typer.echo(f"sgbus: {what}: {type(exc).__name__}: {first}", err=True)
    return typer.Exit(1)


@deadletter_app.command("list")
def list_dead_letters(
    reason: ReasonOption = None,
    since: SinceOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Show what was set aside: id, when, reason, where it was read, event type; no payload."""
    from confluent_kafka import KafkaException

    from sgbus.bus.deadletter_payload import reading_key
    from sgbus.bus.deadletters import delivered_replays, read_dead_letters, row_of
    from sgbus.bus.parties import DEAD_LETTER_TOPIC, connector_dead_letter_topic
    from sgbus.bus.serde import SerdeError, serde_for
    from sgbus.cli.bus import all_parties

    selection = _selection(reason, since)
    settings = _startup.settings().acting_as(principals.OPERATOR)
    serde = serde_for(settings)
    fernet = reading_key(settings)
    # The bus's own dead letters, and those of the parties' connectors.
    catalogue = _startup.catalogue(settings)
    parties = all_parties(catalogue)
    topics = [DEAD_LETTER_TOPIC, *(connector_dead_letter_topic(p) for p in parties)]
    try:
        with Progress(console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("reading the dead letters", total=None)
            letters = list(
                read_dead_letters(
                    settings,
                    serde,
                    selection,
                    lambda n: progress.update(task, completed=n),
                    topics,
                )
            )
            delivered = delivered_replays(settings)
            rows = sorted(
                (row_of(d, serde, delivered, fernet) for d in letters), key=lambda r: r.failed_at
            )
    except (SerdeError, TimeoutError, KafkaException) as exc:
        raise _fail("dead letters not read", exc) from None
    if as_json:
        for row in rows:
            line = json.dumps(asdict(row), default=_json_value, ensure_ascii=False)
            sys.stdout.write(line + "\n")
        return
    Console().print(_table(rows, catalogue.names))


def _json_value(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _table(rows: list[Row], names: Mapping[str, str]) -> Table:
    """Two lines per dead letter, so the table stays readable in 100 columns: the id over
    when it failed, the code over why, the topic (and the name of its party) over where in
    it, the type over replays."""
    from sgbus.bus.calendar.timeutil import CHINA_TZ

    table = Table(
        title=f"sg.deadletter: {len(rows)} dead letter(s), times Asia/Shanghai",
        box=box.SIMPLE_HEAD,
        show_lines=True,
        pad_edge=False,
    )
    table.add_column("dead letter / failed at", no_wrap=True, min_width=36)
    table.add_column("reason / why", overflow="fold", ratio=2, min_width=12)
    table.add_column("read from", overflow="fold", ratio=1, min_width=12)
    table.add_column("event type / payload", overflow="fold", min_width=8)
    for r in rows:
        table.add_row(
            f"{r.dead_letter_id}\n{r.failed_at.astimezone(CHINA_TZ):%Y-%m-%d %H:%M:%S}",
            f"{r.reason_code}\n[dim]{escape(r.reason)}[/dim]",
            f"{r.original_topic}{_party_line(r.original_topic, names)}"
            f"\npartition {r.original_partition} offset {r.original_offset}",
            (r.event_type or "-") + f"\n{r.payload}" + ("\nreplayed" if r.replayed else ""),
        )
    return table


def _party_line(topic: str, names: Mapping[str, str]) -> str:
    """``\n威海市住房和城乡建设局`` under a party's topic whose name is known, else nothing."""
    from sgbus.bus.catalogue import display_name
    from sgbus.bus.parties import party_of_topic

    party = party_of_topic(topic)
    name = display_name(names, party) if party else None
    return f"\n{escape(name)}" if name and name != party else ""


@deadletter_app.command("replay")
def replay(
    reason: ReasonOption = None,
    dead_letter_id: Annotated[
        str | None, typer.Option("--id", help="Only the dead letter with this id.")
    ] = None,
    since: SinceOption = None,
) -> None:
    """Publish the selected dead letters' originals again to their outboxes.

    Run it once the cause is fixed (a schema restored, a party configured): the router
    delivers each event once, however often it is replayed.
    """
    from confluent_kafka import KafkaException

    from sgbus.bus.deadletter_payload import reading_key
    from sgbus.bus.deadletters import (
        NotReplayable,
        in_original_order,
        read_dead_letters,
        replay_record,
    )
    from sgbus.bus.serde import SerdeError, serde_for
    from sgbus.producers.replay import publish_replays

    if (reason is None) == (dead_letter_id is None):
        _startup.fail("give either --reason or --id")
    selection = _selection(reason, since, dead_letter_id)
    settings = _startup.settings().acting_as(principals.OPERATOR)
    serde = serde_for(settings)
    fernet = reading_key(settings)
    try:
        letters = in_original_order(read_dead_letters(settings, serde, selection))
    except (SerdeError, TimeoutError, KafkaException) as exc:
        raise _fail("dead letters not read", exc) from None
    records, skipped = [], []
    for dead in letters:
        try:
            records.append(replay_record(dead, fernet))
        except NotReplayable as exc:
            skipped.append(str(exc))
    for line in skipped:
        typer.echo(f"skipped {line}", err=True)
    console = Console()
    if not records:
        console.print("nothing to replay")
        raise typer.Exit(1 if dead_letter_id or skipped else 0)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("replaying", total=len(records))
        report = publish_replays(settings, records, lambda n: progress.update(task, completed=n))
    for dead_id, error in report.failed:
        typer.echo(f"sgbus: dead letter {dead_id} not replayed: {error}", err=True)
    console.print(f"replayed {len(report.published)} dead letter(s) to their outboxes")
    if report.failed:
        raise typer.Exit(1)
