"""The console's FastAPI app: sessions, security headers, error pages, login and the pages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from sgbus.console.runtime import Console
from sgbus.console.web import auth
from sgbus.console.web.config import ConsoleSettings, LoginClient
from sgbus.console.web.pages import admin, centre, officer
from sgbus.console.web.templating import templates
from sgbus.console.web.users import (
    ADMIN,
    OVERSIGHT,
    LoginRequired,
    SessionExpired,
    current_user,
)

_STATIC = Path(__file__).with_name("static")
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self';"
    " script-src 'self'; frame-ancestors 'none'; form-action 'self' {idp}",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class SessionLimits:
    """How long a session may stay idle, and live at all."""

    idle_s: int
    max_s: int


def create_app(
    console: Console,
    web: ConsoleSettings,
    session_secret: str,
    login: LoginClient | None,
) -> FastAPI:
    """The console app; ``login`` None serves pages to existing sessions only (tests)."""
    app = FastAPI(title="审管互动平台", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.console = console
    app.state.base_url = web.base_url()
    app.state.session_limits = SessionLimits(web.idle_timeout_s, web.session_max_s)
    app.state.oauth = auth.oauth_for(login) if login else None
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret,
        session_cookie="sgbus_console",
        max_age=web.session_max_s,
        same_site="lax",  # the provider's redirect back is a top-level GET
        https_only=web.secure_cookies(),
    )
    idp = login.issuer.split("/realms/")[0] if login else ""
    headers = {k: v.replace("{idp}", idp).strip() for k, v in _HEADERS.items()}

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    app.mount("/static", StaticFiles(directory=_STATIC), name="static")
    for router in (auth.router, officer.router, centre.router, admin.router):
        app.include_router(router)
    _routes(app)
    _errors(app)
    return app


def _routes(app: FastAPI) -> None:
    @app.get("/")
    def home(request: Request) -> Response:
        user = current_user(request)
        if user.has(OVERSIGHT):
            return RedirectResponse("/centre", status_code=303)
        if user.party is not None:
            return RedirectResponse("/items?tab=pending", status_code=303)
        if user.has(ADMIN):
            return RedirectResponse("/admin/officers", status_code=303)
        raise HTTPException(403, "该账号没有可用的页面")

    @app.get("/healthz")
    def health(request: Request) -> Response:
        projector = request.app.state.console.projector
        ok = projector is None or projector.loop.health.healthy
        return JSONResponse({"ok": ok}, status_code=200 if ok else 503)


def _errors(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        target = f"/auth/login?next={exc.next_path}"
        if request.method != "GET" or request.headers.get("HX-Request"):
            ctx = {"status": 401, "message": "请先登录", "user": None, "login": target}
            response = templates.TemplateResponse(request, "error.html", ctx, status_code=401)
            response.headers["HX-Redirect"] = target
            return response
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(SessionExpired)
    async def expired(request: Request, exc: SessionExpired) -> Response:
        target = f"/auth/login?next={request.url.path}"
        message = "会话已过期(长时间未操作),请重新登录"
        ctx = {"status": 401, "message": message, "user": None, "login": target}
        response = templates.TemplateResponse(request, "error.html", ctx, status_code=401)
        response.headers["HX-Redirect"] = target
        return response

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "请求有误"
        if exc.status_code == 404 and message == "Not Found":
            message = "页面不存在"
        return _error_page(request, exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        # Field names only: a rejected value may be personal data.
        names = sorted({str(e["loc"][-1]) for e in exc.errors() if e.get("loc")})
        return _error_page(request, 400, f"缺少或无效的字段:{'、'.join(names)}")


def _error_page(request: Request, status: int, message: str) -> Response:
    ctx: dict[str, Any]
    if request.headers.get("HX-Request"):
        ctx = {"result": _Failure(message)}
        return templates.TemplateResponse(
            request, "pages/_action_result.html", ctx, status_code=status
        )
    ctx = {"status": status, "message": message, "user": _maybe_user(request)}
    return templates.TemplateResponse(request, "error.html", ctx, status_code=status)


@dataclass(frozen=True)
class _Failure:
    message: str
    ok: bool = False


def _maybe_user(request: Request) -> Any:
    try:
        return current_user(request)
    except (LoginRequired, SessionExpired):
        return None
