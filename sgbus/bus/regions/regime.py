"""A loaded policy map: for each region, the policy, catalogue and calendar files it follows.

:class:`Regions` is what the router and the watchdog consult per event: ``resolve(region)``
gives the :class:`Jurisdiction` that covers the event's ``envelope.region``, or None when the
map does not cover it. A single policy with a single catalogue (``SGBUS_POLICY=anqiu``) is a
map with one default entry, so it covers every region, as before policy maps existed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sgbus.bus.catalogue import Catalogue, Matter, Party, load_catalogue_ref
from sgbus.bus.policy import Policy, load_policy
from sgbus.bus.policy.loader import PRESETS
from sgbus.bus.regions.codes import covering
from sgbus.bus.regions.model import MapEntry, PolicyMap


class RegionsConfigError(ValueError):
    """A policy map whose entries cannot be used together (e.g. one party id, two names)."""


@dataclass(frozen=True)
class Jurisdiction:
    """What the events of one region follow."""

    region: str | None
    """The entry's region code; None for a default entry (it covers any region)."""
    name: str
    policy: Policy
    catalogue: Catalogue
    calendar_files: tuple[Path, ...] = ()
    """The region's own calendar override files, applied on top of the national ones."""

    @property
    def label(self) -> str:
        """The entry's region code, or ``default``."""
        return self.region or "default"


@dataclass(frozen=True)
class Regions:
    """Every jurisdiction of one bus, and which covers a region code."""

    name: str
    title: str
    jurisdictions: tuple[Jurisdiction, ...]
    is_map: bool = True
    """False for a single policy and catalogue (one default entry, no map file)."""
    _by_code: dict[str, Jurisdiction] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.jurisdictions:
            raise RegionsConfigError(f"policy map {self.name!r} has no entries")
        by_code = {j.region: j for j in self.jurisdictions if j.region is not None}
        object.__setattr__(self, "_by_code", by_code)
        _check_parties(self.jurisdictions)

    @cached_property
    def default(self) -> Jurisdiction | None:
        """The entry for regions no other entry covers, if any."""
        return next((j for j in self.jurisdictions if j.region is None), None)

    def resolve(self, region: str) -> Jurisdiction | None:
        """The most specific entry covering ``region`` (county, city, province), else the
        default entry, else None."""
        code = covering(region, self._by_code)
        return self._by_code[code] if code is not None else self.default

    def coverage(self) -> str:
        """The covered regions in words, for error messages: ``371000 威海市, 370302 …``."""
        return ", ".join(f"{j.label} {j.name}" for j in self.jurisdictions)

    @cached_property
    def catalogue(self) -> Catalogue:
        """Every entry's parties (and matters, first entry first) in one catalogue: for
        questions about parties (topics, credentials, ACLs, names), never for routing."""
        if len(self.jurisdictions) == 1:
            return self.jurisdictions[0].catalogue
        first = self.jurisdictions[0].catalogue
        parties: dict[str, Party] = {}
        matters: dict[str, Matter] = {}
        for j in self.jurisdictions:
            parties.update((p.id, p) for p in j.catalogue.parties if p.id not in parties)
            matters.update((m.code, m) for m in j.catalogue.matters if m.code not in matters)
        return Catalogue(
            name=self.name,
            title=self.title,
            region=first.region,
            approval=first.approval,
            oversight=first.oversight,
            source=f"policy map {self.name}",
            sample=any(j.catalogue.sample for j in self.jurisdictions),
            parties=list(parties.values()),
            matters=list(matters.values()),
        )


def single(policy: Policy, catalogue: Catalogue, calendar_files: Sequence[Path] = ()) -> Regions:
    """One policy and catalogue for every region: the configuration without a map."""
    entry = Jurisdiction(None, policy.title, policy, catalogue, tuple(calendar_files))
    return Regions(policy.name, policy.title, (entry,), is_map=False)


def build_regions(pmap: PolicyMap, base: Path | None = None) -> Regions:
    """Load every entry's policy and catalogue; relative paths count from ``base`` (the map
    file's folder)."""
    return Regions(
        pmap.name,
        pmap.title,
        tuple(_jurisdiction(region, entry, base) for region, entry in pmap.entries()),
    )


def _jurisdiction(region: str | None, entry: MapEntry, base: Path | None) -> Jurisdiction:
    policy_ref = entry.policy
    if policy_ref not in PRESETS and base is not None and not Path(policy_ref).is_absolute():
        policy_ref = str(base / policy_ref)
    files = tuple(_relative(Path(p), base) for p in entry.calendar)
    catalogue = load_catalogue_ref(entry.catalogue, base)
    return Jurisdiction(region, entry.name, load_policy(policy_ref), catalogue, files)


def _relative(path: Path, base: Path | None) -> Path:
    return base / path if base is not None and not path.is_absolute() else path


def _check_parties(jurisdictions: Sequence[Jurisdiction]) -> None:
    """A party id is one inbox on the bus: two catalogues may share a party only if they
    describe it alike."""
    seen: dict[str, tuple[Party, str]] = {}
    for j in jurisdictions:
        for party in j.catalogue.parties:
            known = seen.setdefault(party.id, (party, j.label))
            if known[0] != party:
                raise RegionsConfigError(
                    f"party {party.id!r} is described differently by the catalogues of"
                    f" {known[1]} and {j.label}: one id is one inbox on the bus"
                )
