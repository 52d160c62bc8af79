"""Checks of Chinese codes and common formats. Each returns ``None`` when fine, else a short reason
that never repeats the value (callers add a masked form where it helps)."""

from __future__ import annotations

import datetime
import re

# GB 32100-2015: 18 characters from this alphabet (no I, O, S, V, Z); the 18th is a check character.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUES = {c: i for i, c in enumerate(USCC_ALPHABET)}
_USCC_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")

# GB 11643-1999: 17 digits and a check digit (0-9 or X).
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")

# GB/T 2260 province-level prefixes (incl. 71 Taiwan, 81 Hong Kong, 82 Macao).
PROVINCE_PREFIXES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_MEDIA_TYPE = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(\s*;.*)?$"
)
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
# A host without user info (no credentials in a URL on the bus), then a path, query or fragment.
_WEB_URL = re.compile(r"^https?://[^/?#\s@]+(?:[/?#]\S*)?$", re.IGNORECASE)
_MOBILE = re.compile(r"^(\+?86[- ]?)?1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^(\+?86[- ]?)?(0\d{2,3}[- ]?)?[2-9]\d{6,7}([- ]?(转|ext\.?|x)?\d{1,6})?$")
_SERVICE = re.compile(r"^(95\d{3,6}|1[0-2]\d{3}|400[- ]?\d{3}[- ]?\d{4})$")


def uscc_check_char(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters of a credit code."""
    try:
        values = [_USCC_VALUES[c] for c in first17]
    except KeyError as exc:
        raise ValueError(f"{exc.args[0]!r} is not a GB 32100-2015 character") from None
    total = sum(v * w for v, w in zip(values, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not a valid unified social credit code, or ``None``."""
    if len(code) != 18:
        return f"must be 18 characters, has {len(code)}"
    if not _USCC_SHAPE.fullmatch(code):
        return "has characters outside GB 32100-2015 (digits, capitals except I, O, S, V, Z)"
    if uscc_check_char(code[:17]) != code[17]:
        return "check character is wrong (GB 32100-2015)"
    return None


def resident_id_check_digit(first17: str) -> str:
    """The GB 11643 check digit for the first 17 digits of a resident ID number."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def resident_id_problem(number: str) -> str | None:
    """Why ``number`` is not a valid 18-digit resident ID number (GB 11643), or ``None``."""
    if len(number) != 18:
        return f"must be 18 characters, has {len(number)}"
    if not _ID_SHAPE.fullmatch(number):
        return "must be 17 digits and a digit or upper-case X"
    if number[:2] not in PROVINCE_PREFIXES:
        return "does not start with a province code"
    try:
        datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "birth date part is not a real date"
    if resident_id_check_digit(number[:17]) != number[17]:
        return "check digit is wrong (GB 11643)"
    return None


def division_code_problem(code: str) -> str | None:
    """Why ``code`` is not a plausible 6-digit division code (GB/T 2260), or ``None``.

    Structural only: a known province prefix, and no county part under a missing city part.
    Whether the code exists in the current official list is not checked.
    """
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return "must be 6 digits"
    if code[:2] not in PROVINCE_PREFIXES:
        return f"province prefix {code[:2]} does not exist"
    if code[2:4] == "00" and code[4:] != "00":
        return "has a county part without a city part"
    return None


def phone_problem(phone: str) -> str | None:
    """Why ``phone`` is not a mainland mobile, landline or service number, or ``None``."""
    compact = phone.strip()
    if _MOBILE.fullmatch(compact) or _LANDLINE.fullmatch(compact) or _SERVICE.fullmatch(compact):
        return None
    return "is not a mobile, landline or service number"


def sha256_problem(value: str) -> str | None:
    """``None`` for 64 lower-case hex digits."""
    return None if _SHA256.fullmatch(value) else "must be 64 lower-case hex digits"


def media_type_problem(value: str) -> str | None:
    """``None`` for a ``type/subtype`` media type."""
    return None if _MEDIA_TYPE.fullmatch(value) else "must be a media type such as application/pdf"


def uri_problem(value: str) -> str | None:
    """``None`` for an absolute URI with a scheme and no blanks."""
    return None if _URI.fullmatch(value) else "must be an absolute URI (scheme:...) without blanks"


def web_url_problem(value: str) -> str | None:
    """``None`` for an absolute ``http:`` or ``https:`` URL with a host and no blanks."""
    if _WEB_URL.fullmatch(value):
        return None
    return "must be an absolute http:// or https:// URL with a host and without blanks"
