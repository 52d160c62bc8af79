"""The ACLs the bus needs, derived from the party ids of the catalogue (and the watchdog).

Who may do what (principal names are the identity provider's client ids, see
:mod:`sgbus.bus.principals`; the broker knows each as ``User:<name>``):

- party ``P``: WRITE ``sg.P.outbox``; READ ``sg.P.inbox``; WRITE ``sg.P.deadletter`` (its
  connectors' refused records; it cannot read them); consumer groups ``sgbus-department-P``
  (literal) and ``P.`` (prefix); transactional ids ``P.`` (prefix).
- router: READ every outbox (one literal grant each: a prefix ``sg.`` would cover the inboxes
  too), READ and WRITE its ledgers (replays, the unassigned pool); WRITE every inbox,
  ``sg.audit``, ``sg.deadletter``; groups and transactional ids ``sgbus-router`` (prefix).
- watchdog: READ ``sg.audit``; WRITE ``sg.watchdog.outbox`` and ``sg.deadletter`` (audit records
  it cannot decode); groups ``sgbus-watchdog`` (prefix).
- console, gateway: WRITE the outbox of every catalogue party (they authenticate the users and
  systems acting for one); READ ``sg.audit``; groups with their own name as prefix.
- operator: READ ``sg.deadletter``, every ``sg.P.deadletter`` and the replay ledger (which dead
  letters were replayed);
  WRITE every outbox (a replay goes back where it came from); groups ``sgbus-operator`` (prefix).
- admin: cluster ALTER, DESCRIBE, CREATE (ACLs, topics); CREATE, ALTER, ALTER_CONFIGS,
  DESCRIBE, DESCRIBE_CONFIGS on topics prefixed ``sg.``; DESCRIBE on the bus's groups (lag).
  Never READ or WRITE on a topic.
- registry admin, and everyone else: nothing.

A consumer gets DESCRIBE with READ on its topics and READ on its groups (a consumer that keeps
its offsets in SQL still joins its group); a producer WRITE on its topics (idempotence needs no
cluster grant since Kafka 3.0); a transactional producer WRITE and DESCRIBE on its
transactional id, and READ on the group whose offsets it commits in the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from sgbus.bus import principals
from sgbus.bus.acls.model import CLUSTER_NAME, Grant, Operation, PatternType, ResourceType
from sgbus.bus.parties import (
    AUDIT_TOPIC,
    DEAD_LETTER_TOPIC,
    REPLAY_LEDGER_TOPIC,
    UNASSIGNED_LEDGER_TOPIC,
    WATCHDOG_PARTY,
    check_party_id,
    connector_dead_letter_topic,
    inbox_topic,
    outbox_topic,
)

LITERAL, PREFIXED = PatternType.LITERAL, PatternType.PREFIXED
READ, WRITE, DESCRIBE = Operation.READ, Operation.WRITE, Operation.DESCRIBE
#: Every service principal's name starts with this; no party id may.
SERVICE_PREFIX = "sgbus-"
#: Consumer groups of the department service (one per party, offsets kept in its store).
DEPARTMENT_GROUP_PREFIX = "sgbus-department-"
_ADMIN_TOPIC_OPS = (
    Operation.CREATE,
    Operation.ALTER,
    Operation.ALTER_CONFIGS,
    Operation.DESCRIBE,
    Operation.DESCRIBE_CONFIGS,
)
_ADMIN_CLUSTER_OPS = (Operation.ALTER, Operation.DESCRIBE, Operation.CREATE)


class ReservedPartyId(ValueError):
    """A party id that would take a service's identity or groups."""


def user(name: str) -> str:
    """The broker's principal for a client id."""
    return principals.kafka_principal(name)


def party_prefix(party: str) -> str:
    """The prefix of a party's own consumer groups and transactional ids."""
    return f"{party}."


def reads(name: str, topic: str) -> set[Grant]:
    """``name`` may consume ``topic``."""
    return {Grant(user(name), ResourceType.TOPIC, topic, LITERAL, op) for op in (READ, DESCRIBE)}


def writes(name: str, topic: str) -> set[Grant]:
    """``name`` may produce to ``topic``."""
    return {Grant(user(name), ResourceType.TOPIC, topic, LITERAL, WRITE)}


def group(name: str, group_id: str, pattern: PatternType) -> set[Grant]:
    """``name`` may join (and commit offsets of) the consumer group(s) ``group_id``."""
    return {Grant(user(name), ResourceType.GROUP, group_id, pattern, READ)}


