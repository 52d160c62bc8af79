"""ACLs as code: every row of issue 12's table, checked on the grants for the 威海 catalogue."""

from __future__ import annotations

import itertools

import pytest

from sgbus.bus import principals
from sgbus.bus.acls import Grant, Operation, PatternType, Permission, ResourceType, desired_acls
from sgbus.bus.acls.desired import ReservedPartyId
from sgbus.bus.catalogue import example_catalogue
from sgbus.bus.parties import BadPartyId

PARTIES = sorted(example_catalogue().parties_by_id)
GRANTS = desired_acls([*PARTIES, "watchdog"])
TOPIC, GROUP, TXN = ResourceType.TOPIC, ResourceType.GROUP, ResourceType.TRANSACTIONAL_ID
READ, WRITE, DESCRIBE = Operation.READ, Operation.WRITE, Operation.DESCRIBE
LITERAL, PREFIXED = PatternType.LITERAL, PatternType.PREFIXED
ROUTER, WATCHDOG = "User:sgbus-router", "User:sgbus-watchdog"
CONSOLE, GATEWAY = "User:sgbus-console", "User:sgbus-gateway"
OPERATOR, ADMIN = "User:sgbus-operator", "User:sgbus-admin"


def of(principal: str) -> set[Grant]:
    return {g for g in GRANTS if g.principal == principal}


def who(operation: Operation, topic: str) -> set[str]:
    """Principals granted ``operation`` on ``topic`` (literal or by a matching prefix)."""
    return {
        g.principal
        for g in GRANTS
        if g.resource_type == TOPIC
        and g.operation == operation
        and (g.name == topic or (g.pattern_type == PREFIXED and topic.startswith(g.name)))
    }


def resources(principal: str) -> set[tuple[ResourceType, str, PatternType]]:
    return {(g.resource_type, g.name, g.pattern_type) for g in of(principal)}


def test_the_catalogue_has_parties() -> None:
    assert len(PARTIES) > 20 and "weihai-health" in PARTIES


@pytest.mark.parametrize("party", PARTIES)
def test_party_writes_its_outbox_reads_its_inbox_with_its_own_ids(party: str) -> None:
    p = f"User:{party}"
    assert of(p) == {
        Grant(p, TOPIC, f"sg.{party}.outbox", LITERAL, WRITE),
        Grant(p, TOPIC, f"sg.{party}.inbox", LITERAL, READ),
        Grant(p, TOPIC, f"sg.{party}.inbox", LITERAL, DESCRIBE),
        Grant(p, TOPIC, f"sg.{party}.deadletter", LITERAL, WRITE),  # its connectors' refusals
        Grant(p, GROUP, f"sgbus-department-{party}", LITERAL, READ),
        Grant(p, GROUP, f"{party}.", PREFIXED, READ),
        Grant(p, TXN, f"{party}.", PREFIXED, WRITE),
        Grant(p, TXN, f"{party}.", PREFIXED, DESCRIBE),
    }


def test_no_party_is_granted_anything_of_another() -> None:
    for a, b in itertools.permutations(PARTIES, 2):
        names = {name for _, name, _ in resources(f"User:{a}")}
        theirs = {f"sg.{b}.outbox", f"sg.{b}.inbox", f"sgbus-department-{b}", f"{b}."}
        assert not names & theirs, (a, b)
        assert f"User:{a}" not in who(READ, f"sg.{b}.inbox") | who(WRITE, f"sg.{b}.outbox")
        assert f"User:{a}" not in who(WRITE, f"sg.{b}.inbox")


def test_no_prefix_ever_grants_reading_or_writing_a_topic() -> None:
    # A prefix "sg." would reach every inbox; reads and writes are one literal grant each.
    for g in GRANTS:
        if g.resource_type == TOPIC and g.operation in (READ, WRITE):
            assert g.pattern_type == LITERAL, g


@pytest.mark.parametrize("party", PARTIES)
def test_only_the_party_its_front_ends_and_the_operator_write_its_outbox(party: str) -> None:
    assert who(WRITE, f"sg.{party}.outbox") == {f"User:{party}", CONSOLE, GATEWAY, OPERATOR}


@pytest.mark.parametrize("party", PARTIES)
def test_only_the_party_reads_its_inbox_and_only_the_router_writes_it(party: str) -> None:
    inbox = f"sg.{party}.inbox"
    assert who(READ, inbox) == {f"User:{party}"}
    assert who(WRITE, inbox) == {ROUTER}


def test_router_reads_every_outbox_and_writes_every_inbox_audit_and_dead_letters() -> None:
    for party in [*PARTIES, "watchdog"]:
        assert ROUTER in who(READ, f"sg.{party}.outbox") & who(DESCRIBE, f"sg.{party}.outbox")
        assert ROUTER in who(WRITE, f"sg.{party}.inbox")
        assert ROUTER not in who(WRITE, f"sg.{party}.outbox")
        assert ROUTER not in who(READ, f"sg.{party}.inbox")
    assert who(WRITE, "sg.audit") == {ROUTER}
    assert who(WRITE, "sg.deadletter") == {ROUTER, WATCHDOG}
    for party in PARTIES:  # a party's connectors' dead letters: its own topic, operator reads
        assert who(WRITE, f"sg.{party}.deadletter") == {f"User:{party}"}
    for ledger in ("sg.router.replayed", "sg.router.unassigned"):
        assert ROUTER in who(READ, ledger) & who(WRITE, ledger)
    assert who(WRITE, "sg.router.unassigned") == {ROUTER}  # nobody else can fill the pool
    assert ROUTER not in who(READ, "sg.audit") | who(READ, "sg.deadletter")


