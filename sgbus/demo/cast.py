"""Who takes part in the demo: the cities, their bureaus and offices, and the departments'
behaviours. Pure: built from the policy (or policy map) and the catalogues, nothing contacted.

With one policy the demo runs 威海 alone, as it always has. With a policy map (``shandong``)
every city entry of the map takes part at once: its approval results carry the city's region
code, go to its own departments, and its own rules and deadlines apply.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sgbus.bus.calendar import default_calendar
from sgbus.bus.catalogue import Catalogue, example_catalogue
from sgbus.bus.regions import is_policy_map, load_regions
from sgbus.demo.synthetic import WEIHAI, Issuer

APPROVAL = "weihai-approval"
OVERSIGHT = "weihai-oversight"
WEIHAI_REGION = "371000"

#: Department behaviours, one department each: two integrated systems claim on receipt, one
#: liaison officer claims promptly, one late (after the reminder, where the rules send one),
#: one never (what happens then is the city's rule: auto-claim, breach report or nothing).
BEHAVIOURS: tuple[str, ...] = ("integrated", "integrated", "prompt", "late", "never")

ClaimAt = Callable[[dt.datetime], dt.datetime]


@dataclass(frozen=True)
class Role:
    """How one department handles its inbox in the demo."""

    party: str
    matter: str
    behaviour: str  # integrated | prompt | late | never
    claim_at: ClaimAt | None = None  # when the officer claims
    city: str = WEIHAI_REGION
    """The region code of the city the department belongs to (its results carry it)."""


@dataclass(frozen=True)
class City:
    """One city of the demo: the region its results carry, its bureau and office."""

    region: str
    name: str
    catalogue: Catalogue
    approval: str
    oversight: str
    issuer: Issuer
    rules: str = ""
    """The name of the policy the city's events follow (under a map; empty otherwise)."""


def _prompt(received: dt.datetime) -> dt.datetime:
    return received + dt.timedelta(hours=3)


def _late(received: dt.datetime) -> dt.datetime:
    # 10:00 on the last working day of a 3-day period: after the reminder, before expiry.
    return default_calendar().deadline(received, 2).due_at + dt.timedelta(hours=10)


def claim_time(behaviour: str) -> ClaimAt | None:
    """When a liaison officer of ``behaviour`` claims an item received at a given time; None
    for departments that never claim by hand (integrated systems, the never-claiming one)."""
    return {"prompt": _prompt, "late": _late}.get(behaviour)


def pick_roles(
    catalogue: Catalogue,
    region: str = WEIHAI_REGION,
    behaviours: Sequence[str] = BEHAVIOURS,
) -> list[Role]:
    """One department per behaviour, each with a matter only it supervises in ``region``."""
    roles: list[Role] = []
    taken: set[str] = set()
    for matter in catalogue.matters:
        if len(roles) == len(behaviours):
            break
        sup = catalogue.supervisors_of(matter.code, region)
        if len(sup) == 1 and sup[0].id not in taken and not matter.per_region:
            behaviour = behaviours[len(roles)]
            roles.append(Role(sup[0].id, matter.code, behaviour, claim_time(behaviour), region))
            taken.add(sup[0].id)
    if len(roles) < len(behaviours):
        raise ValueError(
            f"catalogue {catalogue.name!r} has fewer than {len(behaviours)}"
            " single-department matters"
        )
    return roles


def cities_of(policy: str) -> list[City]:
    """The cities of the demo: every city entry of a policy map, else 威海 alone (whatever
    the single policy, the demo's parties are the 威海 example catalogue's)."""
    if not is_policy_map(policy):
        return [City(WEIHAI_REGION, "威海市", example_catalogue(), APPROVAL, OVERSIGHT, WEIHAI)]
    cities = []
    for j in load_regions(policy).jurisdictions:
        cat = j.catalogue
        if j.region is None or cat.approval is None or cat.oversight is None:
            continue  # a default entry has no region of its own to publish under
        issuer = Issuer(cat.party(cat.approval).name, j.name)
        city = City(j.region, j.name, cat, cat.approval, cat.oversight, issuer, j.policy.name)
        cities.append(city)
    if not cities:
        raise ValueError(f"policy map {policy!r} has no region entry with an approval bureau")
    return cities


def cast(cities: Sequence[City], behaviours: Sequence[str] = BEHAVIOURS) -> list[Role]:
    """Every city's departments and their behaviours, city by city."""
    return [r for c in cities for r in pick_roles(c.catalogue, c.region, behaviours)]


def all_parties(cities: Sequence[City], roles: Sequence[Role]) -> list[str]:
    """Every party the demo runs a department service for: bureaus, offices, departments."""
    bureaus = [p for c in cities for p in (c.approval, c.oversight)]
    return list(dict.fromkeys([*bureaus, *(r.party for r in roles)]))


def city_of_party(cities: Sequence[City], roles: Sequence[Role]) -> dict[str, str]:
    """The region code of each demo party's city."""
    out = {p: c.region for c in cities for p in (c.approval, c.oversight)}
    out.update((r.party, r.city) for r in roles)
    return out