def transactions(name: str, prefix: str) -> set[Grant]:
    """``name`` may produce transactionally with ids starting with ``prefix``."""
    return {
        Grant(user(name), ResourceType.TRANSACTIONAL_ID, prefix, PREFIXED, op)
        for op in (WRITE, DESCRIBE)
    }


def party_grants(party: str) -> set[Grant]:
    """A department's (or the bureau's) own system: its outbox, its inbox, its own ids."""
    return (
        writes(party, outbox_topic(party))
        | reads(party, inbox_topic(party))
        | writes(party, connector_dead_letter_topic(party))
        | group(party, f"{DEPARTMENT_GROUP_PREFIX}{party}", LITERAL)
        | group(party, party_prefix(party), PREFIXED)
        | transactions(party, party_prefix(party))
    )


def router_grants(parties: Iterable[str]) -> set[Grant]:
    """Outboxes in; inboxes, the audit and dead-letter logs and the router's ledgers out."""
    name = principals.ROUTER
    # Prefixed: the router's own throw-away readers (``sgbus-router.reader-…``) too.
    out = group(name, name, PREFIXED) | transactions(name, name)
    for ledger in (REPLAY_LEDGER_TOPIC, UNASSIGNED_LEDGER_TOPIC):
        out |= reads(name, ledger) | writes(name, ledger)
    for topic in (AUDIT_TOPIC, DEAD_LETTER_TOPIC):
        out |= writes(name, topic)
    for party in parties:
        out |= reads(name, outbox_topic(party)) | writes(name, inbox_topic(party))
    return out


def watchdog_grants() -> set[Grant]:
    """The audit log in; outcomes out through the watchdog's own outbox."""
    name = principals.WATCHDOG
    return (
        reads(name, AUDIT_TOPIC)
        | writes(name, outbox_topic(WATCHDOG_PARTY))
        # Audit records it cannot decode are set aside, as the router does.
        | writes(name, DEAD_LETTER_TOPIC)
        | group(name, name, PREFIXED)
    )


def front_end_grants(name: str, departments: Iterable[str]) -> set[Grant]:
    """The console or the gateway: writes for the parties its users act for, reads the audit."""
    out = reads(name, AUDIT_TOPIC) | group(name, name, PREFIXED)
    for party in departments:
        out |= writes(name, outbox_topic(party))
    return out


def operator_grants(parties: Iterable[str]) -> set[Grant]:
    """Dead-letter replay: reads the dead letters and the ledger, writes the outboxes."""
    name = principals.OPERATOR
    out = reads(name, DEAD_LETTER_TOPIC) | reads(name, REPLAY_LEDGER_TOPIC)
    out |= group(name, name, PREFIXED)
    for party in parties:
        out |= writes(name, outbox_topic(party)) | reads(name, connector_dead_letter_topic(party))
    return out


def admin_grants(departments: Iterable[str]) -> set[Grant]:
    """Topics and ACLs, and the groups' offsets for lag; no event is read or written."""
    who = user(principals.ADMIN)
    out = {Grant(who, ResourceType.CLUSTER, CLUSTER_NAME, LITERAL, op) for op in _ADMIN_CLUSTER_OPS}
    out |= {Grant(who, ResourceType.TOPIC, "sg.", PREFIXED, op) for op in _ADMIN_TOPIC_OPS}
    groups = [SERVICE_PREFIX, *(party_prefix(p) for p in departments)]
    out |= {Grant(who, ResourceType.GROUP, g, PREFIXED, DESCRIBE) for g in groups}
    return out


def checked_parties(parties: Iterable[str]) -> list[str]:
    """The sorted, valid party ids, the watchdog's included; refuses service-like ids."""
    ids = sorted({check_party_id(p) for p in parties} | {WATCHDOG_PARTY})
    for party in ids:
        if party.startswith(SERVICE_PREFIX):
            raise ReservedPartyId(
                f"party id {party!r} starts with {SERVICE_PREFIX!r}, which names the bus's"
                " own services; choose another id"
            )
    return ids


def desired_acls(parties: Iterable[str]) -> set[Grant]:
    """Every grant the bus needs for ``parties`` (catalogue party ids; the watchdog's outbox
    is always included)."""
    ids = checked_parties(parties)
    departments = [p for p in ids if p != WATCHDOG_PARTY]
    out: set[Grant] = set()
    for party in departments:
        out |= party_grants(party)
    out |= router_grants(ids) | watchdog_grants() | operator_grants(ids)
    out |= admin_grants(departments)
    for front_end in (principals.CONSOLE, principals.GATEWAY):
        out |= front_end_grants(front_end, departments)
    return out
