"""How the schema travels with each value: the framing in front of the Avro body.

Two framings, one interface:

* :class:`ConfluentFraming` — magic byte ``0`` + 4-byte big-endian schema id from a
  Confluent-compatible registry; subjects by record name (so several event types share a topic).
* :class:`SingleObjectFraming` — Avro single-object encoding: ``C3 01`` + 8-byte little-endian
  CRC-64-AVRO fingerprint; schemas come from ``schemas/avro`` and its history, no registry needed.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sgbus.bus.contracts.history import Snapshot
from sgbus.bus.serde.errors import FramingError, RegistryUnavailable, describe
from sgbus.bus.serde.schemas import CurrentSchemas, PreparedSchema, prepare
from sgbus.runtime.faults import NotAuthorized, is_transient


@dataclass(frozen=True)
class WriterSchema:
    """The schema a value was written with, and whether it is the reader's current one."""

    event_name: str
    schema: PreparedSchema
    is_current: bool


class Framing(Protocol):
    """Turns an event name into a header, and a header back into the writer's schema."""

    name: str

    def header(self, event_name: str, topic: str) -> bytes:
        """Bytes to put before the Avro body of an ``event_name`` value on ``topic``."""
        ...

    def writer_of(self, data: bytes) -> tuple[WriterSchema, int]:
        """The writer schema named by ``data``'s header, and where the Avro body starts."""
        ...


def _match_current(current: CurrentSchemas, writer: PreparedSchema) -> WriterSchema:
    if writer.name not in current.by_name:
        raise FramingError(
            f"writer schema is record {writer.fullname}, not an event this reader knows"
        )
    mine = current.get(writer.name)
    if mine.resolution == writer.resolution:
        return WriterSchema(writer.name, mine, True)
    return WriterSchema(writer.name, writer, False)


# ------------------------------------------------------------------ Confluent wire format
class ConfluentFraming:
    """Magic byte 0 + schema id, ids from a Confluent-compatible schema registry.

    ``client`` is a ``confluent_kafka.schema_registry.SchemaRegistryClient`` (``mock://`` URLs give
    an in-memory one). Ids and parsed writer schemas are cached for the life of the framing.
    """

    name = "confluent"

    def __init__(
        self,
        client: Any,
        current: CurrentSchemas,
        *,
        auto_register: bool = True,
    ) -> None:
        self.client = client
        self.current = current
        self.auto_register = auto_register
        self._ids: dict[str, int] = {}
        self._writers: dict[int, WriterSchema] = {}
        self._lock = threading.Lock()

    def header(self, event_name: str, topic: str) -> bytes:
        """``00`` + the 4-byte id of the event's current schema under its subject."""
        prepared = self.current.get(event_name)
        subject = prepared.fullname  # record-name subjects, whatever the topic
        schema_id = self._ids.get(subject)
        if schema_id is None:
            schema_id = self._resolve_id(subject, prepared)
        return b"\x00" + schema_id.to_bytes(4, "big")

    def _resolve_id(self, subject: str, prepared: PreparedSchema) -> int:
        from confluent_kafka.schema_registry import Schema

        schema = Schema(prepared.text, "AVRO")
        try:
            schema_id = self._register_or_look_up(subject, schema)
        except Exception as exc:  # the registry client raises several unrelated types
            _raise_if_unavailable(exc, f"subject {subject}")
            hint = "" if self.auto_register else " (register schemas with `sgbus schemas register`)"
            raise FramingError(
                f"schema registry, subject {subject}: {describe(exc)}{hint}"
            ) from exc
        with self._lock:
            self._ids[subject] = schema_id
            self._writers.setdefault(schema_id, WriterSchema(prepared.name, prepared, True))
        return schema_id

    def _register_or_look_up(self, subject: str, schema: Any) -> int:
        if not self.auto_register:
            return int(self.client.lookup_schema(subject, schema).schema_id)
        try:
            return int(self.client.register_schema(subject, schema))
        except Exception as exc:
            # Two services registering a new subject at the same moment: Apicurio answers the
            # loser 409 ("artifact already exists"); the schema is there now, so look it up.
            if getattr(exc, "http_status_code", None) != 409:
                raise
            return int(self.client.lookup_schema(subject, schema).schema_id)

    def writer_of(self, data: bytes) -> tuple[WriterSchema, int]:
        """Read magic byte and id; fetch and parse the writer schema once per id."""
        if len(data) < 5:
            raise FramingError(f"{len(data)} bytes: too short for the Confluent header (5 bytes)")
        if data[0] != 0:
            raise FramingError(f"magic byte {data[0]:#04x}, expected 0x00 (Confluent wire format)")
        schema_id = int.from_bytes(data[1:5], "big")
        writer = self._writers.get(schema_id)
        if writer is None:
            writer = self._fetch(schema_id)
        return writer, 5

    def _fetch(self, schema_id: int) -> WriterSchema:
        try:
            registered = self.client.get_schema(schema_id)
        except Exception as exc:
            _raise_if_unavailable(exc, f"schema id {schema_id}")
            raise FramingError(f"schema id {schema_id}: {describe(exc)}") from exc
        if getattr(registered, "schema_type", "AVRO") not in (None, "AVRO"):
            raise FramingError(f"schema id {schema_id} is {registered.schema_type}, not AVRO")
        try:
            writer = _match_current(self.current, prepare(json.loads(registered.schema_str)))
        except FramingError:
            raise
        except Exception as exc:
            raise FramingError(f"schema id {schema_id} cannot be parsed: {describe(exc)}") from exc
        with self._lock:
            self._writers[schema_id] = writer
        return writer


