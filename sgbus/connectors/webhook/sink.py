"""The webhook sink: each inbox item POSTed to the department's endpoint as a signed
CloudEvent.

* ``2xx`` — delivered;
* no answer (refused, timed out) — the receiver is away: the batch is offered again after
  a backoff with jitter (items it already took in this batch are not sent twice), for as
  long as the outage lasts;
* ``408``, ``425``, ``429``, ``5xx`` — the same, but after ``max_attempts`` such answers for
  one item (when set) the item is dead-lettered and the stream goes on;
* any other ``4xx`` — the receiver refuses that item for good: it is dead-lettered with the
  status and the stream goes on (``sgbus connector replay`` sends it again once fixed).

Every request carries the event id as ``webhook-id`` (and the CloudEvent's ``id``): a receiver
that stores by it is exactly-once across redeliveries. Items go one after the other in inbox
order, so the items of one case (one partition) arrive in the order they were routed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from sgbus.connectors.api import CheckFailed, ConnectorContext, InboxRecord, Sink, TargetUnavailable
from sgbus.connectors.webhook import cloudevents, signing
from sgbus.connectors.webhook.config import WebhookConfig

_RETRY_STATUS = frozenset({408, 425, 429})


class WebhookSink(Sink[WebhookConfig]):
    """POSTs inbox items to ``config.url``."""

    #: The HTTP transport (None: the network); tests give an in-process one.
    transport: httpx.BaseTransport | None = None

    def __init__(self, config: WebhookConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        secrets = [config.secret, *config.previous_secrets]
        self._keys = [signing.secret_key(s.get_secret_value()) for s in secrets]
        # Error answers per item, until it is taken or dead-lettered.
        self._attempts: dict[str, int] = {}
        self._client: httpx.Client | None = None
        # Items the receiver took since the last flush: a batch offered again after a fault
        # is not sent twice to a receiver that took part of it.
        self._taken: set[str] = set()

    def open(self) -> None:
        """Open a keep-alive HTTP client."""
        verify: Any = str(self.config.ca_file) if self.config.ca_file else True
        headers = {"User-Agent": "sgbus-webhook/1"}
        if self.config.bearer_token is not None:
            headers["Authorization"] = f"Bearer {self.config.bearer_token.get_secret_value()}"
        self._client = httpx.Client(
            timeout=self.config.timeout_s, verify=verify, headers=headers, transport=self.transport
        )

    def check(self) -> None:
        """The receiver answers HTTP at all (any status; a HEAD may well be refused)."""
        self.open()
        assert self._client is not None
        try:
            answer = self._client.head(str(self.config.url))
        except httpx.HTTPError as exc:
            raise CheckFailed(f"{self.config.url} does not answer: {type(exc).__name__}") from None
        finally:
            self.close()
        if answer.status_code >= 500:
            raise CheckFailed(f"{self.config.url} answers HTTP {answer.status_code}")

    def put(self, records: Sequence[InboxRecord]) -> None:
        """POST each record in order."""
        for record in records:
            if record.event_id not in self._taken:
                self._post(record)

    def flush(self) -> None:
        """Each POST was answered before ``put`` returned: nothing is buffered."""
        self._taken.clear()
        self._attempts.clear()

    def close(self) -> None:
        """Close the HTTP client."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def _post(self, record: InboxRecord) -> None:
        assert self._client is not None, "open() first"
        body = cloudevents.body_of(record)
        headers = {
            "Content-Type": cloudevents.CONTENT_TYPE,
            **signing.headers(self._keys, record.event_id, body),
        }
        try:
            answer = self._client.post(str(self.config.url), content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise TargetUnavailable(f"webhook: {type(exc).__name__}") from None
        status = answer.status_code
        if status < 300:
            self._taken.add(record.event_id)
            self._attempts.pop(record.event_id, None)
        elif status >= 500 or status in _RETRY_STATUS:
            self._retry_or_give_up(record, status)
        else:
            self.context.errant.report_inbox(record, f"webhook answered HTTP {status}")

    def _retry_or_give_up(self, record: InboxRecord, status: int) -> None:
        attempts = self._attempts.get(record.event_id, 0) + 1
        limit = self.config.max_attempts
        if limit and attempts >= limit:
            self._attempts.pop(record.event_id, None)
            reason = f"webhook answered HTTP {status} {attempts} times"
            self.context.errant.report_inbox(record, reason)
            return
        self._attempts[record.event_id] = attempts
        raise TargetUnavailable(f"webhook answered HTTP {status}")
