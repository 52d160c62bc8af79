"""Building and serving the gateway: its read model (the console's projector, in the gateway's
own group and store), its publisher (as ``sgbus-gateway``) and the token verifier."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from sgbus.bus import principals
from sgbus.bus.settings import Settings
from sgbus.console.runtime import Console, build_console
from sgbus.console.serve import projector_thread
from sgbus.console.web.config import login_client
from sgbus.gateway.app import METRICS_NAME, Gateway, create_gateway
from sgbus.gateway.limits import RateLimiter
from sgbus.gateway.tokens import TokenVerifier
from sgbus.monitoring import metrics


class GatewaySettings(BaseSettings):
    """Where the gateway listens and how much it takes (``SGBUS_GATEWAY_…``)."""

    model_config = SettingsConfigDict(env_prefix="SGBUS_GATEWAY_", extra="ignore")

    host: str = Field(default="127.0.0.1")
    port: int = Field(default=8090, ge=1, le=65535)
    rate: float = Field(default=50.0, gt=0, description="requests per second per party")
    burst: float = Field(default=100.0, ge=1, description="requests a party may burst")
    max_body_bytes: int = Field(default=256 * 1024, ge=1024, le=16 * 1024 * 1024)


@dataclass
class RunningGateway:
    """The gateway's read model and app."""

    console: Console
    app: Any


def build_gateway(
    settings: Settings, web: GatewaySettings, stop: threading.Event, db_url: str | None = None
) -> RunningGateway:
    """The gateway for the stack in ``settings``; nothing contacted yet."""
    runtime = build_console(
        settings,
        db_url=db_url or settings.gateway_db_url(),
        stop=stop,
        principal=principals.GATEWAY,
    )
    for party in runtime.catalogue.parties_by_id:
        metrics.initialise_connector_series(METRICS_NAME, party)
    identity = login_client(settings, principals.GATEWAY)
    verifier = TokenVerifier(identity.issuer, runtime.catalogue.parties_by_id, identity.tls())
    gateway = Gateway(
        engine=runtime.engine,
        verify=verifier.caller,
        publisher=runtime.publisher,
        now=runtime.now,
        limiter=RateLimiter(web.rate, web.burst),
        max_body_bytes=web.max_body_bytes,
    )
    return RunningGateway(runtime, create_gateway(gateway))


@contextmanager
def serving_gateway(
    settings: Settings, web: GatewaySettings, db_url: str | None = None
) -> Iterator[str]:
    """The gateway (read model and HTTP) in background threads for the block; its URL."""
    stop = threading.Event()
    running = build_gateway(settings, web, stop, db_url)
    projector = projector_thread(running.console, stop)
    config = uvicorn.Config(
        running.app, host=web.host, port=web.port, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="gateway-web", daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        thread.join(0.05)
    try:
        yield f"http://{web.host}:{web.port}"
    finally:
        server.should_exit = True
        stop.set()
        thread.join(10)
        if projector is not None:
            projector.join(15)
        running.console.publisher.close()
