"""Dead letters at rest: the refused payload is kept Fernet-encrypted, or not at all.

A refused record may hold personal data (ID and phone numbers). With
``SGBUS_DEADLETTER_PAYLOAD=encrypted`` (the default) the dead letter's ``original_value`` is
the Fernet token of the original bytes and its ``original_headers`` say
``sgbus-payload-encrypted: fernet``; with ``drop`` it has no value and says
``sgbus-payload-dropped: 1``. A sender's headers are never kept. The key comes from
``SGBUS_DEADLETTER_KEY`` or, unset, from ``<stack_dir>/identity/deadletter.key`` (created
0600 in a 0700 folder on first use).

:class:`PayloadPolicy` is pure; :func:`payload_policy` and :func:`load_key` read settings and
the key file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import structlog
from cryptography.fernet import Fernet, InvalidToken

from sgbus.bus import headers as h
from sgbus.bus.events import DeadLetter, KafkaHeader
from sgbus.bus.settings import Settings

log = structlog.get_logger("sgbus.bus.deadletter_payload")

FERNET = "fernet"
KEY_FILE = Path("identity") / "deadletter.key"


class PayloadNotKept(ValueError):
    """The dead letter's payload was dropped (``drop`` mode): nothing to show or replay."""


class PayloadUnreadable(ValueError):
    """The payload is encrypted, and the configured key is not the one it was sealed with."""


@dataclass(frozen=True)
class PayloadPolicy:
    """How dead letters keep a refused payload: encrypted with ``fernet``, or dropped (None)."""

    fernet: Fernet | None = None

    def seal(self, value: bytes | None) -> tuple[bytes | None, dict[str, str]]:
        """What a dead letter stores for ``value``, and the marks saying how it stores it."""
        if value is None:
            return None, {}
        if self.fernet is None:
            return None, {h.PAYLOAD_DROPPED: "1"}
        return self.fernet.encrypt(value), {h.PAYLOAD_ENCRYPTED: FERNET}


#: Keep nothing of a refused payload (also what callers without settings get).
DROP = PayloadPolicy()


def marks(dead: DeadLetter) -> dict[str, str]:
    """The payload marks among a dead letter's ``original_headers``."""
    wanted = (h.PAYLOAD_ENCRYPTED, h.PAYLOAD_DROPPED)
    return {
        k.key: k.value.decode("utf-8", "replace")
        for k in dead.original_headers
        if k.key in wanted and k.value is not None
    }


def mark_headers(found: dict[str, str]) -> list[KafkaHeader]:
    """``original_headers`` for a dead letter: only its payload marks."""
    return [KafkaHeader(key=k, value=v.encode()) for k, v in found.items()]


def original_payload(dead: DeadLetter, fernet: Fernet | None) -> bytes | None:
    """The original bytes of ``dead`` (None when the original had none). Raises
    :class:`PayloadNotKept` for a dropped payload, :class:`PayloadUnreadable` for one sealed
    with another key (or when no key is given). Dead letters from before encryption are
    returned as they are."""
    found = marks(dead)
    dead_id = dead.envelope.event_id
    if found.get(h.PAYLOAD_DROPPED) == "1":
        raise PayloadNotKept(
            f"dead letter {dead_id}: its payload was not kept (SGBUS_DEADLETTER_PAYLOAD=drop)"
        )
    if dead.original_value is None or h.PAYLOAD_ENCRYPTED not in found:
        return dead.original_value
    if found[h.PAYLOAD_ENCRYPTED] != FERNET or fernet is None:
        raise PayloadUnreadable(f"dead letter {dead_id}: no key to decrypt its payload")
    try:
        return fernet.decrypt(dead.original_value)
    except InvalidToken:
        raise PayloadUnreadable(
            f"dead letter {dead_id}: its payload was encrypted with another key"
            " than SGBUS_DEADLETTER_KEY (or the stack's deadletter.key)"
        ) from None


def payload_policy(settings: Settings) -> PayloadPolicy:
    """The policy the settings ask for (reads or creates the key in ``encrypted`` mode)."""
    if settings.deadletter_payload == "drop":
        return DROP
    return PayloadPolicy(Fernet(load_key(settings)))


def reading_key(settings: Settings) -> Fernet | None:
    """The key to read dead letters with (tools): the configured one, or the stack's key
    file if there is one; never creates a key."""
    if settings.deadletter_key is not None:
        return Fernet(load_key(settings))
    path = settings.stack_state_dir() / KEY_FILE
    return Fernet(_read_private(path)) if path.is_file() else None


def load_key(settings: Settings) -> bytes:
    """The dead-letter key: ``SGBUS_DEADLETTER_KEY``, else the stack's key file, created
    (mode 0600, folder 0700) when missing."""
    if settings.deadletter_key is not None:
        return settings.deadletter_key.get_secret_value().strip().encode()
    return key_file(settings.stack_state_dir() / KEY_FILE)


def key_file(path: Path) -> bytes:
    """The key in ``path``; a new one put there (0600) if there is none. Written aside and
    linked into place, so two processes starting at once agree on one whole key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    if path.exists():
        return _read_private(path)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(Fernet.generate_key() + b"\n")
    try:
        os.link(partial, path)
        log.info("dead-letter key created", path=str(path))
    except FileExistsError:
        pass  # another process was first: use its key
    finally:
        partial.unlink(missing_ok=True)
    return _read_private(path)


def _read_private(path: Path) -> bytes:
    """A key file's key; a file readable by others is tightened to 0600 first."""
    if path.stat().st_mode & 0o077:
        log.warning("dead-letter key file was readable by others; set to 0600", path=str(path))
        os.chmod(path, 0o600)
    return path.read_bytes().strip()
