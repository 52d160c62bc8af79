"""The bus side of the conformance suite: a fresh party on the test stack, items written to
its inbox, and the dead letters its connector wrote."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Producer

from sgbus.bus import headers as h
from sgbus.bus.catalogue import example_catalogue
from sgbus.bus.deadletters import read_dead_letters
from sgbus.bus.events import DeadLetter, Event
from sgbus.bus.kafka_clients import make_admin
from sgbus.bus.parties import connector_dead_letter_topic, inbox_topic
from sgbus.bus.serde import Serde, serde_for
from sgbus.bus.settings import Settings
from sgbus.bus.topics import apply, desired_topics
from sgbus.demo.synthetic import approval_result
from sgbus.stack.testing import StackEndpoints

MATTER = "WH-A1-001"
REGION = "371000"


@dataclass
class ConformanceBus:
    """A party of its own for one test: enrolled, with topics, fed by the test."""

    stack: StackEndpoints
    party: str
    settings: Settings
    serde: Serde
    _serial: int = 0

    @classmethod
    def fresh(cls, stack: StackEndpoints, prefix: str) -> ConformanceBus:
        """A new party ``<prefix>-<random>`` with its credentials, ACLs and topics."""
        party = f"{prefix}-{secrets.token_hex(3)}"
        stack.enroll(party)
        settings = Settings(bootstrap=stack.bootstrap, schema_registry=stack.schema_registry)
        apply(make_admin(settings), desired_topics([party], settings))
        return cls(stack, party, settings, serde_for(settings))

    def environment(self) -> dict[str, str]:
        """``SGBUS_*`` variables for a connector process on this stack."""
        return {
            **self.stack.environment(),
            "SGBUS_BOOTSTRAP": self.stack.bootstrap,
            **({"SGBUS_SCHEMA_REGISTRY": self.stack.schema_registry}
               if self.stack.schema_registry else {}),
        }  # fmt: skip

    def feed(self, n: int, seed: int | None = None, case_key: str | None = None) -> list[str]:
        """Write ``n`` approval results to the party's inbox as the router would; their ids.
        With ``case_key`` they all belong to that one case (and so to one partition)."""
        rng = random.Random(seed if seed is not None else self._serial)
        matter = example_catalogue().matter(MATTER)
        at = dt.datetime(2026, 9, 30, 8, tzinfo=dt.UTC)
        producer = self._producer()
        topic = inbox_topic(self.party)
        ids = []
        for _ in range(n):
            self._serial += 1
            event = approval_result(
                matter,
                900_000 + self._serial,
                sender="weihai-approval",
                region=REGION,
                decided_at=at,
                rng=rng,
                recipients=[self.party],
            )
            if case_key is not None:
                env = event.envelope.model_copy(update={"case_key": case_key})
                event = event.model_copy(update={"envelope": env})
            event_id = str(event.envelope.event_id)
            headers = {h.EVENT_ID: event_id, h.EVENT_TYPE: "ApprovalResult"}
            producer.produce(
                topic,
                key=event.envelope.case_key.encode(),
                value=self.serde.encode(event, topic),
                headers=list(headers.items()),
            )
            ids.append(event_id)
        _flushed(producer)
        return ids

    def feed_garbage(self) -> None:
        """Write one record that no schema decodes."""
        producer = self._producer()
        # No wire-format magic byte: undecodable, whatever the registry holds.
        producer.produce(inbox_topic(self.party), key=b"garbage", value=b"not avro at all")
        _flushed(producer)

    def dead_letters(self, connector: str) -> list[DeadLetter]:
        """Dead letters the party's connector ``connector`` wrote."""
        topics = [connector_dead_letter_topic(self.party)]
        return [
            d
            for d in read_dead_letters(self.settings, self.serde, topics=topics)
            if d.service == f"connector:{connector}" and d.envelope.sender == self.party
        ]

    def _producer(self) -> Producer:
        conf: dict[str, Any] = self.stack.kafka_config(**{"enable.idempotence": True})
        return Producer(conf)


def _flushed(producer: Producer) -> None:
    left = producer.flush(60)
    if left:
        raise AssertionError(f"{left} record(s) not written to the test inbox")


class ApprovalResults:
    """New valid approval results in ``sender``'s name, none like another (a source's test
    offers them to the source)."""

    def __init__(self, sender: str) -> None:
        self.sender = sender
        self._rng = random.Random()
        self._serial = self._rng.randrange(10**6, 10**7)

    def make(self, n: int) -> list[Event]:
        """``n`` more."""
        matter = example_catalogue().matter(MATTER)
        out: list[Event] = []
        for _ in range(n):
            self._serial += 1
            out.append(
                approval_result(
                    matter,
                    self._serial,
                    sender=self.sender,
                    region=REGION,
                    decided_at=dt.datetime(2026, 9, 30, 8, tzinfo=dt.UTC),
                    rng=self._rng,
                )
            )
        return out
