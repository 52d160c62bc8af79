"""The topics a watchdog needs, created from the topics plan when the cluster lacks them.

Only the plan (:mod:`sgbus.bus.topics`) says what a topic looks like — ``sg.audit`` is kept
forever — so a watchdog started on an empty cluster creates exactly what ``sgbus topics
apply`` would, and never touches a topic that exists.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import structlog
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

from sgbus.bus.parties import DEAD_LETTER_TOPIC, WATCHDOG_PARTY
from sgbus.bus.settings import Settings
from sgbus.bus.topics import TopicSpec, apply, desired_topics
from sgbus.runtime.faults import TransientError
from sgbus.runtime.guard import call_with_deadline

log = structlog.get_logger("sgbus.consumers.watchdog.topics")


def watchdog_topic_specs(settings: Settings, names: Sequence[str]) -> list[TopicSpec]:
    """The plan's specs of those of ``names`` (and the dead-letter topic) that the plan knows;
    a topic outside the plan (a test's private audit log) is left to whoever named it."""
    wanted = {*names, DEAD_LETTER_TOPIC}
    return [s for s in desired_topics([WATCHDOG_PARTY], settings) if s.name in wanted]


def create_missing_topics(
    admin: AdminClient, specs: Sequence[TopicSpec], stop: threading.Event
) -> list[str]:
    """Create those of ``specs`` missing on the cluster; return their names.

    Raises :class:`TransientError` while the broker does not answer, or when another instance
    created one of them meanwhile (the retry then finds it).
    """
    if not specs:
        return []
    meta = call_with_deadline(lambda: admin.list_topics(timeout=10), 20.0, stop, "list topics")
    missing = [s for s in specs if s.name not in meta.topics]
    if not missing:
        return []
    try:
        call_with_deadline(lambda: apply(admin, missing), 90.0, stop, "create topics")
    except KafkaException as exc:
        err = exc.args[0] if exc.args else None
        if isinstance(err, KafkaError) and err.code() == KafkaError.TOPIC_ALREADY_EXISTS:
            raise TransientError("broker", "topic created meanwhile by another instance") from exc
        raise
    names = [s.name for s in missing]
    log.info("created topics from the topics plan", topics=names)
    return names
