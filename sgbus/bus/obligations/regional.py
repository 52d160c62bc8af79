"""Obligations per region: each audit record is judged under the rules of its own region. Pure.

A policy map (:mod:`sgbus.bus.regions`) gives every region its policy, catalogue and calendar.
:class:`RegionalIngestor` keeps one :class:`~sgbus.bus.obligations.ingest.Ingestor` per entry of
the map and hands each record to the one covering ``envelope.region``. The calendar of an entry
is the national one (official data plus the operator's national override files) with the
entry's own override files on top. A record of a region no entry covers opens nothing (the
router refuses such events; this guards records written before the map changed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

from sgbus.bus.calendar import CalendarOverride, WorkingCalendar, load_override
from sgbus.bus.catalogue import Catalogue
from sgbus.bus.obligations.ingest import AuditRecord, Ingested, Ingestor, policy_problems
from sgbus.bus.policy import Policy
from sgbus.bus.regions import Regions

LoadOverrides = Callable[[Sequence[Path]], list[CalendarOverride]]


def _load(paths: Sequence[Path]) -> list[CalendarOverride]:
    return [load_override(p) for p in paths]


def region_calendar(
    national: WorkingCalendar, files: Sequence[Path], load: LoadOverrides = _load
) -> WorkingCalendar:
    """The national calendar with a region's own override files on top (itself if none)."""
    if not files:
        return national
    return WorkingCalendar([*national.overrides, *load(files)])


class RegionalIngestor:
    """One ingestor per entry of a policy map; records go to their region's."""

    def __init__(
        self,
        regions: Regions,
        calendar: WorkingCalendar,
        skew_tolerance: timedelta | None = None,
        load: LoadOverrides = _load,
    ) -> None:
        self.regions = regions
        self.calendar = calendar
        """The national calendar (each entry's adds its own override files)."""
        self.skew_tolerance = skew_tolerance
        self._load = load
        self._by_entry = {
            j.label: Ingestor(
                j.policy,
                region_calendar(calendar, j.calendar_files, load),
                j.catalogue,
                skew_tolerance,
            )
            for j in regions.jurisdictions
        }

    def for_region(self, region: str) -> Ingestor | None:
        """The ingestor of the entry covering ``region``, or None."""
        found = self.regions.resolve(region)
        return self._by_entry[found.label] if found is not None else None

    def ingest(self, record: AuditRecord) -> Ingested:
        """The openings and answers of ``record`` under its region's rules."""
        region = record.event.envelope.region
        ingestor = self.for_region(region)
        if ingestor is None:
            return Ingested(skipped=[f"region {region} is not covered by {self.regions.name!r}"])
        return ingestor.ingest(record)

    def with_calendar(self, calendar: WorkingCalendar) -> RegionalIngestor:
        """The same rules on another national calendar (region files are read again)."""
        return RegionalIngestor(self.regions, calendar, self.skew_tolerance, self._load)

    # For what asks one question of the whole bus (names, status lines): the first entry's.
    @property
    def policy(self) -> Policy:
        """The first entry's policy; per region, see :meth:`policy_for`."""
        return self.regions.jurisdictions[0].policy

    @property
    def catalogue(self) -> Catalogue:
        """Every entry's parties in one catalogue (:attr:`Regions.catalogue`)."""
        return self.regions.catalogue

    def policy_for(self, region: str) -> Policy | None:
        """The policy of the entry covering ``region``."""
        found = self.for_region(region)
        return found.policy if found is not None else None

    def calendar_for(self, region: str) -> WorkingCalendar:
        """The calendar of the entry covering ``region`` (the national one if none)."""
        found = self.for_region(region)
        return found.calendar if found is not None else self.calendar

    def rules_of(self, region: str) -> tuple[Policy, WorkingCalendar] | None:
        """The policy and calendar obligations of ``region`` follow, or None if uncovered."""
        found = self.for_region(region)
        return (found.policy, found.calendar) if found is not None else None

    @property
    def policy_names(self) -> str:
        """``weihai`` for one policy; ``shandong (371000 weihai, 370302 zichuan, …)`` for a map."""
        if not self.regions.is_map:
            return self.policy.name
        entries = ", ".join(f"{j.label} {j.policy.name}" for j in self.regions.jurisdictions)
        return f"{self.regions.name} ({entries})"


def regional_problems(regions: Regions) -> list[str]:
    """What in any entry's policy its catalogue cannot supply (see ``policy_problems``)."""
    return [
        f"{j.label}: {p}" if regions.is_map else p
        for j in regions.jurisdictions
        for p in policy_problems(j.policy, j.catalogue)
    ]


#: What the watchdog and the console take: one ingestor, or one per region.
AnyIngestor = Ingestor | RegionalIngestor
