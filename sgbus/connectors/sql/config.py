"""Configuration of the SQL bridge's connectors."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from sgbus.connectors.config import ConnectorConfig


class SqlConfig(ConnectorConfig):
    """Which database and table; the URL may hold a password, so it is a secret."""

    url: SecretStr = Field(
        description="SQLAlchemy URL of the department's database, e.g."
        " postgresql+psycopg://user:pw@host/db, mysql+pymysql://…, sqlite:///file.db;"
        " or SGBUS_CONNECTOR_URL"
    )
    table: str | None = Field(
        default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$", description="table name"
    )
    create_table: bool = Field(
        default=True, description="create the table when it is missing (else: DBA runs the DDL)"
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: SecretStr) -> SecretStr:
        try:
            make_url(value.get_secret_value())
        except ArgumentError:
            raise ValueError("not a SQLAlchemy database URL (dialect+driver://…)") from None
        return value
