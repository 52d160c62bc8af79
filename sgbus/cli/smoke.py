"""``sgbus stack smoke``: one Avro event through the local stack, before and after a restart.

It proves the broker, the registry and the Avro wire format work, and that data survives a
broker restart. (``sgbus demo`` runs the real scenario.)
"""

from __future__ import annotations

import uuid

import typer

from sgbus.cli.stack import local_stack, stack_app
from sgbus.stack import StackError
from sgbus.stack.smoke import (
    SUBJECT,
    consume_event,
    differences,
    ensure_topic,
    make_event,
    produce_event,
)


def _round_trip(bootstrap: str, registry: str, event: dict[str, object], label: str) -> bool:
    group = f"sgbus-demo-{uuid.uuid4().hex[:8]}"
    got = consume_event(bootstrap, registry, str(event["event_id"]), group)
    if got is None:
        typer.echo(f"{label}: event NOT found in consumer group {group}")
        return False
    diffs = differences(event, got)
    typer.echo(
        f"{label}: read back in consumer group {group}: "
        + ("all fields equal" if not diffs else "; ".join(diffs))
    )
    return not diffs


@stack_app.command()
def smoke() -> None:
    """Start the stack, publish one Avro event, read it back, restart the broker, read again."""
    stack = local_stack()
    try:
        info = stack.up(notify=lambda m: typer.echo(f"  {m}"))
        typer.echo(f"1. stack up: Kafka {info.bootstrap}, registry {info.schema_registry}")
        ensure_topic(info.bootstrap)
        event = make_event(seq=1)
        value = produce_event(info.bootstrap, info.schema_registry, event)
        typer.echo(
            f"2. published event {event['event_id']} ({len(value)} bytes, schema id "
            f"{int.from_bytes(value[1:5], 'big')} under subject {SUBJECT})"
        )
        ok = _round_trip(info.bootstrap, info.schema_registry, event, "3. consumed")
        stack.down()
        info = stack.up()
        typer.echo("4. stack restarted (down, up)")
        ok = _round_trip(info.bootstrap, info.schema_registry, event, "5. after restart") and ok
    except StackError as exc:
        typer.echo(f"sgbus stack smoke: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        "smoke test passed; the stack keeps running (`sgbus stack down` stops it)"
        if ok
        else "smoke test FAILED"
    )
    if not ok:
        raise typer.Exit(1)
