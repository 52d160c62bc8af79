"""The publisher SDK: what an approval or department system calls to put events on the bus.

``publish`` returns only once the broker has the event (idempotent producer, ``acks=all``),
and raises :class:`PublishError` otherwise: a caller that got no exception can forget the
event. A party publishes only to its own outbox, as itself.

Example::

    with Publisher("weihai-approval") as pub:
        receipt = pub.publish(result)          # an ApprovalResult built with new_envelope(...)
"""

from __future__ import annotations

import datetime
import secrets
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from sgbus.bus import headers as h
from sgbus.bus.actions import (
    build_consultation_reply,
    build_dispute,
    build_ruling,
    build_transfer,
    build_urging,
)
from sgbus.bus.claims import build_claim
from sgbus.bus.events import ConsultationPosition, Event, ResponsibilityDispute, event_type_of
from sgbus.bus.kafka_clients import make_producer
from sgbus.bus.parties import check_party_id, outbox_topic
from sgbus.bus.serde import Serde, serde_for
from sgbus.bus.settings import Settings, get_settings
from sgbus.bus.validation import check_event


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class PublishError(RuntimeError):
    """The event was not accepted by the broker (or not sent at all); nothing was published."""


@dataclass(frozen=True)
class Receipt:
    """Where the broker stored an event."""

    event_id: str
    topic: str
    partition: int
    offset: int


def traceparent(correlation_id: uuid.UUID) -> str:
    """A W3C trace context header; one trace per conversation (correlation id)."""
    return f"00-{correlation_id.hex}-{secrets.token_hex(8)}-01"


