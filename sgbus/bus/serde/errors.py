"""The serde's errors: one type for encoding, one for decoding, both under :class:`SerdeError`."""

from __future__ import annotations

from sgbus.runtime.faults import TransientError


class SerdeError(Exception):
    """Base of every error the serde raises."""


class EncodeError(SerdeError):
    """An event could not be encoded; says which event type, for which topic, and why."""

    def __init__(self, topic: str, event_type: str, reason: str) -> None:
        self.topic = topic
        self.event_type = event_type
        self.reason = reason
        super().__init__(f"cannot encode {event_type} for topic {topic}: {reason}")


class DecodeError(SerdeError):
    """A record could not be decoded; says which topic, partition and offset, and why."""

    def __init__(self, topic: str, partition: int, offset: int, reason: str) -> None:
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.reason = reason
        super().__init__(f"cannot decode {topic}[{partition}]@{offset}: {reason}")


class RegistryUnavailable(SerdeError, TransientError):
    """The schema registry could not be asked (unreachable, timeout, HTTP 5xx): the value may
    be perfectly good. Transient: retry later; never dead-letter or skip because of it."""

    def __init__(self, reason: str) -> None:
        TransientError.__init__(self, "registry", reason)


class FramingError(Exception):
    """Raised by a framing; the serde turns it into :class:`EncodeError` or :class:`DecodeError`."""


def describe(exc: BaseException, limit: int = 160) -> str:
    """A short, data-free description of a low-level exception (class name and a capped message)."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    if len(text) > limit:
        text = text[:limit] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
