"""The gateway's OpenAPI 3.1 document, as committed under docs/ (a test keeps them in step)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sgbus.gateway.app import Gateway, create_gateway
from sgbus.gateway.tokens import Caller

OPENAPI_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi" / "gateway.json"


def _refuse(_authorization: str | None) -> Caller:
    raise AssertionError("the document is built without serving")


def document() -> dict[str, Any]:
    """The OpenAPI document of the gateway's routes."""
    app = create_gateway(Gateway(None, _refuse, None, lambda: datetime.now(UTC)))  # type: ignore[arg-type]
    doc: dict[str, Any] = app.openapi()
    doc["components"].setdefault("securitySchemes", {})["bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token of the platform's identity provider, obtained with the"
        " party's client credentials (the client id is the party id).",
    }
    doc["security"] = [{"bearer": []}]
    return doc


def render() -> str:
    """The committed text."""
    return json.dumps(document(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
