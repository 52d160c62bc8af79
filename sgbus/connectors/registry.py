"""Which connectors exist: the built-in ones, and those installed as Python packages.

A package makes a connector available by declaring, in its ``pyproject.toml``::

    [project.entry-points."sgbus.connectors"]
    ledger = "my_package.connector:CONNECTOR"

where ``CONNECTOR`` is a :class:`ConnectorSpec`. ``sgbus connector list`` shows them all; a
package that fails to load is listed with its error instead of breaking the command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Literal

from sgbus.connectors.api import ConnectorContext, Sink, Source
from sgbus.connectors.config import ConnectorConfig, check_name

ENTRY_POINT_GROUP = "sgbus.connectors"
Kind = Literal["sink", "source"]


@dataclass(frozen=True)
class ConnectorSpec:
    """A connector type: its name, kind, configuration model and how to build one."""

    name: str
    kind: Kind
    config_model: type[ConnectorConfig]
    factory: Callable[[Any, ConnectorContext], Sink[Any] | Source[Any]]
    summary: str
    #: Where it comes from: ``built-in`` or the distribution that installed it.
    origin: str = "built-in"

    def __post_init__(self) -> None:
        check_name(self.name)

    def config_schema(self) -> dict[str, Any]:
        """The configuration's JSON Schema (secrets shown as write-only strings)."""
        return self.config_model.model_json_schema()


@dataclass(frozen=True)
class Broken:
    """An installed entry point that could not be loaded."""

    name: str
    origin: str
    error: str


class UnknownConnector(ValueError):
    """No connector of that name; the message lists those there are."""


def _builtins() -> list[ConnectorSpec]:
    from sgbus.connectors import sql
    from sgbus.connectors.files import CONNECTOR as FILE_DROP
    from sgbus.connectors.webhook import CONNECTOR as WEBHOOK

    return [WEBHOOK, sql.OUTBOX_CONNECTOR, sql.INBOX_CONNECTOR, sql.CLAIMS_CONNECTOR, FILE_DROP]


def discover() -> tuple[dict[str, ConnectorSpec], list[Broken]]:
    """Every connector by name (built-in first; an installed one cannot replace a built-in),
    and the entry points that failed to load."""
    found = {spec.name: spec for spec in _builtins()}
    broken: list[Broken] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        origin = ep.dist.name if ep.dist is not None else ep.value
        if ep.name in found:
            if found[ep.name].origin != "built-in" or ep.value.startswith("sgbus."):
                continue
            broken.append(Broken(ep.name, origin, "name taken by a built-in connector"))
            continue
        try:
            spec = ep.load()
        except Exception as exc:  # a broken third-party package must not break the listing
            broken.append(Broken(ep.name, origin, f"{type(exc).__name__}: {exc}"))
            continue
        if not isinstance(spec, ConnectorSpec):
            broken.append(Broken(ep.name, origin, "entry point is not a ConnectorSpec"))
            continue
        found[ep.name] = ConnectorSpec(**{**spec.__dict__, "name": ep.name, "origin": origin})
    return found, broken


def connector_named(name: str) -> ConnectorSpec:
    """The connector called ``name``; :class:`UnknownConnector` lists the known ones."""
    found, broken = discover()
    if name in found:
        return found[name]
    failed = next((b for b in broken if b.name == name), None)
    if failed is not None:
        raise UnknownConnector(f"connector {name!r} is installed but broken: {failed.error}")
    known = ", ".join(sorted(found)) or "none"
    raise UnknownConnector(f"unknown connector {name!r}; known: {known}")