def _raise_if_unavailable(exc: Exception, what: str) -> None:
    """Turn a registry failure that may pass into :class:`RegistryUnavailable`, and a refusal
    of this client's credentials (401, 403) into :class:`NotAuthorized`, which stops the
    service: a record must not be set aside for the bus's own configuration error. Another
    definite answer (4xx: unknown id or subject) is left to the caller as a permanent error."""
    if is_transient(exc):
        raise RegistryUnavailable(f"{what}: {describe(exc)}") from exc
    if getattr(exc, "http_status_code", None) in (401, 403):
        raise NotAuthorized(
            f"the schema registry refused this client ({what}, HTTP"
            f" {getattr(exc, 'http_status_code', '?')}): check its credentials and roles"
        ) from exc


# ------------------------------------------------------------------ single-object encoding
SINGLE_OBJECT_MARKER = b"\xc3\x01"


class SingleObjectFraming:
    """Avro single-object encoding; writer schemas found by fingerprint, current or past."""

    name = "single-object"

    def __init__(self, current: CurrentSchemas, history: Mapping[str, list[Snapshot]]) -> None:
        self.current = current
        self._headers = {
            name: SINGLE_OBJECT_MARKER + p.fingerprint.to_bytes(8, "little")
            for name, p in current.by_name.items()
        }
        self._writers: dict[bytes, WriterSchema] = {}
        for snaps in history.values():
            for snap in snaps:
                self._add(prepare(snap.schema))
        for prepared in current.by_name.values():
            self._add(prepared)

    def _add(self, prepared: PreparedSchema) -> None:
        if prepared.name not in self.current.by_name:
            return  # history of an event this version no longer has
        writer = _match_current(self.current, prepared)
        self._writers[prepared.fingerprint.to_bytes(8, "little")] = writer

    def header(self, event_name: str, topic: str) -> bytes:
        """``C3 01`` + the fingerprint of the event's current schema."""
        return self._headers[event_name]

    def writer_of(self, data: bytes) -> tuple[WriterSchema, int]:
        """Look the fingerprint up among the current schemas and the history snapshots."""
        if len(data) < 10:
            raise FramingError(
                f"{len(data)} bytes: too short for the single-object header (10 bytes)"
            )
        if data[:2] != SINGLE_OBJECT_MARKER:
            raise FramingError(
                f"marker {data[:2].hex()}, expected c301 (Avro single-object encoding)"
            )
        writer = self._writers.get(bytes(data[2:10]))
        if writer is None:
            raise FramingError(f"unknown schema fingerprint {bytes(data[2:10]).hex()}")
        return writer, 10
