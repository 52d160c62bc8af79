"""The liaison officer's pages: 待认领 / 已认领 / 已逾期 lists, export, the item, claims,
replies, and passing an item on (转办) or disputing it (争议).

Every query is scoped to the logged-in officer's party: an item of another party is "not
found", whether asked by URL, by a form or in a bulk claim.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from sgbus.bus.events import (
    EVENT_CLASSES,
    ConsultationPosition,
    Envelope,
    Event,
    LicenceEffect,
    SupervisionActionKind,
    VerificationOutcome,
)
from sgbus.console import actions
from sgbus.console.readmodel.queries import (
    ItemDetail,
    ItemFilter,
    Tab,
    get_item,
    list_items,
)
from sgbus.console.runtime import Console, decode_payload
from sgbus.console.web import export
from sgbus.console.web.fields import rows_of
from sgbus.console.web.pages.deps import console_of, is_htmx, parse_day
from sgbus.console.web.pages.publish import publish_as_officer
from sgbus.console.web.templating import templates
from sgbus.console.web.users import CurrentUser, check_csrf, require_officer
from sgbus.console.web.views import item_view

router = APIRouter()
Officer = Annotated[CurrentUser, Depends(require_officer)]
ConsoleDep = Annotated[Console, Depends(console_of)]
EXPORT_LIMIT = 10_000
FILTER_FIELDS = ("matter", "case", "licensee", "decided_from", "decided_to", "claimer", "type")


def item_filter(request: Request, party: str | None, *, per_page: int = 50) -> ItemFilter:
    """The list's filter from the query string."""
    q = request.query_params
    try:
        tab = Tab(q.get("tab") or Tab.PENDING.value)
    except ValueError:
        raise HTTPException(400, "tab: 应为 pending、claimed、overdue 或 all") from None
    page = q.get("page") or "1"
    if not page.isdigit():
        raise HTTPException(400, "page: 应为正整数")
    return ItemFilter(
        party=party,
        tab=tab,
        matter=q.get("matter") or None,
        case=q.get("case") or None,
        licensee=q.get("licensee") or None,
        decided_from=parse_day(q.get("decided_from"), "decided_from"),
        decided_to=parse_day(q.get("decided_to"), "decided_to"),
        claimer=q.get("claimer") or None,
        event_type=q.get("type") or None,
        page=int(page),
        per_page=per_page,
    )


def list_context(request: Request, console: Console, f: ItemFilter) -> dict[str, Any]:
    """What the list template needs."""
    now = console.now()
    with console.engine.connect() as conn:
        page = list_items(conn, f, now)
    kept = {k: request.query_params.get(k, "") for k in FILTER_FIELDS}
    query = urlencode({"tab": f.tab.value, **{k: v for k, v in kept.items() if v}})
    return {
        "filter": f,
        "values": kept,
        "query": query,
        "page": page,
        "items": [item_view(r, now, console.calendar, console.party_name) for r in page.rows],
        "counts": page.counts,
        "tabs": [Tab.PENDING, Tab.CLAIMED, Tab.OVERDUE, Tab.ALL],
        "now": now,
        "event_types": sorted(EVENT_CLASSES),
    }


@router.get("/items", response_class=HTMLResponse)
def items(request: Request, user: Officer, console: ConsoleDep) -> Response:
    """The officer's list; htmx polls ``/items?…&fragment=1`` so new items appear."""
    ctx = list_context(request, console, item_filter(request, user.party))
    name = "pages/_items_table.html" if is_htmx(request) else "pages/items.html"
    return templates.TemplateResponse(request, name, {**ctx, "user": user})


