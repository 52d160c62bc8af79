"""The drop-folder connector's configuration."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from sgbus.bus.events import EVENT_CLASSES
from sgbus.connectors.config import ConnectorConfig


class FileDropConfig(ConnectorConfig):
    """Which folder, which kind of event its files hold, and how long a file must rest."""

    folder: Path = Field(description="the drop folder; done/ and failed/ are made inside it")
    event_type: str = Field(
        default="ApprovalResult", description="the event type of every row, e.g. ApprovalResult"
    )
    settle_s: float = Field(
        default=2.0, ge=0, le=600, description="a file changed this recently may still be copied"
    )

    @field_validator("event_type")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in EVENT_CLASSES:
            raise ValueError("not an event type of the contracts (see docs/jsonschema)")
        return value
