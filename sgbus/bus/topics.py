"""Topics as code: the topics the configured parties need, and how to bring a cluster there.

:func:`desired_topics` and :func:`plan` are pure; :func:`apply` talks to the cluster.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewPartitions,
    NewTopic,
)

from sgbus.bus.parties import (
    AUDIT_TOPIC,
    DEAD_LETTER_TOPIC,
    REPLAY_LEDGER_TOPIC,
    UNASSIGNED_LEDGER_TOPIC,
    connector_dead_letter_topic,
    inbox_topic,
    outbox_topic,
)
from sgbus.bus.settings import Settings

_DAY_MS = 24 * 3600 * 1000
_TIMEOUT_S = 30


@dataclass(frozen=True)
class TopicSpec:
    """What one topic should look like."""

    name: str
    partitions: int
    replication: int
    config: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TopicState:
    """What one topic looks like on the cluster (only the configs we manage)."""

    partitions: int
    config: Mapping[str, str]


@dataclass
class Plan:
    """Changes needed to reach the desired topics."""

    create: list[TopicSpec] = field(default_factory=list)
    add_partitions: dict[str, int] = field(default_factory=dict)
    set_config: dict[str, dict[str, str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        """True when the cluster already matches."""
        return not (self.create or self.add_partitions or self.set_config)

    def describe(self) -> list[str]:
        """One human-readable line per change or warning."""
        lines = [f"create {t.name} ({t.partitions} partitions)" for t in self.create]
        lines += [f"grow {n} to {p} partitions" for n, p in self.add_partitions.items()]
        for name, conf in self.set_config.items():
            lines += [f"set {name} {k}={v}" for k, v in sorted(conf.items())]
        return lines + [f"warning: {w}" for w in self.warnings]


def _retention(days: float) -> str:
    return "-1" if days < 0 else str(int(days * _DAY_MS))


def desired_topics(parties: Iterable[str], settings: Settings) -> list[TopicSpec]:
    """Every topic the parties need: an outbox, an inbox and a dead-letter topic for their
    connectors each, the audit and dead-letter logs, and the router's ledgers (replays, the
    unassigned pool)."""

    def spec(name: str, retention_days: float) -> TopicSpec:
        conf = {
            "retention.ms": _retention(retention_days),
            "min.insync.replicas": str(settings.topic_min_isr),
        }
        return TopicSpec(name, settings.topic_partitions, settings.topic_replication, conf)

    specs = [spec(AUDIT_TOPIC, settings.audit_retention_days)]
    specs.append(spec(DEAD_LETTER_TOPIC, settings.deadletter_retention_days))
    specs.append(replay_ledger_spec(settings))
    specs.append(ledger_spec(UNASSIGNED_LEDGER_TOPIC, settings))
    for party in sorted(set(parties)):
        # The broker stamps what it receives: the watchdog times answers by it (through the
        # router's copies), so a sender's own clock cannot date its claim.
        outbox = spec(outbox_topic(party), settings.outbox_retention_days)
        append_time = {**outbox.config, "message.timestamp.type": "LogAppendTime"}
        specs.append(replace(outbox, config=append_time))
        specs.append(spec(inbox_topic(party), settings.inbox_retention_days))
        specs.append(spec(connector_dead_letter_topic(party), settings.deadletter_retention_days))
    return specs


def replay_ledger_spec(settings: Settings) -> TopicSpec:
    """The replay ledger: compacted and kept forever, since a replay may come at any time; one
    partition, as it holds one small record per replayed event."""
    return ledger_spec(REPLAY_LEDGER_TOPIC, settings)


def ledger_spec(name: str, settings: Settings) -> TopicSpec:
    """A router ledger (replays, the unassigned pool): compacted and kept forever, since the
    event it follows up may come at any time; one partition of small records keyed by event."""
    conf = {
        "cleanup.policy": "compact",
        "retention.ms": "-1",
        "min.insync.replicas": str(settings.topic_min_isr),
    }
    return TopicSpec(name, 1, settings.topic_replication, conf)


def plan(desired: Iterable[TopicSpec], current: Mapping[str, TopicState]) -> Plan:
    """Compare desired topics with the cluster's; partitions only grow (Kafka cannot shrink)."""
    out = Plan()
    for spec in desired:
        state = current.get(spec.name)
        if state is None:
            out.create.append(spec)
            continue
        if spec.partitions > state.partitions:
            out.add_partitions[spec.name] = spec.partitions
        elif spec.partitions < state.partitions:
            out.warnings.append(
                f"{spec.name} has {state.partitions} partitions, more than the "
                f"{spec.partitions} configured; Kafka cannot remove partitions, left as is"
            )
        changed = {k: v for k, v in spec.config.items() if state.config.get(k) != v}
        if changed:
            out.set_config[spec.name] = changed
    return out


def current_state(admin: AdminClient, names: Iterable[str]) -> dict[str, TopicState]:
    """Partitions and managed configs of those ``names`` that exist on the cluster."""
    meta = admin.list_topics(timeout=_TIMEOUT_S)
    existing = [n for n in names if n in meta.topics]
    if not existing:
        return {}
    resources = [ConfigResource(ConfigResource.Type.TOPIC, n) for n in existing]
    configs = {r.name: f.result(_TIMEOUT_S) for r, f in admin.describe_configs(resources).items()}
    return {
        n: TopicState(len(meta.topics[n].partitions), {k: e.value for k, e in configs[n].items()})
        for n in existing
    }


def apply(admin: AdminClient, desired: list[TopicSpec]) -> Plan:
    """Bring the cluster to ``desired``; returns what was done. Safe to run again."""
    todo = plan(desired, current_state(admin, [t.name for t in desired]))
    if todo.create:
        new = [
            NewTopic(t.name, t.partitions, t.replication, config=dict(t.config))
            for t in todo.create
        ]
        for fut in admin.create_topics(new, request_timeout=_TIMEOUT_S).values():
            fut.result(_TIMEOUT_S)
    if todo.add_partitions:
        grow = [NewPartitions(n, p) for n, p in todo.add_partitions.items()]
        for fut in admin.create_partitions(grow, request_timeout=_TIMEOUT_S).values():
            fut.result(_TIMEOUT_S)
    if todo.set_config:
        resources = [
            ConfigResource(
                ConfigResource.Type.TOPIC,
                name,
                incremental_configs=[
                    ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET)
                    for k, v in conf.items()
                ],
            )
            for name, conf in todo.set_config.items()
        ]
        for fut in admin.incremental_alter_configs(resources).values():
            fut.result(_TIMEOUT_S)
    return todo
