"""Who is logged in, and what they may do: the session's user, roles, idle timeout, CSRF.

The session (a signed cookie) holds the user as the identity provider described them at
login: username, display name, party (their one party group) and roles. Nothing a form sends
can change it. Every state-changing request carries the session's CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request

OFFICER, OVERSIGHT, ADMIN = "officer", "oversight", "admin"
ROLES = frozenset({OFFICER, OVERSIGHT, ADMIN})
USER_KEY, SEEN_KEY, LOGIN_KEY, CSRF_KEY = "user", "seen", "login_at", "csrf"
#: Query parameter of the requests a page makes by itself (htmx polling).
POLL_PARAM = "poll"


@dataclass(frozen=True)
class CurrentUser:
    """The logged-in person."""

    username: str
    name: str
    party: str | None
    roles: frozenset[str]

    def has(self, role: str) -> bool:
        """Whether the user holds ``role``."""
        return role in self.roles

    def as_session(self) -> dict[str, Any]:
        """The JSON kept in the session cookie."""
        return {
            "username": self.username,
            "name": self.name,
            "party": self.party,
            "roles": sorted(self.roles),
        }

    @classmethod
    def from_session(cls, data: Mapping[str, Any]) -> CurrentUser:
        """The user of a session."""
        return cls(data["username"], data["name"], data["party"], frozenset(data["roles"]))


class Refused(Exception):
    """The identity provider's user may not use the console; ``reason`` is shown (Chinese)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def user_from_claims(claims: Mapping[str, Any], parties: Iterable[str]) -> CurrentUser:
    """The console user described by ID-token claims (``groups``, ``roles``).

    An officer needs exactly one party group of the catalogue; an oversight or admin user
    may have one (the oversight office's own) or none.
    """
    username = str(claims.get("preferred_username") or claims.get("sub") or "")
    if not username:
        raise Refused("登录信息中没有用户名")
    roles = frozenset(str(r) for r in claims.get("roles") or ()) & ROLES
    if not roles:
        raise Refused("该账号未被授予审管互动平台的角色(officer、oversight 或 admin)")
    known = set(parties)
    groups = [str(g).lstrip("/") for g in claims.get("groups") or ()]
    mine = sorted({g for g in groups if g in known})
    if len(mine) > 1:
        raise Refused("该账号属于多个部门,请联系管理员只保留一个")
    party = mine[0] if mine else None
    if party is None and roles == {OFFICER}:
        raise Refused("该账号未加入任何部门,无法办理事项")
    name = str(claims.get("given_name") or claims.get("name") or username).strip()
    return CurrentUser(username, name or username, party, roles)


class LoginRequired(Exception):
    """No session: the browser is sent to log in (``next`` is where it was going)."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class SessionExpired(Exception):
    """The session was idle for longer than the idle timeout, or is too old."""


def start_session(request: Request, user: CurrentUser) -> None:
    """A fresh session for ``user`` (a new CSRF token: nothing of a previous one survives)."""
    request.session.clear()
    now = int(time.time())
    request.session.update(
        {
            USER_KEY: user.as_session(),
            SEEN_KEY: now,
            LOGIN_KEY: now,
            CSRF_KEY: secrets.token_urlsafe(32),
        }
    )


def current_user(request: Request) -> CurrentUser:
    """The session's user; raises :class:`LoginRequired` or :class:`SessionExpired`."""
    data = request.session.get(USER_KEY)
    if not data:
        raise LoginRequired(request.url.path)
    now = int(time.time())
    limits = request.app.state.session_limits
    seen = int(request.session.get(SEEN_KEY, 0))
    login_at = int(request.session.get(LOGIN_KEY, 0))
    if now - seen > limits.idle_s or now - login_at > limits.max_s:
        request.session.clear()
        raise SessionExpired()
    if request.query_params.get(POLL_PARAM) != "1":
        # A page refreshing itself is not the officer at work: it must not keep the session
        # alive for ever on an unattended screen.
        request.session[SEEN_KEY] = now
    return CurrentUser.from_session(data)


def _require(request: Request, role: str) -> CurrentUser:
    user = current_user(request)
    if not user.has(role):
        raise HTTPException(403, "您的账号无权访问该页面")
    return user


def require_officer(request: Request) -> CurrentUser:
    """A logged-in officer of a party."""
    user = _require(request, OFFICER)
    if user.party is None:
        raise HTTPException(403, "该账号未加入任何部门")
    return user


def require_oversight(request: Request) -> CurrentUser:
    """A logged-in member of the oversight office."""
    return _require(request, OVERSIGHT)


def require_admin(request: Request) -> CurrentUser:
    """A logged-in administrator."""
    return _require(request, ADMIN)


def csrf_token(request: Request) -> str:
    """The session's CSRF token, for forms and htmx."""
    return str(request.session.get(CSRF_KEY, ""))


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing request without the session's CSRF token (form field
    ``csrf_token`` or header ``X-CSRF-Token``)."""
    expected = csrf_token(request)
    sent = request.headers.get("X-CSRF-Token")
    if not sent:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise HTTPException(403, "表单已失效(缺少或错误的安全令牌),请刷新页面后重试")
