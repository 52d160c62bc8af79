"""The router's view of the matter catalogues: parties, supervisors, the unassigned pool.

:class:`CatalogueDirectory` answers from one catalogue, for every region. :class:`RegionalDirectory`
answers from a policy map: each event's region picks the catalogue of the entry covering it,
and events of a region no entry covers are refused.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sgbus.bus.catalogue import Catalogue
from sgbus.bus.catalogue.model import PartyKind, UnknownMatter
from sgbus.bus.parties import WATCHDOG_PARTY
from sgbus.bus.regions import Regions


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

    def unassigned_pool(self, region: str | None = None) -> str:
        """The inbox for approval results no department is mapped to: the oversight office."""
        return self._pool

    def region_problem(self, region: str) -> str | None:
        """None: one catalogue serves every region."""
        return None


class RegionalDirectory:
    """Answers routing questions per region from a policy map's catalogues."""

    def __init__(self, regions: Regions) -> None:
        self._regions = regions
        # One directory per entry; built now, so a catalogue without an oversight office
        # fails at start-up rather than on the first unmapped matter of its region.
        self._by_entry = {j.label: CatalogueDirectory(j.catalogue) for j in regions.jurisdictions}
        self._parties = frozenset().union(*(d.known_parties() for d in self._by_entry.values()))
        self._oversight = frozenset(
            p.id for p in regions.catalogue.parties if p.kind is PartyKind.OVERSIGHT
        )

    def _of(self, region: str | None) -> CatalogueDirectory | None:
        found = self._regions.resolve(region) if region is not None else None
        return self._by_entry[found.label] if found is not None else None

    def known_parties(self) -> Collection[str]:
        """Every party with an inbox: every entry's catalogue's, and the watchdog."""
        return self._parties

    def is_oversight(self, party: str) -> bool:
        """Whether ``party`` is the oversight office of any region."""
        return party in self._oversight

    def supervisors_of_matter(self, matter_code: str, region: str | None = None) -> Sequence[str]:
        """Departments that supervise the matter under the catalogue covering ``region``."""
        found = self._of(region)
        return found.supervisors_of_matter(matter_code, region) if found is not None else []

    def unassigned_pool(self, region: str | None = None) -> str:
        """The oversight office of the entry covering ``region`` (else of the first entry)."""
        found = self._of(region) or self._by_entry[self._regions.jurisdictions[0].label]
        return found.unassigned_pool(region)

    def region_problem(self, region: str) -> str | None:
        """Why ``region`` is not routed: no entry of the map covers it."""
        if self._regions.resolve(region) is not None:
            return None
        return (
            f"region {region!r} is not covered by policy map {self._regions.name!r}"
            f" (it covers {self._regions.coverage()})"
        )
