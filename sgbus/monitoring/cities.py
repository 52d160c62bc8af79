"""The bounded ``city`` label: which entry of the policy map an event's region resolved to.

A province-wide bus (``SGBUS_POLICY`` naming a policy map) serves several cities, each under
its own rules; its metrics carry the city so that dashboards and alerts can be read per city
and for the province. The label's values are fixed when the process loads its map:

* the region code of the map's entry that covers the event's region (``371000`` for any
  event of 威海 or one of its counties, ``370302`` for 淄川);
* ``default`` for a region only the map's default entry covers;
* ``other`` for a region the map does not cover (such events are dead-lettered) or a value
  that is not a region code;
* ``""`` (no label, to Prometheus) on a bus with a single policy, and wherever a metric is not
  attributed to a region (a department service's own counts).

So the label has at most one value per entry of the map plus two, whatever the events say.
The process's map is set once at start-up (:func:`configure_cities`), where the router and the
watchdog load their regions; the metric helpers call :func:`city` with an event's region.
"""

from __future__ import annotations

from dataclasses import dataclass

from sgbus.bus.regions import Regions

NO_CITY = ""
DEFAULT = "default"
OTHER = "other"


@dataclass(frozen=True)
class CityLabels:
    """The city label of each region code, under one process's regions."""

    regions: Regions | None = None
    """None, or a single policy: every region is ``""``."""

    @property
    def is_map(self) -> bool:
        """Whether the process runs under a policy map (several cities)."""
        return self.regions is not None and self.regions.is_map

    def label(self, region: str | None) -> str:
        """The city label of an event of ``region`` (None: not attributed, ``""``)."""
        if region is None or self.regions is None or not self.regions.is_map:
            return NO_CITY
        found = self.regions.resolve(region)
        return found.label if found is not None else OTHER

    def values(self) -> frozenset[str]:
        """Every value :meth:`label` can return: the bound on the label's series."""
        if self.regions is None or not self.regions.is_map:
            return frozenset({NO_CITY})
        return frozenset({NO_CITY, OTHER, *(j.label for j in self.regions.jurisdictions)})

    def names(self) -> dict[str, str]:
        """Each city label with its entry's name (``371000`` → 威海市), for views."""
        if self.regions is None or not self.regions.is_map:
            return {}
        return {j.label: j.name for j in self.regions.jurisdictions}


_current = CityLabels()


def configure_cities(regions: Regions | None) -> CityLabels:
    """Set the regions whose entries are this process's city labels (None: no map); returns
    the labels. Called where a service loads its policy map, before it counts anything."""
    global _current
    _current = CityLabels(regions)
    return _current


def current_cities() -> CityLabels:
    """The city labels of this process."""
    return _current


def city(region: str | None) -> str:
    """The city label of an event of ``region`` under this process's map."""
    return _current.label(region)
