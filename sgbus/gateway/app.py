"""The gateway's HTTP API (FastAPI): publish, pull, claim — each request as the token's party.

* ``POST /v1/events`` — an event as JSON (docs/jsonschema); ``202`` with the receipt once the
  broker has it. The same event id again gives the same receipt and publishes nothing; the
  same id with other content is a ``409``.
* ``GET /v1/inbox?after=CURSOR&limit=N`` — what the party received, after a stable cursor.
* ``POST /v1/inbox/{event_id}/claim`` — the party's claim (签收) of an event it received.

Errors are JSON ``{"error": …, "fields": [{"field": …, "problem": …}]}`` naming every invalid
field, never echoing a value (personal data is masked as the validation does).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

import structlog
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from sgbus.bus.claims import build_claim
from sgbus.bus.events import EVENT_CLASSES, Event
from sgbus.bus.validation import validate_event
from sgbus.bus.validation.json_input import InvalidEventJson, event_from_json
from sgbus.console.runtime import EventPublisher
from sgbus.gateway import receipts
from sgbus.gateway.inbox import BadCursor, decode_cursor, find_delivery, pull
from sgbus.gateway.limits import RateLimiter
from sgbus.gateway.tokens import Caller, TokenRefused
from sgbus.monitoring import metrics
from sgbus.producers.publisher import PublishError, Receipt

log = structlog.get_logger("sgbus.gateway.app")
#: The gateway's ``connector`` label: it is the bus's HTTP source.
METRICS_NAME = "gateway"
MAX_BODY_BYTES = 256 * 1024


class ReceiptOut(BaseModel):
    """Where the broker stored the event."""

    event_id: str
    topic: str
    partition: int
    offset: int


class InboxItem(BaseModel):
    """One delivered event."""

    event_id: str
    event_type: str
    case_key: str
    event: dict[str, Any]


class InboxPage(BaseModel):
    """A page of deliveries and the cursor to ask for the next."""

    items: list[InboxItem]
    next: str


@dataclass
class Gateway:
    """What the gateway's routes need."""

    engine: Engine
    verify: Callable[[str | None], Caller]
    publisher: EventPublisher
    now: Callable[[], datetime]
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(rate=50, burst=100))
    max_body_bytes: int = MAX_BODY_BYTES
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    _locks_guard: threading.Lock = field(default_factory=threading.Lock)

    def lock_for(self, event_id: str) -> threading.Lock:
        """One publish at a time per event id (a resend racing its original)."""
        with self._locks_guard:
            return self._locks.setdefault(event_id, threading.Lock())


class Problem(Exception):
    """An error answered as JSON."""

    def __init__(self, status: int, error: str, fields: list[dict[str, str]] | None = None):
        super().__init__(error)
        self.status, self.error, self.fields = status, error, fields or []


class ProblemOut(BaseModel):
    """What went wrong, and with which fields (never their values)."""

    error: str
    fields: list[dict[str, str]]


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ProblemOut, "description": text}
    for code, text in {
        400: "not JSON, or a bad cursor",
        401: "no valid token of a party",
        403: "the event's sender is not the token's party",
        404: "not delivered to this party",
        409: "the event id was used for another event",
        413: "body too large",
        422: "invalid fields",
        429: "rate limit",
        503: "the bus did not accept the event; nothing was published",
    }.items()
}
_EVENT_BODY = {
    "required": True,
    "description": "One event as JSON; its schema is docs/jsonschema/<event_type>.schema.json.",
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    {"$ref": f"../jsonschema/{name}.schema.json"} for name in sorted(EVENT_CLASSES)
                ]
            }
        }
    },
}


def caller(request: Request, authorization: Annotated[str | None, Header()] = None) -> Caller:
    """The party of the request's bearer token, within its rate limit."""
    gateway: Gateway = request.app.state.gateway
    try:
        who = gateway.verify(authorization)
    except TokenRefused as exc:
        raise Problem(401, str(exc)) from None
    wait = gateway.limiter.allow(who.party, time.monotonic())
    if wait:
        raise Problem(429, f"rate limit: retry after {wait:.1f} s")
    return who


Party = Annotated[Caller, Depends(caller)]


