"""Run the packaged Alembic migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

_SCRIPTS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    """An Alembic config pointing at the packaged migrations and at ``engine``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the database behind ``engine`` to the newest schema; safe to call at every start.

    One migration at a time per process: Alembic keeps its running context in module globals,
    so services started as threads of one process (the demo, the console) take turns."""
    with _ONE_AT_A_TIME:
        command.upgrade(alembic_config(engine), "head")


_ONE_AT_A_TIME = threading.Lock()
