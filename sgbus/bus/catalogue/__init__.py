"""The matter catalogue: who supervises each transferred matter, and how its technical step runs."""

from __future__ import annotations

from sgbus.bus.catalogue.loader import (
    SHIPPED_CATALOGUES,
    example_catalogue,
    load_catalogue,
    load_catalogue_ref,
    parse_catalogue_csv,
    parse_catalogue_yaml,
    shipped_catalogue,
)
from sgbus.bus.catalogue.model import (
    Catalogue,
    Matter,
    Party,
    PartyKind,
    StepMode,
    UnknownMatter,
    UnknownParty,
)
from sgbus.bus.catalogue.names import display_name, labelled

__all__ = [
    "SHIPPED_CATALOGUES",
    "Catalogue",
    "Matter",
    "Party",
    "PartyKind",
    "StepMode",
    "UnknownMatter",
    "UnknownParty",
    "display_name",
    "example_catalogue",
    "labelled",
    "load_catalogue",
    "load_catalogue_ref",
    "parse_catalogue_csv",
    "parse_catalogue_yaml",
    "shipped_catalogue",
]
