"""``sgbus stack smoke``: one Avro event through the local stack, before and after a restart.

It proves the broker, the registry and the Avro wire format work, and that data survives a
broker restart. (``sgbus demo`` runs the real scenario.)
"""

from __future__ import annotations

import uuid
from typing import Any

import typer

from sgbus.bus.principals import REGISTRY_ADMIN
from sgbus.bus.security import load_credentials
from sgbus.cli.stack import local_stack, stack_app
from sgbus.stack import StackError
from sgbus.stack.config import StackConfig
from sgbus.stack.secure import superuser_kafka_config
from sgbus.stack.smoke import (
    SUBJECT,
    consume_event,
    differences,
    ensure_topic,
    make_event,
    produce_event,
)


def _round_trip(access: Access, event: dict[str, object], label: str) -> bool:
    group = f"sgbus-demo-{uuid.uuid4().hex[:8]}"
    got = consume_event(*access, str(event["event_id"]), group)
    if got is None:
        typer.echo(f"{label}: event NOT found in consumer group {group}")
        return False
    diffs = differences(event, got)
    typer.echo(
        f"{label}: read back in consumer group {group}: "
        + ("all fields equal" if not diffs else "; ".join(diffs))
    )
    return not diffs


Access = tuple[dict[str, Any], dict[str, Any]]


def stack_access(cfg: StackConfig) -> Access:
    """Kafka and registry settings of the stack's owner: the broker's own identity (the smoke
    topic is no bus topic, so no ACL grants it) and the registry's admin (it registers the
    smoke schema)."""
    if not cfg.secured:
        return {"bootstrap.servers": cfg.bootstrap}, {"url": cfg.registry_url}
    registry_admin = load_credentials(cfg.credentials_dir / f"{REGISTRY_ADMIN}.json")
    return superuser_kafka_config(cfg), registry_admin.schema_registry


@stack_app.command()
def smoke() -> None:
    """Start the stack, publish one Avro event, read it back, restart the broker, read again."""
    stack = local_stack()
    try:
        info = stack.up(notify=lambda m: typer.echo(f"  {m}"))
        typer.echo(f"1. stack up: Kafka {info.bootstrap}, registry {info.schema_registry}")
        access = stack_access(stack.cfg)
        ensure_topic(access[0])
        event = make_event(seq=1)
        value = produce_event(*access, event)
        typer.echo(
            f"2. published event {event['event_id']} ({len(value)} bytes, schema id "
            f"{int.from_bytes(value[1:5], 'big')} under subject {SUBJECT})"
        )
        ok = _round_trip(access, event, "3. consumed")
        stack.down()
        info = stack.up()
        typer.echo("4. stack restarted (down, up)")
        ok = _round_trip(access, event, "5. after restart") and ok
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
