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
from sgbus.bus.policy import Policy, load_policy
from sgbus.bus.regions import Jurisdiction, is_policy_map, load_regions
from sgbus.cli import app
from sgbus.cli._errors import user_errors


def policy_for_region(name: str, region: str | None) -> tuple[Policy, Jurisdiction | None]:
    """The policy ``name`` (a preset or file) or, for a policy map, the one covering
    ``region``, with the map's entry; a map without ``--region`` or not covering it is an
    error."""
    if not is_policy_map(name):
        return load_policy(name), None
    if region is None:
        raise ValueError(f"{name!r} is a policy map: give --region CODE (e.g. 371000)")
    regions = load_regions(name)
    found = regions.resolve(region)
    if found is None:
        raise ValueError(
            f"region {region!r} is not covered by policy map {name!r}"
            f" (it covers {regions.coverage()})"
        )
    return found.policy, found


def region_calendar_files(entry: Jurisdiction | None) -> list[Path]:
    """The calendar override files of a map's entry (none outside a map)."""
    return list(entry.calendar_files) if entry is not None else []


@app.command()
def deadline(
    policy: Annotated[
        str,
        typer.Option(
            help="preset (weihai, zichuan, ankang, anqiu, yingkou), policy YAML, or a policy map"
            " (shandong, or a map YAML) with --region"
        ),
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
    region: Annotated[
        str | None,
        typer.Option(help="the event's region code, with a policy map: whose rules apply"),
    ] = None,
) -> None:
    """Print the deadline of FLOW for an event at AT as one JSON object."""
    with user_errors():
        chosen, entry = policy_for_region(policy, region)
        if promptly_days is not None:
            chosen = chosen.with_promptly_default(promptly_days)
        rule = chosen.rule(flow)
        anchor_at = parse_instant(at)
        files = [*(calendar or []), *region_calendar_files(entry)]
        cal = WorkingCalendar([load_override(p) for p in files]) if files else default_calendar()
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
