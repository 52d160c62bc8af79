"""The topics a watchdog may create: the topics plan's, never one of its own making."""

from __future__ import annotations

from sgbus.bus.parties import AUDIT_TOPIC, DEAD_LETTER_TOPIC, WATCHDOG_PARTY, outbox_topic
from sgbus.bus.settings import Settings
from sgbus.bus.topics import desired_topics
from sgbus.consumers.watchdog.topics import watchdog_topic_specs


def test_the_default_topics_come_from_the_plan_with_the_audit_log_kept_forever() -> None:
    settings = Settings(topic_partitions=4)
    specs = watchdog_topic_specs(settings, [AUDIT_TOPIC, outbox_topic(WATCHDOG_PARTY)])
    plan = {s.name: s for s in desired_topics([WATCHDOG_PARTY], settings)}
    assert {s.name for s in specs} == {AUDIT_TOPIC, DEAD_LETTER_TOPIC, "sg.watchdog.outbox"}
    assert all(s == plan[s.name] for s in specs)
    audit = next(s for s in specs if s.name == AUDIT_TOPIC)
    assert audit.config["retention.ms"] == "-1" and audit.partitions == 4


def test_a_topic_outside_the_plan_is_not_created() -> None:
    specs = watchdog_topic_specs(Settings(), ["t-private-audit", "t-private-outbox"])
    assert [s.name for s in specs] == [DEAD_LETTER_TOPIC]
