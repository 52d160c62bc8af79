"""Column types."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant, stored as UTC on every database.

    SQLite has no timezone type and would silently keep the wall-clock digits of a +08:00
    value; normalising to UTC on the way in and tagging UTC on the way out makes both
    databases agree, and string comparison on SQLite order instants correctly.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"expected a timezone-aware datetime, got {value!r}")
        utc = value.astimezone(UTC)
        # SQLite and MySQL/MariaDB DATETIME keep no offset: store the UTC wall clock.
        return utc if dialect.name == "postgresql" else utc.replace(tzinfo=None)

    def driver_value(self, dialect: Dialect) -> Callable[[Any], Any]:
        """One function from an instant to what the driver takes, for bulk inserts that skip
        SQLAlchemy's per-value processing (same result as ``process_bind_param`` followed by
        the dialect's own DATETIME processing; a unit test compares the two)."""

        def aware(value: Any) -> datetime:
            if not isinstance(value, datetime) or value.tzinfo is None:
                raise ValueError(f"expected a timezone-aware datetime, got {value!r}")
            return value.astimezone(UTC)

        if dialect.name != "sqlite":
            return lambda v: None if v is None else aware(v)
        # SQLAlchemy's SQLite DATETIME text: always six digits of microseconds.
        return lambda v: (
            None if v is None else aware(v).replace(tzinfo=None).isoformat(" ", "microseconds")
        )

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
