"""The serde: event model <-> framed Avro bytes."""

from __future__ import annotations

import io
from typing import Any

from fastavro import schemaless_reader, schemaless_writer

from sgbus.bus.events import _models
from sgbus.bus.events._models import EVENT_CLASSES, Event
from sgbus.bus.serde.builders import BuilderFactory, Converter
from sgbus.bus.serde.errors import (
    DecodeError,
    EncodeError,
    FramingError,
    RegistryUnavailable,
    describe,
)
from sgbus.bus.serde.framing import Framing
from sgbus.bus.serde.schemas import CurrentSchemas


class Serde:
    """Encodes events with the current schemas and decodes values written with any known schema.

    Every failure comes out as :class:`EncodeError` or :class:`DecodeError` (permanent: the value
    or event is bad, or the registry answered that it does not know the schema), or as
    :class:`RegistryUnavailable` (transient: the registry could not be asked); no fastavro,
    struct or registry exception escapes.
    """

    def __init__(self, framing: Framing, current: CurrentSchemas) -> None:
        self.framing = framing
        self.current = current
        factory = BuilderFactory(_models)
        self._builders: dict[str, Converter] = {
            name: factory.for_schema(p.schema) for name, p in current.by_name.items()
        }
        missing = set(EVENT_CLASSES) ^ set(current.by_name)
        if missing:
            raise ValueError(
                f"models and schemas disagree on events {sorted(missing)}: run codegen"
            )

    def encode(self, event: Event, topic: str) -> bytes:
        """The framed Avro value of ``event`` for ``topic``."""
        cls = type(event)
        name = cls.AVRO_NAME.rsplit(".", 1)[-1]
        if EVENT_CLASSES.get(name) is not cls:
            raise EncodeError(topic, cls.__name__, "not an event model of sgbus.bus.events")
        if event.envelope.event_type != name:
            raise EncodeError(topic, name, f"envelope.event_type is {event.envelope.event_type!r}")
        try:
            header = self.framing.header(name, topic)
            out = io.BytesIO()
            out.write(header)
            schemaless_writer(out, self.current.get(name).parsed, event.model_dump())
        except RegistryUnavailable:
            raise
        except FramingError as exc:
            raise EncodeError(topic, name, str(exc)) from exc
        except Exception as exc:  # fastavro raises ValueError, TypeError, OverflowError, ...
            raise EncodeError(topic, name, describe(exc)) from exc
        return out.getvalue()

    def decode(self, data: bytes, topic: str, partition: int = -1, offset: int = -1) -> Event:
        """The event in ``data``, read at ``topic``/``partition``/``offset`` (named in errors)."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise DecodeError(
                topic, partition, offset, f"value is {type(data).__name__}, not bytes"
            )
        try:
            data = data if isinstance(data, bytes) else bytes(data)
            writer, start = self.framing.writer_of(data)
            body = io.BytesIO(data)
            body.seek(start)
            reader = None if writer.is_current else self.current.get(writer.event_name).parsed
            record: Any = schemaless_reader(body, writer.schema.parsed, reader)
            if body.tell() != len(data):
                raise FramingError(f"{len(data) - body.tell()} bytes left after the record")
            event: Event = self._builders[writer.event_name](record)
        except RegistryUnavailable:
            raise
        except FramingError as exc:
            raise DecodeError(topic, partition, offset, str(exc)) from exc
        except Exception as exc:  # truncated, bad varint, bad UTF-8, bad UUID, out-of-range date...
            raise DecodeError(topic, partition, offset, describe(exc)) from exc
        return event
