"""The Java example repeats a few of the bus's constants; they must not drift from Python's."""

from __future__ import annotations

import re
from pathlib import Path

from sgbus.bus import claims
from sgbus.bus import headers as h

SRC = Path(__file__).resolve().parents[2] / "examples" / "java" / "src" / "main" / "java"
PKG = SRC / "sgbus" / "example"


def _java_string(name: str, file: str) -> str:
    text = (PKG / file).read_text(encoding="utf-8")
    match = re.search(rf"\b{name}\s*=\s*(?:UUID\.fromString\()?\"([^\"]*)\"", text)
    assert match, f"{name} not found in {file}"
    return match.group(1)


def test_claim_ids_and_note_match_the_python_side() -> None:
    assert _java_string("CLAIM_NAMESPACE", "ClaimBuilder.java") == str(claims._CLAIM_NS)
    assert _java_string("INTEGRATED_NOTE", "ClaimBuilder.java") == claims.INTEGRATED_NOTE


def test_header_names_match_the_bus() -> None:
    assert _java_string("EVENT_ID", "SgbusInboxClaimer.java") == h.EVENT_ID
    assert _java_string("EVENT_TYPE", "SgbusInboxClaimer.java") == h.EVENT_TYPE
    assert _java_string("TRACEPARENT", "SgbusInboxClaimer.java") == h.TRACEPARENT
