"""The working calendar from operator override files, re-read on demand."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import structlog
from sqlalchemy import Engine

from sgbus.bus.calendar import CHINA_TZ, WorkingCalendar, default_calendar, load_override
from sgbus.bus.policy import Policy
from sgbus.consumers.watchdog.ledger import (
    DeadlineChange,
    RulesOf,
    recompute_provisional,
    recompute_provisional_by_region,
)

log = structlog.get_logger("sgbus.consumers.watchdog.calendars")


def override_files(paths: Sequence[Path]) -> list[Path]:
    """The override files named by ``paths``; a folder stands for its ``*.yaml``/``*.yml``
    files, so an operator can drop in next year's schedule without changing settings."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        else:
            files.append(path)
    return files


def load_calendar(paths: Sequence[Path]) -> WorkingCalendar:
    """The calendar with the overrides in ``paths`` (the bundled one when there are none)."""
    files = override_files(paths)
    if not files:
        return default_calendar()
    return WorkingCalendar([load_override(p) for p in files])


def apply_calendar(
    engine: Engine, policy: Policy, calendar: WorkingCalendar
) -> list[DeadlineChange]:
    """Recompute the open provisional deadlines in the store on ``calendar`` and log each
    change (ids, flows and times only: no personal data)."""
    with engine.begin() as conn:
        changes, kept = recompute_provisional(conn, policy, calendar)
    return _logged(changes, kept)


def apply_calendars(engine: Engine, rules_of: RulesOf) -> list[DeadlineChange]:
    """:func:`apply_calendar`, each obligation under its region's policy and calendar."""
    with engine.begin() as conn:
        changes, kept = recompute_provisional_by_region(conn, rules_of)
    return _logged(changes, kept)


def _logged(changes: list[DeadlineChange], kept: list[str]) -> list[DeadlineChange]:
    for c in changes:
        log.info(
            "deadline recomputed",
            obligation=c.obligation_id,
            flow=c.flow,
            due_before=_local(c.due_before),
            due_after=_local(c.due_after),
            remind_before=_local(c.remind_before),
            remind_after=_local(c.remind_after),
            provisional=c.provisional_after,
        )
    for k in kept:
        log.warning("deadline not recomputed", obligation=k)
    log.info("calendar applied", changed=len(changes))
    return changes


def _local(moment: datetime | None) -> str:
    return moment.astimezone(CHINA_TZ).isoformat() if moment else "-"
