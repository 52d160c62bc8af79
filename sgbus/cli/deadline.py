"""``sgbus deadline``: when is the answer of a flow due, under a policy and the calendar."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from sgbus.bus.calendar import (
    WorkingCalendar,
    default_calendar,
    load_override,
    parse_instant,
)
from sgbus.bus.policy import load_policy
from sgbus.cli import app
from sgbus.cli._errors import user_errors


@app.command()
def deadline(
    policy: Annotated[
        str, typer.Option(help="preset (weihai, zichuan, ankang, anqiu, yingkou) or YAML file")
    ],
    flow: Annotated[str, typer.Option(help="flow id, e.g. claim")],
    at: Annotated[
        str,
        typer.Option(help="anchor instant, ISO 8601 with offset, e.g. 2026-09-30T16:00:00+08:00"),
    ],
    calendar: Annotated[
        list[Path] | None, typer.Option(help="calendar override YAML; repeat for several")
    ] = None,
    promptly_days: Annotated[
        int | None, typer.Option(min=1, help="working days used where the source says only 及时")
    ] = None,
) -> None:
    """Print the deadline of FLOW for an event at AT as one JSON object."""
    with user_errors():
        chosen = load_policy(policy)
        if promptly_days is not None:
            chosen = chosen.with_promptly_default(promptly_days)
        rule = chosen.rule(flow)
        anchor_at = parse_instant(at)
        cal = (
            WorkingCalendar([load_override(p) for p in calendar])
            if calendar
            else default_calendar()
        )
        due = chosen.deadline(flow, anchor_at, cal)
        reminder = chosen.reminder(flow, anchor_at, cal)
    out: dict[str, Any] = {
        "policy": chosen.name,
        "flow": rule.flow.value,
        "anchor": rule.anchor.value,
        "anchor_at": anchor_at.isoformat(),
        "due_at": due.due_at.isoformat(),
        "due_at_is_exclusive": True,
        "provisional": due.provisional or bool(reminder and reminder.provisional),
        "working_days": due.working_days,
        "before": due.before,
        "promptly_default": rule.promptly_default,
        "remind_at": reminder.due_at.isoformat() if reminder else None,
        "at_expiry": rule.at_expiry.value,
        "escalate_to": rule.escalate_to.value if rule.escalate_to else None,
        "rule": rule.model_dump(mode="json", exclude_none=True),
        "source": rule.source,
    }
    typer.echo(json.dumps(out, ensure_ascii=False))
