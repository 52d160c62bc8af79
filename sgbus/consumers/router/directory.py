"""The router's view of the matter catalogue: parties, supervisors, the unassigned pool."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sgbus.bus.catalogue import Catalogue
from sgbus.bus.catalogue.model import PartyKind, UnknownMatter
from sgbus.bus.parties import WATCHDOG_PARTY


class CatalogueDirectory:
    """Answers routing questions from a :class:`Catalogue`."""

    def __init__(self, catalogue: Catalogue) -> None:
        if not catalogue.oversight:
            raise ValueError(
                f"catalogue {catalogue.name!r} names no oversight party: the router needs one"
                " to receive approval results whose matter maps to no department"
            )
        self._catalogue = catalogue
        self._pool = catalogue.oversight
        self._parties = frozenset(catalogue.parties_by_id) | {WATCHDOG_PARTY}
        self._oversight = frozenset(
            p.id for p in catalogue.parties if p.kind is PartyKind.OVERSIGHT
        )

    def known_parties(self) -> Collection[str]:
        """Every party with an inbox: the catalogue's and the watchdog."""
        return self._parties

    def is_oversight(self, party: str) -> bool:
        """Whether ``party`` is an oversight office (may assign unassigned cases)."""
        return party in self._oversight

    def supervisors_of_matter(self, matter_code: str, region: str | None = None) -> Sequence[str]:
        """Departments that supervise the matter in ``region``; empty if it is not mapped."""
        try:
            return [p.id for p in self._catalogue.supervisors_of(matter_code, region)]
        except UnknownMatter:
            return []

    def unassigned_pool(self) -> str:
        """The inbox for approval results no department is mapped to: the oversight office."""
        return self._pool
