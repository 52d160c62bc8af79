"""The centre's (oversight office's) pages: dashboard, overdue list, the unassigned pool with
the disputes to rule on (争议裁定), urging a department (督办), the 通报 report, and the
active policy and calendar.

The centre sees every department's items, with personal data masked: it is not a party of
them (only of the results in its own pool).
"""

from __future__ import annotations

import re
import tempfile
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection

from sgbus.bus.events import EVENT_CLASSES, Envelope
from sgbus.bus.validation.pii import redact
from sgbus.console import actions
from sgbus.console.readmodel.queries import (
    ItemDetail,
    ItemFilter,
    ItemRow,
    Tab,
    get_item,
    list_items,
    pooled_value,
)
from sgbus.console.readmodel.status import Light
from sgbus.console.runtime import Console, decode_payload
from sgbus.console.web.fields import rows_of
from sgbus.console.web.pages.deps import console_of, parse_day
from sgbus.console.web.pages.officer import item_filter
from sgbus.console.web.pages.publish import publish_as_officer
from sgbus.console.web.templating import templates
from sgbus.console.web.users import CurrentUser, check_csrf, require_oversight
from sgbus.console.web.views import ItemView, item_view
from sgbus.monitoring.report import Format, Report, make_report
from sgbus.monitoring.report.html import render_html
from sgbus.monitoring.report.periods import month_period, quarter_period
from sgbus.monitoring.report.tabular import render_csv, write_xlsx

router = APIRouter(prefix="/centre")
Oversight = Annotated[CurrentUser, Depends(require_oversight)]
ConsoleDep = Annotated[Console, Depends(console_of)]
DISPUTE = "ResponsibilityDispute"
_FORM_ID = re.compile(r"[0-9a-f]{32}")


def _form_id() -> str:
    """A fresh id for an urging form: one form sent twice is one urging."""
    return uuid.uuid4().hex


def can_urge(view: ItemView, centre: str | None) -> bool:
    """Whether the centre may urge on an item: a department's, open, overdue or at risk."""
    row = view.row
    return (
        row.party != centre
        and not row.done
        and not row.in_dispute
        and view.light in (Light.RED, Light.AMBER)
    )


def _period(request: Request, console: Console) -> tuple[date, date]:
    """``?month=2026-11``, ``?quarter=2026Q4``, or ``?from=…&to=…`` (default: this month to
    today)."""
    params = request.query_params
    try:
        if params.get("month"):
            return month_period(params["month"])
        if params.get("quarter"):
            return quarter_period(params["quarter"])
    except ValueError:
        raise HTTPException(400, "month / quarter: 应为 2026-11 或 2026Q4 的形式") from None
    today = console.now().date()
    start = parse_day(request.query_params.get("from"), "from") or today.replace(day=1)
    end = parse_day(request.query_params.get("to"), "to") or today
    if end < start:
        raise HTTPException(400, "to: 截止日期早于起始日期")
    return start, end


def _report(console: Console, start: date, end: date, city: str | None = None) -> Report:
    """The 通报 of the period (of one city, if given), as ``sgbus report`` makes it: names
    from the catalogue, the configured threshold for naming parties."""
    return make_report(
        console.engine,
        start,
        end,
        console.now(),
        region=city,
        names=console.catalogue.names,
        name_below=console.report_name_below,
    )


def _city(request: Request, console: Console) -> str | None:
    """The city a view is narrowed to (a region code of the policy map), or None for the
    whole bus (the province under a map)."""
    value = request.query_params.get("city") or None
    if value is not None and value not in console.cities():
        raise HTTPException(400, f"city: 未知地区 {value[:12]!r}")
    return value


def _query(start: date, end: date, city: str | None) -> str:
    """The period (and city) of a view, for the links that keep it."""
    params = {"from": start.isoformat(), "to": end.isoformat()}
    return urlencode(params | ({"city": city} if city else {}))


@router.get("", response_class=HTMLResponse)
def dashboard(request: Request, user: Oversight, console: ConsoleDep) -> Response:
    """Per-department figures for a period (the 通报's own numbers): parties under the
    threshold named first; received, on time, late, auto-resolved, open, disputed,
    transferred, breaches, on-time rate; urgings, disputes and transfers. For one city, or
    the whole province, when the bus runs under a policy map."""
    start, end = _period(request, console)
    city = _city(request, console)
    report = _report(console, start, end, city)
    cities = console.cities()
    # The province view leads with one line per city, each linking to that city's view.
    by_city = {
        code: _report(console, start, end, code).total for code in (cities if city is None else ())
    }
    ctx = {
        "user": user,
        "console": console,
        "report": report,
        "start": start,
        "end": end,
        "city": city,
        "cities": cities,
        "by_city": by_city,
        "query": _query(start, end, city),
        "city_query": {code: _query(start, end, code) for code in by_city},
    }
    return templates.TemplateResponse(request, "pages/centre.html", ctx)