def test_router_group_and_transactional_ids() -> None:
    ids = {(g.resource_type, g.name, g.pattern_type, g.operation) for g in of(ROUTER)}
    assert (GROUP, "sgbus-router", PREFIXED, READ) in ids
    assert (TXN, "sgbus-router", PREFIXED, WRITE) in ids
    assert (TXN, "sgbus-router", PREFIXED, DESCRIBE) in ids
    assert {(t, n) for t, n, _, _ in ids if t != TOPIC} == {
        (GROUP, "sgbus-router"),
        (TXN, "sgbus-router"),
    }


def test_watchdog_reads_the_audit_log_and_writes_its_outbox_and_dead_letters() -> None:
    assert who(READ, "sg.audit") == {WATCHDOG, CONSOLE, GATEWAY}
    assert who(WRITE, "sg.watchdog.outbox") == {WATCHDOG, OPERATOR}
    writes = {g.name for g in of(WATCHDOG) if g.operation == WRITE}
    assert writes == {"sg.watchdog.outbox", "sg.deadletter"}
    assert (GROUP, "sgbus-watchdog", PREFIXED) in resources(WATCHDOG)
    assert "User:watchdog" not in {g.principal for g in GRANTS}  # the service, not a party


@pytest.mark.parametrize("front_end", [CONSOLE, GATEWAY])
def test_console_and_gateway_write_party_outboxes_and_read_only_the_audit_log(
    front_end: str,
) -> None:
    writes = {g.name for g in of(front_end) if g.operation == WRITE}
    assert writes == {f"sg.{p}.outbox" for p in PARTIES}  # not the watchdog's
    reads = {g.name for g in of(front_end) if g.operation == READ and g.resource_type == TOPIC}
    assert reads == {"sg.audit"}
    name = front_end.removeprefix("User:")
    assert Grant(front_end, GROUP, name, PREFIXED, READ) in GRANTS


def test_operator_replays_dead_letters() -> None:
    reads = {g.name for g in of(OPERATOR) if g.operation == READ and g.resource_type == TOPIC}
    connectors = {f"sg.{p}.deadletter" for p in [*PARTIES, "watchdog"]}
    assert reads == {"sg.deadletter", "sg.router.replayed", *connectors}
    writes = {g.name for g in of(OPERATOR) if g.operation == WRITE}
    assert writes == {f"sg.{p}.outbox" for p in [*PARTIES, "watchdog"]}
    assert Grant(OPERATOR, GROUP, "sgbus-operator", PREFIXED, READ) in GRANTS


def test_admin_only_administers() -> None:
    ops = {(g.resource_type, g.name, g.pattern_type, g.operation) for g in of(ADMIN)}
    cluster = {op for t, _, _, op in ops if t == ResourceType.CLUSTER}
    assert cluster == {Operation.ALTER, Operation.DESCRIBE, Operation.CREATE}
    topic = {(n, p, op) for t, n, p, op in ops if t == TOPIC}
    assert topic == {
        ("sg.", PREFIXED, op)
        for op in (
            Operation.CREATE,
            Operation.ALTER,
            Operation.ALTER_CONFIGS,
            Operation.DESCRIBE,
            Operation.DESCRIBE_CONFIGS,
        )
    }
    groups = {op for t, _, _, op in ops if t == GROUP}
    assert groups == {DESCRIBE}
    assert not {op for t, _, _, op in ops if t == TXN}


def test_only_admin_creates_or_alters_topics_or_touches_the_cluster() -> None:
    admin_ops = (Operation.CREATE, Operation.ALTER, Operation.ALTER_CONFIGS, Operation.DELETE)
    for g in GRANTS:
        if g.resource_type == ResourceType.CLUSTER or g.operation in admin_ops:
            assert g.principal == ADMIN, g


def test_everyone_else_gets_nothing() -> None:
    parties = {f"User:{p}" for p in PARTIES}
    services = {ROUTER, WATCHDOG, CONSOLE, GATEWAY, OPERATOR, ADMIN}
    assert {g.principal for g in GRANTS} == parties | services
    assert not of(f"User:{principals.REGISTRY_ADMIN}")
    assert not of("User:ANONYMOUS") and not of("User:*")


def test_grants_are_plain_allows_from_any_host() -> None:
    for g in GRANTS:
        assert g.permission == Permission.ALLOW and g.host == "*"
        assert g.operation not in (Operation.ALL, Operation.IDEMPOTENT_WRITE)
        assert g.name != "*"


def test_consumers_read_and_describe_their_topics_and_read_their_groups() -> None:
    for g in GRANTS:
        if g.resource_type == TOPIC and g.operation == READ:
            assert Grant(g.principal, TOPIC, g.name, LITERAL, DESCRIBE) in GRANTS
    for consumer in [ROUTER, WATCHDOG, CONSOLE, GATEWAY, OPERATOR]:
        assert any(g.resource_type == GROUP and g.operation == READ for g in of(consumer))


def test_watchdog_outbox_is_granted_even_when_not_listed() -> None:
    assert desired_acls(["weihai-health"]) == desired_acls(["weihai-health", "watchdog"])


def test_grants_follow_the_parties() -> None:
    assert desired_acls(["wh-b", "wh-a"]) == desired_acls(["wh-a", "wh-b", "wh-a"])
    assert not any("wh-b" in g.name for g in desired_acls(["wh-a"]))


@pytest.mark.parametrize("bad", ["sgbus-router", "sgbus-admin", "sgbus-x"])
def test_a_party_cannot_take_a_service_name(bad: str) -> None:
    with pytest.raises(ReservedPartyId, match="sgbus-"):
        desired_acls(["weihai-health", bad])


def test_bad_party_ids_are_refused() -> None:
    with pytest.raises(BadPartyId):
        desired_acls(["Weihai"])
