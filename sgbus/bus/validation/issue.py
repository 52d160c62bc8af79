"""One validation problem, with personal data masked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sgbus.bus.validation.masking import mask


@dataclass(frozen=True)
class Issue:
    """One problem: the field path and what is wrong, personal data masked."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def field_issue(path: str, fld: dict[str, Any], value: Any, problem: str) -> Issue:
    """The issue of a failed field check; a personal-data field shows its value masked only."""
    if fld.get("pii") is True:
        return Issue(path, f"{problem} (value {mask(value)})")
    return Issue(path, problem)