class _Countdown(threading.Event):
    """Set once ``n`` delivery reports have come."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self._left = n
        self._lock = threading.Lock()
        if n == 0:
            self.set()

    def count_down(self) -> None:
        with self._lock:
            self._left -= 1
            if self._left <= 0:
                self.set()


class Publisher:
    """Publishes events of one party to its outbox."""

    def __init__(
        self,
        party: str,
        settings: Settings | None = None,
        serde: Serde | None = None,
        *,
        validate: bool = True,
        timeout_s: float = 30.0,
        producer: Producer | None = None,
        principal: str | None = None,
        polled_elsewhere: bool = False,
    ) -> None:
        self.party = check_party_id(party)
        self.topic = outbox_topic(party)
        # A front end (the console, the gateway) authenticates as itself and writes the outbox
        # of the party its user acts for; the broker's ACLs allow it exactly those outboxes.
        settings = (settings or get_settings()).acting_as(principal or self.party)
        self._serde = serde or serde_for(settings)
        self._producer = producer or make_producer(settings)
        self._validate = validate
        self._timeout_s = timeout_s
        # A shared producer's delivery reports are served by its owner's poll thread; a
        # publisher of its own polls while it waits.
        self._polled_elsewhere = polled_elsewhere

    def publish(self, event: Event) -> Receipt:
        """Publish one event and wait until the broker has it."""
        return self.publish_many([event])[0]

    def publish_many(self, events: Sequence[Event]) -> list[Receipt]:
        """Publish events in order and wait for all; raises if any was not stored."""
        results: list[Receipt | str | None] = [None] * len(events)
        done = _Countdown(len(events))
        for i, event in enumerate(events):
            self._produce(i, event, results, done)
        self._await(done)
        failed = [r for r in results if not isinstance(r, Receipt)]
        if failed:
            first = next((r for r in failed if isinstance(r, str)), "no answer from the broker")
            raise PublishError(
                f"{len(failed)} of {len(events)} event(s) not published to {self.topic}: {first}"
            )
        return [r for r in results if isinstance(r, Receipt)]

    def _await(self, done: _Countdown) -> None:
        """Wait until each of these events has its delivery report (or the timeout).

        Not ``flush()``: with a producer shared by threads (the console, the gateway) each caller
        would wait for every other caller's events too."""
        if self._polled_elsewhere:
            done.wait(self._timeout_s)
            return
        deadline = time.monotonic() + self._timeout_s
        while not done.is_set() and time.monotonic() < deadline:
            self._producer.poll(0.05)

    def claim(self, item: Event, *, officer: str | None = None) -> Receipt:
        """Publish this party's claim (签收) of an event it received; the claim's event id is
        derived from the item, so a repeated claim is recognisably the same event."""
        return self.publish(
            build_claim(item, self.party, datetime.datetime.now(datetime.UTC), officer=officer)
        )

    # -- officers' actions (see sgbus.bus.actions for what each event says) -----------------

    def transfer(self, item: Event, to: str, reason: str, *, officer: str | None = None) -> Receipt:
        """Pass ``item``, received by this party, on to department ``to`` (转办)."""
        return self.publish(build_transfer(item, self.party, to, reason, _now(), officer=officer))

    def dispute(
        self,
        item: Event,
        reason: str,
        *,
        proposed_party: str | None = None,
        officer: str | None = None,
    ) -> Receipt:
        """Dispute that ``item`` is this party's responsibility (争议): it goes to the oversight
        office's pool and this party's claim clock stops until the office rules."""
        event = build_dispute(
            item, self.party, reason, _now(), proposed_party=proposed_party, officer=officer
        )
        return self.publish(event)

    def rule(
        self, dispute: ResponsibilityDispute, assigned_to: str, reason: str, decided_by: str
    ) -> Receipt:
        """As the oversight office, decide ``dispute``: the item goes to ``assigned_to``."""
        return self.publish(
            build_ruling(dispute, self.party, assigned_to, reason, decided_by, _now())
        )

    def urge(
        self,
        *,
        urged_party: str,
        item_event_id: str,
        item_event_type: str,
        region: str,
        case_key: str,
        message: str,
        obligation_id: str | None = None,
    ) -> Receipt:
        """As the oversight office, urge ``urged_party`` on an item (督办)."""
        return self.publish(
            build_urging(
                oversight=self.party,
                urged_party=urged_party,
                item_event_id=item_event_id,
                item_event_type=item_event_type,
                region=region,
                case_key=case_key,
                message=message,
                at=_now(),
                obligation_id=obligation_id,
            )
        )

    def answer_consultation(
        self,
        letter: Event,
        position: ConsultationPosition | str,
        text: str | None = None,
        *,
        officer: str | None = None,
    ) -> Receipt:
        """Answer a 函询: 同意, 有条件同意 (with its conditions) or 不同意 (with its reason)."""
        return self.publish(
            build_consultation_reply(letter, self.party, position, text, _now(), officer=officer)
        )

    def close(self) -> None:
        """Wait for anything in flight."""
        self._producer.flush(self._timeout_s)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.close()

    def _produce(
        self, i: int, event: Event, results: list[Receipt | str | None], done: _Countdown
    ) -> None:
        env = event.envelope
        if env.sender != self.party:
            raise PublishError(
                f"event sender {env.sender!r} is not this publisher's party {self.party!r}"
            )
        if self._validate:
            check_event(event)
        value = self._serde.encode(event, self.topic)
        event_id = str(env.event_id)

        def delivered(err: KafkaError | None, msg: Message[Any, Any]) -> None:
            if err is not None:
                results[i] = str(err)
            else:
                results[i] = Receipt(
                    event_id, msg.topic() or "", msg.partition() or 0, msg.offset() or 0
                )
            done.count_down()

        headers = {
            h.EVENT_ID: event_id,
            h.EVENT_TYPE: event_type_of(event),
            h.TRACEPARENT: traceparent(env.correlation_id),
        }
        while True:
            try:
                self._producer.produce(
                    self.topic,
                    key=env.case_key.encode(),
                    value=value,
                    headers=list(headers.items()),
                    on_delivery=delivered,
                )
                return
            except BufferError:
                self._producer.poll(0.05)
            except KafkaException as exc:  # refused before sending (e.g. a topic not created)
                raise PublishError(f"not sent to {self.topic}: {exc.args[0]}") from exc
