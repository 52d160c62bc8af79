"""The identity provider's bootstrap admin, generated once and kept 0600 in ``admin.json``."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sgbus.identity.files import write_json_private

ADMIN_USERNAME = "sgbus-bootstrap-admin"


@dataclass(frozen=True)
class AdminCredentials:
    """User name and password of the master realm's bootstrap admin."""

    username: str
    password: str = field(repr=False)


def load_admin_credentials(path: Path) -> AdminCredentials:
    """Read ``admin.json``."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    return AdminCredentials(username=str(doc["username"]), password=str(doc["password"]))


def ensure_admin_credentials(identity_dir: Path) -> AdminCredentials:
    """The admin in ``<identity_dir>/admin.json``, generated on the first call (folder 0700).

    Keycloak creates the bootstrap admin only on its first start, so an existing file is
    always kept: a new password would not match the one in Keycloak's database.
    """
    identity_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(identity_dir, 0o700)
    path = identity_dir / "admin.json"
    if path.is_file():
        return load_admin_credentials(path)
    admin = AdminCredentials(ADMIN_USERNAME, secrets.token_urlsafe(24))
    write_json_private(path, {"username": admin.username, "password": admin.password})
    return admin
