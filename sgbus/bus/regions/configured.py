"""The regions of a process: ``SGBUS_POLICY`` names a preset, a policy file or a policy map."""

from __future__ import annotations

from pathlib import Path

from sgbus.bus.catalogue import example_catalogue, load_catalogue
from sgbus.bus.policy import load_policy
from sgbus.bus.regions.loader import SHIPPED_MAPS, is_map_file, load_policy_map_file, shipped_map
from sgbus.bus.regions.model import PolicyMap
from sgbus.bus.regions.regime import Regions, RegionsConfigError, build_regions, single


def is_policy_map(ref: str) -> bool:
    """Whether ``ref`` names a policy map (a shipped one, or a map file) rather than a policy."""
    if ref in SHIPPED_MAPS:
        return True
    path = Path(ref)
    return path.suffix in (".yaml", ".yml") and path.is_file() and is_map_file(path)


def load_map(ref: str) -> tuple[PolicyMap, Path | None]:
    """A policy map by shipped name or path, with the folder its relative paths count from."""
    if ref in SHIPPED_MAPS:
        return shipped_map(ref), None
    path = Path(ref)
    return load_policy_map_file(path), path.parent


def load_regions(policy: str, catalogue: Path | None = None) -> Regions:
    """The regions ``policy`` describes: a policy map as it says, or else one policy (preset
    or file) with ``catalogue`` (default: the 威海 example) for every region."""
    if is_policy_map(policy):
        if catalogue is not None:
            raise RegionsConfigError(
                f"policy map {policy!r} names a catalogue per region; do not set"
                " SGBUS_CATALOGUE (or --catalogue) with it"
            )
        return build_regions(*load_map(policy))
    cat = load_catalogue(catalogue) if catalogue else example_catalogue()
    return single(load_policy(policy), cat)