def create_gateway(gateway: Gateway) -> FastAPI:
    """The gateway app."""
    app = FastAPI(
        title="sgbus HTTP gateway",
        version="1",
        description=__doc__,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.gateway = gateway

    @app.post(
        "/v1/events",
        status_code=202,
        response_model=ReceiptOut,
        responses=_ERRORS,
        openapi_extra={"requestBody": _EVENT_BODY},
    )
    async def publish(request: Request, who: Party, response: Response) -> ReceiptOut:
        body = await _body(request, gateway.max_body_bytes)
        try:
            event = _event(body)
        except Problem:
            metrics.record_connector_refused(METRICS_NAME, "VALIDATION_FAILED")
            raise
        if event.envelope.sender != who.party:
            metrics.record_connector_refused(METRICS_NAME, "SENDER_NOT_OWNER")
            raise Problem(403, "envelope.sender is not the party of this token")
        # Waiting for the broker blocks: off the event loop, so requests overlap.
        receipt, replay = await run_in_threadpool(_publish_once, gateway, who.party, event)
        if replay:
            response.headers["Idempotent-Replay"] = "true"
        return ReceiptOut(**receipt.__dict__)

    @app.get("/v1/inbox", response_model=InboxPage, responses=_ERRORS)
    def inbox(
        who: Party,
        after: Annotated[str | None, Query(description="cursor from the last page")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> InboxPage:
        try:
            positions = decode_cursor(after)
        except BadCursor as exc:
            raise Problem(400, str(exc), [{"field": "after", "problem": str(exc)}]) from None
        with gateway.engine.connect() as conn:
            page = pull(conn, who.party, positions, limit)
        return InboxPage(items=[InboxItem(**i) for i in page.items], next=page.next_cursor)

    @app.post(
        "/v1/inbox/{event_id}/claim", status_code=202, response_model=ReceiptOut, responses=_ERRORS
    )
    def claim(event_id: str, who: Party, response: Response) -> ReceiptOut:
        with gateway.engine.connect() as conn:
            found = find_delivery(conn, who.party, event_id)
        if found is None:
            raise Problem(404, "no event with this id was delivered to this party")
        event_type, payload = found
        item = EVENT_CLASSES[event_type].model_validate(payload)
        receipt, replay = _publish_once(
            gateway, who.party, build_claim(item, who.party, gateway.now())
        )
        if replay:
            response.headers["Idempotent-Replay"] = "true"
        return ReceiptOut(**receipt.__dict__)

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict[str, bool]:
        return {"ok": True}

    @app.exception_handler(Problem)
    async def problem(request: Request, exc: Problem) -> Response:
        body = {"error": exc.error, "fields": exc.fields}
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(body, status_code=exc.status, headers=headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return JSONResponse({"error": str(exc.detail), "fields": []}, status_code=exc.status_code)

    return app


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Problem(413, f"request body larger than {limit} bytes")
    body = await request.body()
    if len(body) > limit:
        raise Problem(413, f"request body larger than {limit} bytes")
    return body


def _event(body: bytes) -> Event:
    """The event of a JSON body, or a 400/422 naming every invalid field."""
    try:
        event = event_from_json(json.loads(body))
    except ValueError as exc:
        if isinstance(exc, InvalidEventJson):
            raise Problem(400 if exc.not_an_event else 422, exc.message, exc.fields) from None
        problem = "a JSON object with envelope.event_type is required"
        raise Problem(
            400, problem, [{"field": "envelope.event_type", "problem": problem}]
        ) from None
    issues = validate_event(event)
    if issues:
        fields = [{"field": i.path, "problem": i.message} for i in issues]
        raise Problem(422, "the event is not valid", fields)
    return event


def _publish_once(gateway: Gateway, party: str, event: Event) -> tuple[Receipt, bool]:
    """Publish ``event`` unless its id was accepted before; (receipt, was it a replay)."""
    event_id = str(event.envelope.event_id)
    fingerprint = receipts.digest(event)
    with gateway.lock_for(event_id):
        with gateway.engine.connect() as conn:
            known = receipts.find(conn, event_id)
        if known is not None:
            owner, digest, receipt = known
            if owner != party or digest != fingerprint:
                raise Problem(409, "this event id was already used for another event")
            metrics.record_connector_batch(METRICS_NAME, party, 1, 0)
            return receipt, True
        try:
            receipt = gateway.publisher.publish(party, event)
        except PublishError:
            log.warning("not published", party=party, event_id=event_id)
            metrics.record_connector_fault(METRICS_NAME, "broker")
            raise Problem(503, "the bus did not accept the event; nothing was published") from None
        with gateway.engine.begin() as conn:
            receipts.save(conn, party, fingerprint, receipt, gateway.now())
    metrics.record_connector_batch(METRICS_NAME, party, 1, 1)
    log.info("accepted", party=party, event_id=event_id, offset=receipt.offset)
    return receipt, False
