"""Regions of one bus: which policy, catalogue and calendar each region's events follow."""

from __future__ import annotations

from sgbus.bus.regions.codes import candidates, city_of, covering, province_of, scope_prefix
from sgbus.bus.regions.configured import is_policy_map, load_map, load_regions
from sgbus.bus.regions.loader import SHIPPED_MAPS, load_policy_map_file, parse_policy_map
from sgbus.bus.regions.model import MapEntry, PolicyMap, RegionEntry
from sgbus.bus.regions.regime import (
    Jurisdiction,
    Regions,
    RegionsConfigError,
    build_regions,
    single,
)

__all__ = [
    "SHIPPED_MAPS",
    "Jurisdiction",
    "MapEntry",
    "PolicyMap",
    "RegionEntry",
    "Regions",
    "RegionsConfigError",
    "build_regions",
    "candidates",
    "city_of",
    "covering",
    "is_policy_map",
    "load_map",
    "load_policy_map_file",
    "load_regions",
    "parse_policy_map",
    "province_of",
    "scope_prefix",
    "single",
]
