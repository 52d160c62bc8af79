"""Administrative division codes (行政区划代码) and which entry of a policy map covers one. Pure.

A code has six digits: two for the province, two for the city, two for the county. A city's
own code ends in ``00`` (威海 ``371000``), a province's in ``0000`` (山东 ``370000``). A code
is covered by the most specific entry that names it: its county (the code itself), else its
city (first four digits + ``00``), else its province (first two + ``0000``), else the map's
default entry, if it has one.
"""

from __future__ import annotations

import re
from collections.abc import Collection

REGION_PATTERN = r"^\d{6}$"
_REGION = re.compile(REGION_PATTERN)


def is_region_code(code: str) -> bool:
    """Whether ``code`` is six ASCII digits."""
    return bool(_REGION.fullmatch(code))


def city_of(code: str) -> str:
    """The city a code lies in: ``370302`` → ``370300``."""
    return code[:4] + "00"


def province_of(code: str) -> str:
    """The province a code lies in: ``370302`` → ``370000``."""
    return code[:2] + "0000"


def candidates(code: str) -> tuple[str, ...]:
    """The entries that could cover ``code``, most specific first, without repeats;
    empty for a string that is not a region code."""
    if not is_region_code(code):
        return ()
    return tuple(dict.fromkeys((code, city_of(code), province_of(code))))


def covering(code: str, keys: Collection[str]) -> str | None:
    """The most specific of ``keys`` that covers ``code``, or None (see the module doc)."""
    return next((c for c in candidates(code) if c in keys), None)


def scope_prefix(code: str) -> str:
    """The prefix every code inside ``code``'s area starts with: ``370000`` → ``37``,
    ``371000`` → ``3710``, ``370302`` → ``370302`` (for per-city and province reports)."""
    if not is_region_code(code):
        raise ValueError(f"{code!r} is not a six-digit region code")
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def level_of(code: str) -> str:
    """``province``, ``city`` or ``county``, from the code's trailing zeros."""
    return {2: "province", 4: "city"}.get(len(scope_prefix(code)), "county")
