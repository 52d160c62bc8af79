"""Building blocks of the generated event models (``_models.py``)."""

from __future__ import annotations

import datetime
from typing import Annotated, ClassVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, Strict

Int32 = Annotated[int, Strict(), Field(ge=-(2**31), le=2**31 - 1)]
"""Avro ``int``: a 32-bit signed integer."""

Int64 = Annotated[int, Strict(), Field(ge=-(2**63), le=2**63 - 1)]
"""Avro ``long``: a 64-bit signed integer."""


def _utc_millis(value: datetime.datetime) -> datetime.datetime:
    # Avro timestamp-millis keeps milliseconds in UTC; normalising here makes a model equal to
    # itself after a round trip through the bus.
    try:
        utc = value.astimezone(datetime.UTC)
    except OverflowError:
        raise ValueError("timestamp out of range once converted to UTC") from None
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


UtcMillis = Annotated[AwareDatetime, AfterValidator(_utc_millis)]
"""Avro ``timestamp-millis``: an aware datetime, kept in UTC at millisecond precision."""


class Record(BaseModel):
    """Base of every generated record model: immutable, no unknown fields."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", ser_json_bytes="base64", val_json_bytes="base64"
    )

    AVRO_NAME: ClassVar[str] = ""
    """Full Avro name of the record, e.g. ``sgbus.events.Envelope``."""