@router.get("/overdue", response_class=HTMLResponse)
def overdue(request: Request, user: Oversight, console: ConsoleDep) -> Response:
    """Overdue items of every department, earliest deadline first."""
    f = item_filter(request, None)
    f = ItemFilter(**{**f.__dict__, "tab": Tab.OVERDUE})
    now = console.now()
    with console.engine.connect() as conn:
        page = list_items(conn, f, now)
    ctx = {
        "user": user,
        "console": console,
        "page": page,
        "items": [item_view(r, now, console.calendar, console.party_name) for r in page.rows],
        "form_id": _form_id(),
        "can_urge": can_urge,
    }
    return templates.TemplateResponse(request, "pages/centre_overdue.html", ctx)


@router.get("/items/{event_id}/{party}", response_class=HTMLResponse)
def centre_item(
    request: Request, event_id: str, party: str, user: Oversight, console: ConsoleDep
) -> Response:
    """Any department's item, personal data masked unless the centre is a party of it."""
    with console.engine.connect() as conn:
        detail = get_item(conn, event_id, party)
    if detail is None:
        raise HTTPException(404, "未找到该事项")
    event = decode_payload(detail.row.event_type, detail.payload)
    shown = detail.payload if party == user.party else redact(event)
    cls = EVENT_CLASSES[detail.row.event_type]
    ctx = {
        "user": user,
        "console": console,
        "detail": detail,
        "view": item_view(detail.row, console.now(), console.calendar, console.party_name),
        "fields": rows_of(cls, shown),
        "envelope": rows_of(Envelope, shown["envelope"], hidden=frozenset()),
        "masked": party != user.party,
        "form_id": _form_id(),
        "can_urge": can_urge,
        "ruling": _ruling_choices(console, detail) if party == user.party else None,
    }
    return templates.TemplateResponse(request, "pages/centre_item.html", ctx)


def _ruling_choices(console: Console, detail: ItemDetail) -> list[str] | None:
    """Departments a dispute may be ruled to, the disputing one first; None if the item is
    not an open dispute."""
    row = detail.row
    if row.event_type != DISPUTE or row.done:
        return None
    disputer = row.sender
    return [disputer, *(d for d in console.departments() if d != disputer)]


@router.get("/pool", response_class=HTMLResponse)
def pool(request: Request, user: Oversight, console: ConsoleDep) -> Response:
    """Approval results no catalogue rule could route, waiting for the centre to assign."""
    now = console.now()
    f = ItemFilter(user.party, Tab.PENDING, pooled=True, per_page=200)
    with console.engine.connect() as conn:
        page = list_items(conn, f, now)
        overdue = list_items(conn, ItemFilter(user.party, Tab.OVERDUE, pooled=True), now)
        disputes = _open_disputes(conn, user.party, now, console)
    rows = [*overdue.rows, *page.rows]
    ctx = {
        "user": user,
        "console": console,
        "items": [item_view(r, now, console.calendar, console.party_name) for r in rows],
        "departments": console.departments(),
        "disputes": disputes,
    }
    return templates.TemplateResponse(request, "pages/centre_pool.html", ctx)


def _open_disputes(
    conn: Connection, centre: str | None, now: datetime, console: Console
) -> list[tuple[ItemView, dict[str, Any], list[str]]]:
    """Disputes waiting for the centre's ruling, earliest ruling deadline first: each with its
    payload (the centre is a party of it) and the departments it may be ruled to."""
    if centre is None:
        return []
    found = []
    for tab in (Tab.OVERDUE, Tab.PENDING):
        page = list_items(conn, ItemFilter(centre, tab, event_type=DISPUTE, per_page=200), now)
        found += page.rows
    out = []
    for row in found:
        detail = get_item(conn, row.event_id, centre)
        choices = _ruling_choices(console, detail) if detail else None
        if detail is not None and choices:
            view = item_view(row, now, console.calendar, console.party_name)
            out.append((view, detail.payload, choices))
    return out


