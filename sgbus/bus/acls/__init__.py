"""ACLs as code: the grants the catalogue's parties and the bus's services need, and how to
bring a cluster's ACLs there (``sgbus acls plan | apply``).

:mod:`~sgbus.bus.acls.desired` and :mod:`~sgbus.bus.acls.diff` are pure;
:mod:`~sgbus.bus.acls.cluster` talks to the broker.
"""

from sgbus.bus.acls.desired import ReservedPartyId, desired_acls
from sgbus.bus.acls.diff import AclPlan, Scope, plan
from sgbus.bus.acls.model import Grant, Operation, PatternType, Permission, ResourceType

__all__ = [
    "AclPlan",
    "Grant",
    "Operation",
    "PatternType",
    "Permission",
    "ReservedPartyId",
    "ResourceType",
    "Scope",
    "desired_acls",
    "plan",
]
