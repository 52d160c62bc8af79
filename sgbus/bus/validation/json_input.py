"""An event from JSON written by a department's system (the gateway's body, a SQL outbox row,
a file): the published JSON Schema's shape, with every problem named by its field and none
echoing a value."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from sgbus.bus.events import EVENT_CLASSES, Event


class InvalidEventJson(ValueError):
    """Not an event of the contracts: ``fields`` lists ``{"field", "problem"}`` for each issue;
    ``not_an_event`` when it is not even a JSON object with a known ``envelope.event_type``."""

    def __init__(self, message: str, fields: list[dict[str, str]], *, not_an_event: bool) -> None:
        super().__init__(
            message + ": " + "; ".join(f"{f['field']}: {f['problem']}" for f in fields)
        )
        self.message = message
        self.fields = fields
        self.not_an_event = not_an_event


def event_from_json(data: Any) -> Event:
    """The event ``data`` (parsed JSON) describes, of the class its ``envelope.event_type``
    names; :class:`InvalidEventJson` otherwise."""
    try:
        event_type = str(data["envelope"]["event_type"])
    except (TypeError, KeyError):
        problem = "a JSON object with envelope.event_type is required"
        raise InvalidEventJson(
            problem, [{"field": "envelope.event_type", "problem": problem}], not_an_event=True
        ) from None
    cls = EVENT_CLASSES.get(event_type.rsplit(".", 1)[-1])
    if cls is None:
        raise InvalidEventJson(
            "unknown event type",
            [{"field": "envelope.event_type", "problem": "unknown"}],
            not_an_event=False,
        )
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        fields = [
            {"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]}
            for e in exc.errors(include_input=False, include_url=False)
        ]
        raise InvalidEventJson(
            "the event does not match its schema", fields, not_an_event=False
        ) from None
