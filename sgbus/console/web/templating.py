"""The Jinja2 templates of the console, with the filters and globals every page uses."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from sgbus.bus.calendar import CHINA_TZ
from sgbus.console.labels import EXPIRY_LABELS, ROLE_LABELS, event_label, flow_label
from sgbus.console.web.users import csrf_token

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))


def local_time(moment: datetime | None) -> str:
    """An instant as Asia/Shanghai wall-clock time, to the minute."""
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if moment else "—"


def party_name(request: Request, party: str | None) -> str:
    """A party's name from the console's catalogue (its id when unknown)."""
    if not party:
        return ""
    name: str = request.app.state.console.party_name(party)
    return name


templates.env.filters["local_time"] = local_time
templates.env.globals["party_name"] = party_name
templates.env.filters["event_label"] = event_label
templates.env.filters["flow_label"] = flow_label
templates.env.filters["role_label"] = lambda v: ROLE_LABELS.get(v, v)
templates.env.filters["expiry_label"] = lambda v: EXPIRY_LABELS.get(v, v)
templates.env.globals["csrf_token"] = csrf_token