@router.get("/items/export.{fmt}")
def export_items(request: Request, fmt: str, user: Officer, console: ConsoleDep) -> Response:
    """The whole filtered list as CSV or XLSX."""
    if fmt not in ("csv", "xlsx"):
        raise HTTPException(404, "导出格式应为 csv 或 xlsx")
    f = item_filter(request, user.party, per_page=EXPORT_LIMIT)
    now = console.now()
    with console.engine.connect() as conn:
        page = list_items(conn, f, now)
    views = [item_view(r, now, console.calendar, console.party_name) for r in page.rows]
    rows = [export.cells(v.row, v.days_left, v.state) for v in views]
    stamp = now.strftime("%Y%m%d")
    if fmt == "csv":
        body, media = export.to_csv(rows), "text/csv; charset=utf-8"
    else:
        body = export.to_xlsx(rows, f.tab.label)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    filename = f"items-{user.party}-{f.tab.value}-{stamp}.{fmt}"
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/items/{event_id}", response_class=HTMLResponse)
def item(request: Request, event_id: str, user: Officer, console: ConsoleDep) -> Response:
    """One item: every field, attachments, the case's history, and what can be done."""
    assert user.party is not None
    with console.engine.connect() as conn:
        detail = get_item(conn, event_id, user.party)
    if detail is None:
        raise HTTPException(404, "未找到该事项,或该事项不属于本部门")
    cls = EVENT_CLASSES[detail.row.event_type]
    ctx = {
        "user": user,
        "detail": detail,
        "view": item_view(detail.row, console.now(), console.calendar, console.party_name),
        "fields": rows_of(cls, detail.payload),
        "envelope": rows_of(Envelope, detail.payload["envelope"], hidden=frozenset()),
        "console": console,
        "today": console.now().date(),
        "departments": [d for d in console.departments() if d != user.party],
    }
    return templates.TemplateResponse(request, "pages/item.html", ctx)


def _event_of(console: Console, event_id: str, party: str) -> Any:
    with console.engine.connect() as conn:
        detail = get_item(conn, event_id, party)
    if detail is None:
        raise HTTPException(404, "未找到该事项,或该事项不属于本部门")
    return detail, decode_payload(detail.row.event_type, detail.payload)


def _claim_of(detail: ItemDetail, console: Console) -> Callable[[actions.Officer], Event]:
    event = decode_payload(detail.row.event_type, detail.payload)
    return lambda officer: actions.claim(event, officer, console.now())


def _officer(user: CurrentUser) -> actions.Officer:
    assert user.party is not None
    return actions.Officer(user.username, user.name, user.party)


@router.post("/items/{event_id}/claim", dependencies=[Depends(check_csrf)])
def claim(request: Request, event_id: str, user: Officer, console: ConsoleDep) -> Response:
    """One-click claim (签收) of one item."""
    detail, event = _event_of(console, event_id, _officer(user).party)
    if not detail.row.claimable:
        raise HTTPException(409, "该事项无需认领")
    if detail.row.passed_on or detail.row.in_dispute:
        raise HTTPException(409, "该事项已转办或争议未裁定,不能认领")
    result = publish_as_officer(
        console, _officer(user), lambda o: actions.claim(event, o, console.now())
    )
    return _done(request, f"/items/{event_id}", result, user)


@router.post("/items/claim", dependencies=[Depends(check_csrf)])
def bulk_claim(
    request: Request,
    user: Officer,
    console: ConsoleDep,
    event_ids: Annotated[list[str], Form(alias="event_id")] = [],  # noqa: B006
) -> Response:
    """Claim each chosen item; one result per item (a foreign item is refused, not claimed)."""
    officer = _officer(user)
    results: list[tuple[str, ItemDetail | None, str]] = []
    for event_id in dict.fromkeys(event_ids):
        with console.engine.connect() as conn:
            detail = get_item(conn, event_id, officer.party)
        if detail is None:
            results.append((event_id, None, "未找到该事项,或该事项不属于本部门"))
            continue
        row = detail.row
        if not row.claimable or row.claimed_at is not None or row.passed_on or row.in_dispute:
            results.append((event_id, detail, "无需认领、已认领、已转办或争议未裁定"))
            continue
        outcome = publish_as_officer(console, officer, _claim_of(detail, console))
        results.append((event_id, detail, outcome.message))
    ctx = {"user": user, "results": results}
    return templates.TemplateResponse(request, "pages/bulk_result.html", ctx)


@router.post("/items/{event_id}/reply", dependencies=[Depends(check_csrf)])
def reply(
    request: Request,
    event_id: str,
    user: Officer,
    console: ConsoleDep,
    position: Annotated[str, Form()],
    text: Annotated[str, Form()] = "",
) -> Response:
    """Reply to a 函询 (before consent would be deemed)."""
    _detail, event = _event_of(console, event_id, _officer(user).party)
    try:
        chosen = ConsultationPosition(position)
    except ValueError:
        raise HTTPException(400, "position: 请选择答复意见") from None
    result = publish_as_officer(
        console,
        _officer(user),
        lambda o: actions.consultation_reply(event, o, chosen, text, console.now()),
    )
    return _done(request, f"/items/{event_id}", result, user)


