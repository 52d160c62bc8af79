"""The liaison-officer directory (联络员名录): who acts for which party, and how to reach them.

Phone and e-mail are personal data: shown to admins only, never logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, select

from sgbus.bus.store.tables import console_officers
from sgbus.bus.store.upsert import upsert

#: ``head`` (负责人) is reached, never logs in: the digest tells them of their department's
#: breaches (天津's escalation to the department head).
ROLES = ("officer", "oversight", "admin", "head")
_PHONE = re.compile(r"^[0-9+\-() ]{5,32}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,99}$")


@dataclass(frozen=True)
class OfficerEntry:
    """One entry of the directory."""

    username: str
    party: str
    name: str
    role: str
    phone: str | None = None
    email: str | None = None


def problems(entry: OfficerEntry, parties: set[str]) -> list[str]:
    """What is wrong with ``entry``, each naming the field (never echoing a contact value)."""
    out = []
    if not _USERNAME.match(entry.username):
        out.append("username: 应为小写字母、数字、点、横线或下划线,2–100 个字符")
    if entry.party not in parties:
        out.append("party: 不是目录中的参与方")
    if not entry.name.strip() or len(entry.name) > 100:
        out.append("name: 必填,不超过 100 个字符")
    if entry.role not in ROLES:
        out.append(f"role: 应为 {'、'.join(ROLES)} 之一")
    if entry.phone and not _PHONE.match(entry.phone):
        out.append("phone: 格式不正确")
    if entry.email and not _EMAIL.match(entry.email):
        out.append("email: 格式不正确")
    return out


def save(conn: Connection, entry: OfficerEntry, now: datetime) -> None:
    """Add or replace the entry of ``entry.username``."""
    row = {**entry.__dict__, "updated_at": now}
    upsert(conn, console_officers, [row], keys=("username",))


def remove(conn: Connection, username: str) -> bool:
    """Delete an entry; False when there was none."""
    done = conn.execute(delete(console_officers).where(console_officers.c.username == username))
    return bool(done.rowcount)


def entries(conn: Connection) -> list[OfficerEntry]:
    """Every entry, by party then name."""
    c = console_officers.c
    q = select(c.username, c.party, c.name, c.role, c.phone, c.email).order_by(c.party, c.name)
    return [OfficerEntry(*r) for r in conn.execute(q)]