@router.post("/disputes/{event_id}/rule", dependencies=[Depends(check_csrf)])
def rule(
    request: Request,
    event_id: str,
    user: Oversight,
    console: ConsoleDep,
    assigned_to: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Rule on a dispute (争议裁定): the item goes back to the disputing department or to
    another one, with the grounds."""
    assert user.party is not None
    if assigned_to not in console.departments():
        raise HTTPException(400, "assigned_to: 请从列表中选择承办部门")
    with console.engine.connect() as conn:
        detail = get_item(conn, event_id, user.party)
    if detail is None or detail.row.event_type != DISPUTE:
        raise HTTPException(404, "没有该职责争议")
    if detail.row.done:
        raise HTTPException(409, "该争议已裁定")
    event = decode_payload(detail.row.event_type, detail.payload)
    officer = actions.Officer(user.username, user.name, user.party)
    result = publish_as_officer(
        console, officer, lambda o: actions.ruling(event, o, assigned_to, reason, console.now())
    )
    return _answered(request, user, result, "/centre/pool")


@router.post("/items/{event_id}/{party}/urge", dependencies=[Depends(check_csrf)])
def urge(
    request: Request,
    event_id: str,
    party: str,
    user: Oversight,
    console: ConsoleDep,
    message: Annotated[str, Form()] = "",
    form_id: Annotated[str, Form()] = "",
) -> Response:
    """Urge a department on its overdue or at-risk item (督办), with a note."""
    assert user.party is not None
    if not _FORM_ID.fullmatch(form_id):
        raise HTTPException(400, "form_id: 表单已失效,请刷新页面后重试")
    now = console.now()
    with console.engine.connect() as conn:
        detail = get_item(conn, event_id, party)
    if detail is None:
        raise HTTPException(404, "未找到该事项")
    if not can_urge(item_view(detail.row, now, console.calendar), user.party):
        raise HTTPException(409, "该事项未逾期或临期,或已办结,无需督办")
    target = _urged(detail.row)
    officer = actions.Officer(user.username, user.name, user.party)
    result = publish_as_officer(
        console, officer, lambda o: actions.urging(target, o, message, form_id, now)
    )
    return _answered(request, user, result, f"/centre/items/{event_id}/{party}")


def _urged(row: ItemRow) -> actions.UrgedItem:
    return actions.UrgedItem(
        row.event_id, row.event_type, row.party, row.region, row.case_key, row.obligation_id
    )


def _answered(request: Request, user: CurrentUser, result: Any, back: str) -> Response:
    """The result fragment (htmx and plain posts alike), or the failure page."""
    ctx: dict[str, Any] = {"user": user, "result": result, "back": back}
    name = "pages/_action_result.html" if result.ok else "pages/action_failed.html"
    return templates.TemplateResponse(request, name, ctx, status_code=result.status)


@router.post("/pool/{event_id}/assign", dependencies=[Depends(check_csrf)])
def assign(
    request: Request,
    event_id: str,
    user: Oversight,
    console: ConsoleDep,
    to: Annotated[list[str], Form()] = [],  # noqa: B006
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Assign a pooled result to departments (what ``sgbus assign`` does)."""
    assert user.party is not None
    known = set(console.departments())
    unknown = [p for p in to if p not in known]
    if unknown:
        raise HTTPException(400, f"to: 未知部门 {', '.join(unknown)}")
    with console.engine.connect() as conn:
        detail = get_item(conn, event_id, user.party)
        raw = pooled_value(conn, event_id, user.party)
    if detail is None or raw is None:
        raise HTTPException(404, "待指派池中没有该审批结果")
    event = decode_payload(detail.row.event_type, detail.payload)
    officer = actions.Officer(user.username, user.name, user.party)
    result = publish_as_officer(
        console, officer, lambda o: actions.assignment(event, raw, o, to, reason, console.now())
    )
    ctx: dict[str, Any] = {"user": user, "result": result, "back": "/centre/pool"}
    name = "pages/_action_result.html" if result.ok else "pages/action_failed.html"
    return templates.TemplateResponse(request, name, ctx, status_code=result.status)


@router.get("/report")
def report(request: Request, user: Oversight, console: ConsoleDep) -> Response:
    """The 通报 for a period, as HTML, CSV or XLSX (of one city, with ``city``)."""
    start, end = _period(request, console)
    city = _city(request, console)
    try:
        fmt = Format(request.query_params.get("format") or "html")
    except ValueError:
        raise HTTPException(400, "format: 应为 html、csv 或 xlsx") from None
    built = _report(console, start, end, city)
    suffix = f"-{city}" if city else ""
    name = f"tongbao-{start.isoformat()}-{end.isoformat()}{suffix}.{fmt.value}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt is Format.HTML:
        source = "审管互动平台" + (f" · {console.cities()[city]}" if city else "")
        body = render_html(built, source).encode("utf-8")
        return Response(body, media_type="text/html; charset=utf-8", headers=disposition)
    if fmt is Format.CSV:
        body = ("\ufeff" + render_csv(built)).encode("utf-8")
        return Response(body, media_type="text/csv; charset=utf-8", headers=disposition)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        write_xlsx(built, path)
        body = path.read_bytes()
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, media_type=media, headers=disposition)


@router.get("/policy", response_class=HTMLResponse)
def policy(request: Request, user: Oversight, console: ConsoleDep) -> Response:
    """The rules in force, each with its article, and the year's non-standard days."""
    year = console.now().year
    days = [date(year, 1, 1) + timedelta(days=n) for n in range(366)]
    days = [d for d in days if d.year == year]
    off = [d for d in days if d.weekday() < 5 and not console.calendar.is_working_day(d)]
    on = [d for d in days if d.weekday() >= 5 and console.calendar.is_working_day(d)]
    ctx = {
        "user": user,
        "console": console,
        "policy": console.policy,
        "year": year,
        "days_off": off,
        "working_weekends": on,
        "provisional": console.calendar.is_provisional(days[0], days[-1]),
    }
    return templates.TemplateResponse(request, "pages/centre_policy.html", ctx)
