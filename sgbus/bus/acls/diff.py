"""The changes that bring a cluster's ACLs to the desired ones.

Only ACLs the bus manages are ever removed. An ACL is the bus's when

- its principal is one of the bus's: ``User:sgbus-*`` (the services) or any principal the
  desired grants name (the catalogue's parties); or
- its resource is the bus's: a topic whose name starts with ``sg.``, a consumer group or
  transactional id starting with ``sgbus-`` or with a catalogue party's prefix ``P.``; or
- it is a former party's own ids: ``User:X`` on groups or transactional ids prefixed ``X.``,
  where the cluster still shows ``User:X`` on its party topics (``sg.X.outbox``,
  ``sg.X.inbox``) or its group ``sgbus-department-X``. So a party removed from the catalogue
  loses all its grants in one apply, while an unrelated application ``X`` that happens to
  prefix its groups with ``X.`` keeps them.

An ACL of any other principal on any other resource (including the cluster itself) is never
touched, so ACLs an operator keeps for unrelated applications survive ``sgbus acls apply``.
A DENY on a topic ``sg.*`` is the bus's and is removed, as is any grant the plan does not
contain: the catalogue is the one source of who may touch the bus's topics.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sgbus.bus.acls.desired import DEPARTMENT_GROUP_PREFIX, SERVICE_PREFIX
from sgbus.bus.acls.model import Grant, PatternType, ResourceType

_BUS_TOPIC_PREFIX = "sg."
_SERVICE_PRINCIPAL_PREFIX = f"User:{SERVICE_PREFIX}"
_ID_RESOURCES = (ResourceType.GROUP, ResourceType.TRANSACTIONAL_ID)


@dataclass(frozen=True)
class Scope:
    """Which ACLs the bus manages (see the module's docstring)."""

    principals: frozenset[str]
    party_prefixes: tuple[str, ...]
    former_parties: frozenset[str] = frozenset()

    @classmethod
    def of(cls, desired: Iterable[Grant], current: Iterable[Grant] = ()) -> Scope:
        """The scope of a desired grant set (its principals, its parties' prefixes), and the
        former parties among the ``current`` grants' principals."""
        names = frozenset(g.principal for g in desired)
        parties = (p.removeprefix("User:") for p in names)
        prefixes = tuple(sorted(f"{p}." for p in parties if not p.startswith(SERVICE_PREFIX)))
        former = frozenset(g.principal for g in current if _on_own_party_resource(g))
        return cls(names, prefixes, former - names)

    def covers(self, grant: Grant) -> bool:
        """True when ``grant`` is the bus's to keep or remove."""
        if grant.principal in self.principals:
            return True
        if grant.principal.startswith(_SERVICE_PRINCIPAL_PREFIX):
            return True
        if grant.resource_type == ResourceType.TOPIC:
            return grant.name.startswith(_BUS_TOPIC_PREFIX)
        if grant.resource_type in _ID_RESOURCES:
            return self._bus_id(grant)
        return False

    def _bus_id(self, grant: Grant) -> bool:
        if grant.name.startswith((SERVICE_PREFIX, *self.party_prefixes)):
            return True
        if grant.principal not in self.former_parties:
            return False
        own = f"{grant.principal.removeprefix('User:')}."
        return grant.pattern_type == PatternType.PREFIXED and grant.name == own


def _on_own_party_resource(grant: Grant) -> bool:
    """True for ``User:X`` on ``sg.X.outbox``, ``sg.X.inbox`` or group
    ``sgbus-department-X``: a party's grant, whether or not the catalogue still has it."""
    party = grant.principal.removeprefix("User:")
    if grant.resource_type == ResourceType.TOPIC:
        return grant.name in (f"sg.{party}.outbox", f"sg.{party}.inbox")
    return grant.resource_type == ResourceType.GROUP and grant.name == (
        f"{DEPARTMENT_GROUP_PREFIX}{party}"
    )


@dataclass(frozen=True)
class AclPlan:
    """Grants to create and grants to delete."""

    add: frozenset[Grant] = field(default_factory=frozenset)
    remove: frozenset[Grant] = field(default_factory=frozenset)

    def is_empty(self) -> bool:
        """True when the cluster already matches."""
        return not (self.add or self.remove)

    def describe(self) -> list[str]:
        """One line per change, grants first, each group sorted by principal and resource."""
        lines = [f"grant  {g.describe()}" for g in sorted(self.add)]
        return lines + [f"revoke {g.describe()}" for g in sorted(self.remove)]

    def summary(self) -> str:
        """How many grants are created and deleted."""
        return f"{len(self.add)} ACLs created, {len(self.remove)} deleted"


def plan(desired: Iterable[Grant], current: Iterable[Grant]) -> AclPlan:
    """What to create (desired, missing) and delete (present, the bus's, not desired)."""
    wanted, present = frozenset(desired), frozenset(current)
    scope = Scope.of(wanted, present)
    stale = frozenset(g for g in present - wanted if scope.covers(g))
    return AclPlan(add=wanted - present, remove=stale)
