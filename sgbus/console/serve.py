"""Running the console: the projector in a thread beside the web server (uvicorn)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import structlog
import uvicorn

from sgbus.bus.settings import Settings
from sgbus.console.runtime import Console
from sgbus.console.web.app import create_app
from sgbus.console.web.config import ConsoleSettings, login_client, session_secret

log = structlog.get_logger("sgbus.console.serve")


@dataclass
class Serving:
    """A console serving in the background (tests, the demo)."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread


def projector_thread(console: Console, stop: threading.Event) -> threading.Thread | None:
    """Start the projector (schema, subscription) and run it in a daemon thread; return once
    the store's schema is up to date (a database that is away is waited out), so that the web
    app, started next, never answers from tables that are not there yet."""
    projector = console.projector
    if projector is None:
        return None

    def run() -> None:
        if projector.start():
            try:
                projector.run(stop.is_set)
            finally:
                projector.close()

    thread = threading.Thread(target=run, name="console-projector", daemon=True)
    thread.start()
    while thread.is_alive() and not stop.is_set() and not projector.store_ready.wait(0.2):
        pass
    return thread


def make_server(settings: Settings, console: Console, web: ConsoleSettings) -> uvicorn.Server:
    """The uvicorn server of the console app (log lines go through the bus's JSON logging)."""
    app = create_app(console, web, session_secret(settings, web), login_client(settings))
    config = uvicorn.Config(
        app,
        host=web.host,
        port=web.port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
    )
    return uvicorn.Server(config)


@contextmanager
def serving(settings: Settings, console: Console, web: ConsoleSettings) -> Iterator[Serving]:
    """The console served in a background thread for the block; stopped after it."""
    server = make_server(settings, console, web)
    thread = threading.Thread(target=server.run, name="console-web", daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        thread.join(0.05)
    if not server.started:
        raise OSError(f"the console could not listen on {web.host}:{web.port}")
    try:
        yield Serving(web.base_url(), server, thread)
    finally:
        server.should_exit = True
        thread.join(10)
