"""One logging setup for every service and command: one JSON object per line on stderr.

Modules log through structlog with key-value fields::

    log = structlog.get_logger("sgbus.<module>")
    log.warning("batch not applied", records=n)

Standard-library records (librdkafka's log through :data:`~sgbus.runtime.kafka_logs.KAFKA_LOGGER`,
Alembic, httpx) come out in the same JSON shape. Every line has ``timestamp``, ``level``,
``logger`` and ``event``, plus the fields bound by :func:`configure_logging` (``service``,
``party``). Log calls pass identifiers (event ids, case keys, topic/partition/offset, counts),
never payloads; as a last guard, strings shaped like a resident ID number or a mobile phone
number are masked in every field.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

from sgbus.runtime.kafka_logs import KAFKA_LOGGER

#: Fields bound to every line of the process (``service``, ``party``), by :func:`configure_logging`.
_BOUND: dict[str, Any] = {}

# A resident ID number (GB 11643: 17 digits and a check character) or a mainland mobile number,
# standing alone: these must never reach a log line, whichever field carries them.
_PERSONAL = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[0-9Xx]|1[3-9]\d{9})(?![0-9A-Za-z])")
_THREAD = re.compile(r"^\[thrd:([^\]]*)\]: ")


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a line is emitted (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def _bound_fields(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> Any:
    for key, value in _BOUND.items():
        event.setdefault(key, value)
    return event


def _librdkafka_fields(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> Any:
    """librdkafka's ``"%s [%s] %s"`` record as fields: facility, client, thread, message."""
    args = event.pop("positional_args", ())
    record = event.get("_record")
    if record is None or record.name != KAFKA_LOGGER.name:
        return event
    if isinstance(args, tuple) and len(args) == 3:
        facility, client, text = (str(a) for a in args)
        found = _THREAD.match(text)
        if found:
            event["thread"] = found.group(1)
            text = text[found.end() :]
        event.update(event=text, facility=facility, client=client)
    held = getattr(record, "held_back", 0)
    if held:
        event["held_back"] = held
    return event


def _mask_personal(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> Any:
    for key, value in event.items():
        if isinstance(value, str):
            event[key] = _PERSONAL.sub(lambda m: m.group(0)[:3] + "*" * 6, value)
    return event


_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    _bound_fields,
    structlog.processors.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
]


def _handler(stream: TextIO | None) -> logging.Handler:
    handler = logging.StreamHandler(stream) if stream is not None else _CurrentStderr()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*_SHARED, _librdkafka_fields],
            pass_foreign_args=True,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                _mask_personal,
                structlog.processors.JSONRenderer(ensure_ascii=False, default=str),
            ],
        )
    )
    handler.set_name("sgbus")
    return handler


def configure_logging(level: str = "INFO", *, stream: TextIO | None = None, **bound: Any) -> None:
    """Send structlog and standard-library logging through one JSON renderer.

    ``bound`` fields (e.g. ``service="router"``) go on every line, from every thread.
    ``stream`` is for tests; by default lines go to the current ``sys.stderr``. Calling it
    again replaces the previous setup, so a command may first configure logging generally and
    then once more with its service's fields.
    """
    _BOUND.clear()
    _BOUND.update({k: v for k, v in bound.items() if v is not None})
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if not _is_plain_output(h)]
    root.addHandler(_handler(stream))
    root.setLevel(level)
    # Request lines of the registry client and Alembic's chatter add nothing at INFO.
    for name in ("httpx", "httpx2", "alembic"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def _is_plain_output(handler: logging.Handler) -> bool:
    """Ours from an earlier call, or a console handler such as ``logging.basicConfig``'s;
    handlers of test frameworks (subclasses) are left alone."""
    return handler.get_name() == "sgbus" or type(handler) in (
        logging.StreamHandler,
        logging.FileHandler,
    )
