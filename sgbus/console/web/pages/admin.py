"""The admin's page: the liaison-officer directory."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from sgbus.console import directory
from sgbus.console.runtime import Console
from sgbus.console.web.pages.deps import console_of
from sgbus.console.web.templating import templates
from sgbus.console.web.users import CurrentUser, check_csrf, require_admin

router = APIRouter(prefix="/admin")
Admin = Annotated[CurrentUser, Depends(require_admin)]
ConsoleDep = Annotated[Console, Depends(console_of)]


def _page(request: Request, user: CurrentUser, console: Console, errors: list[str]) -> Response:
    with console.engine.connect() as conn:
        found = directory.entries(conn)
    ctx = {
        "user": user,
        "console": console,
        "entries": found,
        "errors": errors,
        "parties": sorted(p.id for p in console.catalogue.parties),
        "roles": directory.ROLES,
    }
    return templates.TemplateResponse(
        request, "pages/officers.html", ctx, status_code=400 if errors else 200
    )


@router.get("/officers", response_class=HTMLResponse)
def officers(request: Request, user: Admin, console: ConsoleDep) -> Response:
    """The directory, with a form to add or change an entry."""
    return _page(request, user, console, [])


@router.post("/officers", dependencies=[Depends(check_csrf)])
def save_officer(
    request: Request,
    user: Admin,
    console: ConsoleDep,
    username: Annotated[str, Form()],
    party: Annotated[str, Form()],
    name: Annotated[str, Form()],
    role: Annotated[str, Form()],
    phone: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
) -> Response:
    """Add or change an entry; errors name the field."""
    entry = directory.OfficerEntry(
        username.strip(), party, name.strip(), role, phone.strip() or None, email.strip() or None
    )
    errors = directory.problems(entry, {p.id for p in console.catalogue.parties})
    if errors:
        return _page(request, user, console, errors)
    with console.engine.begin() as conn:
        directory.save(conn, entry, console.now())
    return RedirectResponse("/admin/officers", status_code=303)


@router.post("/officers/{username}/delete", dependencies=[Depends(check_csrf)])
def delete_officer(username: str, user: Admin, console: ConsoleDep) -> Response:
    """Remove an entry."""
    with console.engine.begin() as conn:
        directory.remove(conn, username)
    return RedirectResponse("/admin/officers", status_code=303)
