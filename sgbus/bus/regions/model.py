"""Policy maps: which policy, catalogue and calendar each region of one bus follows.

A policy map (YAML) lists regions by administrative division code; each entry names a policy
(a preset or a policy file), a catalogue (a shipped one or a file) and, optionally, the
region's own calendar override files, applied on top of the national ones. See
:mod:`sgbus.bus.regions.codes` for which entry covers an event's region.

Example::

    name: shandong
    title: 山东省审管联动
    regions:
      - region: "371000"
        name: 威海市
        policy: weihai          # preset name, or a policy YAML path (relative to this file)
        catalogue: weihai       # shipped catalogue, or a YAML/CSV path
        calendar: []            # this region's override files, if any
    default:                    # optional: covers every region no entry covers
      name: 其他地区
      policy: anqiu
      catalogue: weihai
"""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sgbus.bus.parties import PARTY_ID_PATTERN
from sgbus.bus.regions.codes import REGION_PATTERN


class MapEntry(BaseModel):
    """What one region (or the default) follows."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, description="the region's name, e.g. 威海市")
    policy: str = Field(min_length=1, description="policy preset name or policy YAML path")
    catalogue: str = Field(min_length=1, description="shipped catalogue name or YAML/CSV path")
    calendar: list[str] = Field(
        default_factory=list, description="the region's own calendar override files"
    )


class RegionEntry(MapEntry):
    """An entry for one region code (county, city or province)."""

    region: str = Field(pattern=REGION_PATTERN)


class PolicyMap(BaseModel):
    """Regions of one bus, each with its policy, catalogue and calendar."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=PARTY_ID_PATTERN)
    title: str = Field(min_length=1)
    source: str | None = None
    regions: list[RegionEntry] = Field(default_factory=list)
    default: MapEntry | None = None

    @model_validator(mode="after")
    def _covers_something(self) -> Self:
        if not self.regions and self.default is None:
            raise ValueError("a policy map needs at least one region or a default entry")
        seen: set[str] = set()
        for entry in self.regions:
            if entry.region in seen:
                raise ValueError(f"region {entry.region} has more than one entry")
            seen.add(entry.region)
        return self

    def entries(self) -> list[tuple[str | None, MapEntry]]:
        """Every entry with its region code (None for the default), in file order."""
        out: list[tuple[str | None, MapEntry]] = [(e.region, e) for e in self.regions]
        if self.default is not None:
            out.append((None, self.default))
        return out