@router.post("/items/{event_id}/verification", dependencies=[Depends(check_csrf)])
def verification(
    request: Request,
    event_id: str,
    user: Officer,
    console: ConsoleDep,
    outcome: Annotated[str, Form()],
    verified_on: Annotated[str, Form()],
    findings: Annotated[str, Form()],
    follow_up: Annotated[str, Form()] = "",
) -> Response:
    """Report the verification of a 告知承诺 commitment (核查结果)."""
    _detail, event = _event_of(console, event_id, _officer(user).party)
    try:
        chosen = VerificationOutcome(outcome)
    except ValueError:
        raise HTTPException(400, "outcome: 请选择核查结论") from None
    day = parse_day(verified_on, "verified_on") or console.now().date()
    result = publish_as_officer(
        console,
        _officer(user),
        lambda o: actions.verification_result(
            event, o, chosen, day, findings, follow_up, console.now()
        ),
    )
    return _done(request, f"/items/{event_id}", result, user)


@router.post("/items/{event_id}/supervision", dependencies=[Depends(check_csrf)])
def supervision(
    request: Request,
    event_id: str,
    user: Officer,
    console: ConsoleDep,
    kind: Annotated[str, Form()],
    decision_number: Annotated[str, Form()],
    decision_date: Annotated[str, Form()],
    authority_name: Annotated[str, Form()],
    authority_uscc: Annotated[str, Form()],
    result_text: Annotated[str, Form(alias="result")],
    licence_effect: Annotated[str, Form()],
    law: Annotated[str, Form()],
    article: Annotated[str, Form()],
) -> Response:
    """Push supervision information about this item's licensee back (监管信息推送)."""
    _detail, event = _event_of(console, event_id, _officer(user).party)
    try:
        form = actions.SupervisionForm(
            kind=SupervisionActionKind(kind),
            decision_number=decision_number,
            decision_date=parse_day(decision_date, "decision_date") or date.today(),
            authority_name=authority_name,
            authority_uscc=authority_uscc,
            result=result_text,
            licence_effect=LicenceEffect(licence_effect),
            law=law,
            article=article,
        )
    except ValueError:
        raise HTTPException(400, "kind / licence_effect: 请从列表中选择") from None
    outcome = publish_as_officer(
        console, _officer(user), lambda o: actions.supervision_action(event, o, form, console.now())
    )
    return _done(request, f"/items/{event_id}", outcome, user)


def _actionable(console: Console, event_id: str, officer: actions.Officer) -> Event:
    """The item, if the officer's party may still pass it on or dispute it; else 404 (not
    theirs) or 409 (already claimed, transferred or disputed)."""
    detail, event = _event_of(console, event_id, officer.party)
    if not detail.row.can_pass_on:
        raise HTTPException(409, "该事项已认领、已转办或已提出争议,不能再转办或提出争议")
    found: Event = event
    return found


@router.post("/items/{event_id}/transfer", dependencies=[Depends(check_csrf)])
def transfer(
    request: Request,
    event_id: str,
    user: Officer,
    console: ConsoleDep,
    to: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Pass the item on to another department (转办), with a reason."""
    officer = _officer(user)
    if to not in console.departments() or to == officer.party:
        raise HTTPException(400, "to: 请从列表中选择接收部门")
    event = _actionable(console, event_id, officer)
    result = publish_as_officer(
        console, officer, lambda o: actions.transfer(event, o, to, reason, console.now())
    )
    return _done(request, f"/items/{event_id}", result, user)


@router.post("/items/{event_id}/dispute", dependencies=[Depends(check_csrf)])
def dispute(
    request: Request,
    event_id: str,
    user: Officer,
    console: ConsoleDep,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Dispute that the item is this party's (争议); the centre rules on it."""
    officer = _officer(user)
    event = _actionable(console, event_id, officer)
    result = publish_as_officer(
        console, officer, lambda o: actions.dispute(event, o, reason, console.now())
    )
    return _done(request, f"/items/{event_id}", result, user)


def _done(request: Request, back: str, result: Any, user: CurrentUser) -> Response:
    """htmx gets the result fragment; a plain form post goes back to the item."""
    if is_htmx(request):
        ctx = {"user": user, "result": result}
        return templates.TemplateResponse(
            request, "pages/_action_result.html", ctx, status_code=result.status
        )
    if not result.ok:
        ctx = {"user": user, "result": result, "back": back}
        return templates.TemplateResponse(
            request, "pages/action_failed.html", ctx, status_code=result.status
        )
    return RedirectResponse(f"{back}?done=1", status_code=303)
