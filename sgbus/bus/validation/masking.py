"""Masking personal data for logs and error messages."""

from __future__ import annotations

from typing import Any


def mask(value: Any) -> Any:
    """A masked form that keeps a hint for a human (``张*``, ``138******78``), never the value.

    Strings keep at most their first three and last two characters, and only when long enough that
    most of the value stays hidden; bytes become their length; other values are replaced whole.
    """
    if value is None:
        return None
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    if not isinstance(value, str):
        return "***"
    n = len(value)
    if n <= 1:
        return "*" * n
    if n == 2:
        return value[0] + "*"
    if n <= 7:
        return value[0] + "*" * (n - 2) + value[-1]
    return value[:3] + "*" * (n - 5) + value[-2:]
