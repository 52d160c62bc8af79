"""``sgbus gateway run`` (the HTTP gateway) and ``sgbus gateway openapi``."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console as Terminal

from sgbus.bus.settings import format_validation_error
from sgbus.cli import _startup, app
from sgbus.console.serve import projector_thread
from sgbus.console.web.config import LoginNotConfigured
from sgbus.gateway.openapi import OPENAPI_PATH, render
from sgbus.gateway.serve import GatewaySettings, build_gateway
from sgbus.monitoring.endpoint import serve_metrics
from sgbus.runtime.logging import configure_logging
from sgbus.runtime.stop import StopSignal

gateway_app = typer.Typer(help="The HTTP gateway for systems that do not speak Kafka.")
app.add_typer(gateway_app, name="gateway")
out = Terminal()


@gateway_app.command("run")
def run(
    db: Annotated[str | None, typer.Option(help="store URL (SGBUS_GATEWAY_DB)")] = None,
) -> None:
    """Serve the gateway until SIGTERM/SIGINT (SGBUS_GATEWAY_HOST/PORT, 127.0.0.1:8090)."""
    settings = _startup.settings()
    configure_logging(settings.log_level, service="gateway")
    try:
        web = GatewaySettings()
    except ValidationError as exc:
        _startup.fail(format_validation_error(exc, "SGBUS_GATEWAY_"))
    stop = StopSignal().install()
    try:
        running = build_gateway(settings, web, stop, db)
    except LoginNotConfigured as exc:
        out.print(f"[red]sgbus gateway: {exc}")
        raise typer.Exit(1) from None
    try:
        served = serve_metrics(settings, "gateway")
    except OSError as exc:
        _startup.fail(str(exc), code=1)
    projector = projector_thread(running.console, stop)
    out.print(f"sgbus gateway: http://{web.host}:{web.port}  (OpenAPI at /openapi.json)")
    config = uvicorn.Config(running.app, host=web.host, port=web.port, log_config=None)
    try:
        uvicorn.Server(config).run()
    finally:
        stop.set()
        if projector is not None:
            projector.join(15)
        running.console.publisher.close()
        if served is not None:
            served.close()


@gateway_app.command("openapi")
def openapi(
    check_only: Annotated[bool, typer.Option("--check", help="Only report drift.")] = False,
) -> None:
    """Write the gateway's OpenAPI document to docs/openapi/gateway.json."""
    text = render()
    current = OPENAPI_PATH.read_text(encoding="utf-8") if OPENAPI_PATH.is_file() else ""
    if current == text:
        typer.echo(f"{OPENAPI_PATH}: up to date")
        return
    if check_only:
        typer.echo(f"ERROR {OPENAPI_PATH}: out of date; run `sgbus gateway openapi`", err=True)
        raise typer.Exit(1)
    OPENAPI_PATH.parent.mkdir(parents=True, exist_ok=True)
    OPENAPI_PATH.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {OPENAPI_PATH}")
