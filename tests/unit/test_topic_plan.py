import pytest

from sgbus.bus.parties import BadPartyId
from sgbus.bus.settings import Settings
from sgbus.bus.topics import TopicState, desired_topics, plan


def settings() -> Settings:
    return Settings(topic_partitions=3, inbox_retention_days=1, audit_retention_days=-1)


def test_each_party_gets_outbox_inbox_and_dead_letters_plus_shared_logs() -> None:
    names = [t.name for t in desired_topics(["wh-b", "wh-a", "wh-a"], settings())]
    assert names == [
        "sg.audit",
        "sg.deadletter",
        "sg.router.replayed",
        "sg.router.unassigned",
        "sg.wh-a.outbox",
        "sg.wh-a.inbox",
        "sg.wh-a.deadletter",
        "sg.wh-b.outbox",
        "sg.wh-b.inbox",
        "sg.wh-b.deadletter",
    ]


def test_retention_in_ms_and_audit_kept_forever() -> None:
    by_name = {t.name: t for t in desired_topics(["wh-a"], settings())}
    assert by_name["sg.wh-a.inbox"].config["retention.ms"] == str(24 * 3600 * 1000)
    assert by_name["sg.audit"].config["retention.ms"] == "-1"


def test_outboxes_are_stamped_by_the_broker_not_the_sender() -> None:
    by_name = {t.name: t for t in desired_topics(["wh-a"], settings())}
    assert by_name["sg.wh-a.outbox"].config["message.timestamp.type"] == "LogAppendTime"
    assert "message.timestamp.type" not in by_name["sg.wh-a.inbox"].config


@pytest.mark.parametrize("name", ["sg.router.replayed", "sg.router.unassigned"])
def test_router_ledgers_are_compacted_and_kept_forever(name: str) -> None:
    by_name = {t.name: t for t in desired_topics(["wh-a"], settings())}
    ledger = by_name[name]
    assert ledger.config["cleanup.policy"] == "compact"
    assert ledger.config["retention.ms"] == "-1"
    assert ledger.partitions == 1


def test_bad_party_id_is_a_clear_error() -> None:
    with pytest.raises(BadPartyId, match="Bad_Id"):
        desired_topics(["Bad_Id"], settings())


def test_plan_creates_grows_reconfigures_and_warns() -> None:
    desired = desired_topics(["wh-a"], settings())
    conf = dict(desired[0].config)
    current = {
        "sg.audit": TopicState(3, conf),
        "sg.deadletter": TopicState(1, conf),
        "sg.wh-a.outbox": TopicState(5, {**conf, "retention.ms": "1"}),
    }
    p = plan(desired, current)
    assert [t.name for t in p.create] == [
        "sg.router.replayed",
        "sg.router.unassigned",
        "sg.wh-a.inbox",
        "sg.wh-a.deadletter",
    ]
    assert p.add_partitions == {"sg.deadletter": 3}
    assert p.set_config["sg.wh-a.outbox"]["retention.ms"] != "1"
    assert "sg.deadletter" in p.set_config  # its retention differs from the audit's
    assert any("cannot remove partitions" in w for w in p.warnings)


def test_plan_of_matching_cluster_is_empty() -> None:
    desired = desired_topics(["wh-a"], settings())
    current = {t.name: TopicState(t.partitions, dict(t.config)) for t in desired}
    assert plan(desired, current).is_empty()
