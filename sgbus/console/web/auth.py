"""Login through the platform's OpenID Connect provider: authorization code with PKCE (S256),
by authlib. The ID token's ``groups`` and ``roles`` claims say who the user is here."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import structlog
from authlib.integrations.starlette_client import OAuth, OAuthError
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from sgbus.console.web.config import LoginClient
from sgbus.console.web.templating import templates
from sgbus.console.web.users import Refused, check_csrf, start_session, user_from_claims

log = structlog.get_logger("sgbus.console.web.auth")
router = APIRouter(prefix="/auth")
_NEXT, _ID_TOKEN = "next", "id_token"


def oauth_for(client: LoginClient) -> OAuth:
    """The authlib registry with the console's client (discovery from the issuer)."""
    oauth = OAuth()
    oauth.register(
        name="sgbus",
        client_id=client.client_id,
        client_secret=client.client_secret,
        server_metadata_url=f"{client.issuer}/.well-known/openid-configuration",
        client_kwargs={
            "scope": "openid profile email",
            "code_challenge_method": "S256",
            "verify": client.tls(),
        },
    )
    return oauth


def _client(request: Request) -> Any:
    oauth: OAuth | None = request.app.state.oauth
    if oauth is None:
        raise HTTPException(503, "未配置统一身份认证,无法登录")
    return oauth.create_client("sgbus")


def _local(path: str | None) -> str:
    """Only a path on this site (never another host) is a place to go back to."""
    if path and path.startswith("/") and not path.startswith("//"):
        return path
    return "/"


@router.get("/login")
async def login(request: Request, next: str | None = None) -> Response:
    """Send the browser to the identity provider."""
    client = _client(request)
    request.session[_NEXT] = _local(next)
    redirect_uri = f"{request.app.state.base_url}/auth/callback"
    response: Response = await client.authorize_redirect(request, redirect_uri)
    return response


@router.get("/callback")
async def callback(request: Request) -> Response:
    """The provider sends the browser back with a code: exchange it, start the session."""
    client = _client(request)
    going = _local(request.session.get(_NEXT))
    try:
        token = await client.authorize_access_token(request)
    except OAuthError as exc:
        log.warning("login failed", error=exc.error)
        raise HTTPException(401, "登录失败,请重试") from None
    claims = token.get("userinfo") or {}
    try:
        user = user_from_claims(claims, request.app.state.console.catalogue.parties_by_id)
    except Refused as refused:
        log.warning("login refused", reason=refused.reason)
        ctx = {"status": 403, "message": refused.reason, "user": None}
        return templates.TemplateResponse(request, "error.html", ctx, status_code=403)
    start_session(request, user)
    request.session[_ID_TOKEN] = token.get("id_token")
    log.info("login", username=user.username, party=user.party, roles=sorted(user.roles))
    return RedirectResponse(going, status_code=303)


@router.post("/logout", dependencies=[Depends(check_csrf)])
async def logout(request: Request) -> Response:
    """End the console session and the provider's single sign-on session."""
    id_token = request.session.get(_ID_TOKEN)
    request.session.clear()
    back = f"{request.app.state.base_url}/auth/logged-out"
    try:
        metadata = await _client(request).load_server_metadata()
    except HTTPException:
        return RedirectResponse("/auth/logged-out", status_code=303)
    end = metadata.get("end_session_endpoint")
    if not end or not id_token:
        return RedirectResponse("/auth/logged-out", status_code=303)
    url = f"{end}?{urlencode({'id_token_hint': id_token, 'post_logout_redirect_uri': back})}"
    return RedirectResponse(url, status_code=303)


@router.get("/logged-out", response_class=HTMLResponse)
def logged_out(request: Request) -> Response:
    """After logout."""
    return templates.TemplateResponse(request, "logged_out.html", {"user": None})
