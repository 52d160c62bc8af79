"""The console on the demo's run: its read model follows the demo's audit log on the demo's
simulated clock, and every demo party gets a login to watch the week arrive and claim by hand.
"""

from __future__ import annotations

import secrets
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from sgbus.bus import principals
from sgbus.bus.parties import AUDIT_TOPIC
from sgbus.bus.settings import Settings
from sgbus.bus.store import migrate
from sgbus.console.readmodel.service import ProjectorConfig
from sgbus.console.runtime import Console, build_console
from sgbus.console.serve import Serving, projector_thread, serving
from sgbus.console.web.config import ConsoleSettings
from sgbus.demo.scenario import Running, start_at_end
from sgbus.stack.config import StackConfig
from sgbus.stack.secure import identity_admin


@dataclass(frozen=True)
class Login:
    """One person who can log in to the demo's console."""

    username: str
    password: str
    party: str | None
    roles: tuple[str, ...]


@dataclass
class DemoConsole:
    """The console serving the demo, and the logins printed for it."""

    console: Console
    serving: AbstractContextManager[Serving]
    site: Serving
    logins: list[Login]
    thread: threading.Thread | None

    def close(self) -> None:
        """Stop serving (the projector stops with the demo's stop signal)."""
        self.serving.__exit__(None, None, None)
        if self.thread is not None:
            self.thread.join(15)
        self.console.publisher.close()


def demo_logins(run: Running) -> list[Login]:
    """An officer per demo party, each city's centre officer, and an administrator; fresh
    passwords each run (the demo prints them)."""

    def password() -> str:
        return secrets.token_urlsafe(9)

    officers = [*(c.approval for c in run.cities), *(r.party for r in run.roles)]
    logins = [Login(party, password(), party, ("officer",)) for party in officers]
    logins.extend(
        Login(c.oversight, password(), c.oversight, ("officer", "oversight")) for c in run.cities
    )
    logins.append(Login("demo-admin", password(), None, ("admin",)))
    return logins


def start_demo_console(
    settings: Settings, stack: StackConfig, run: Running, workdir: Path, policy: str
) -> DemoConsole:
    """Provision the logins, then serve the console on ``SGBUS_CONSOLE_PORT`` (8080)."""
    logins = demo_logins(run)
    with identity_admin(stack) as admin:
        for login in logins:
            admin.ensure_user(
                login.username,
                password=login.password,
                name=f"{login.username} 联络员",
                party_group=login.party,
                roles=login.roles,
            )
    db_url = f"sqlite:///{workdir / 'console.db'}"
    console = build_console(settings, db_url=db_url, policy=policy, clock=run.clock, stop=run.stop)
    migrate(console.engine)
    # Like the demo's other stores: this run's events only, not earlier runs'.
    group = ProjectorConfig().group_id
    start_at_end(console.engine, settings.acting_as(principals.CONSOLE), group, AUDIT_TOPIC)
    thread = projector_thread(console, run.stop)
    context = serving(settings, console, ConsoleSettings())
    site = context.__enter__()
    return DemoConsole(console, context, site, logins, thread)
