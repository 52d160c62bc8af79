"""What every page needs from the running console."""

from __future__ import annotations

from datetime import date

from fastapi import HTTPException, Request

from sgbus.console.runtime import Console


def console_of(request: Request) -> Console:
    """The console the app was built with."""
    found: Console = request.app.state.console
    return found


def parse_day(value: str | None, name: str) -> date | None:
    """A ``YYYY-MM-DD`` query value, or None when empty; 400 naming the field otherwise."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, f"{name}: 日期格式应为 YYYY-MM-DD") from None


def is_htmx(request: Request) -> bool:
    """Whether htmx asked (it then gets a fragment, not a page)."""
    return request.headers.get("HX-Request") == "true"
