"""The webhook sink: each inbox item POSTed to the department's endpoint as a signed
CloudEvent.

* ``2xx`` — delivered;
* ``408``, ``429``, ``5xx``, no answer — the receiver is away: the batch is offered again
  after a backoff (items it already took in this batch are not sent twice);
* any other ``4xx`` — the receiver refuses that item for good: it is dead-lettered with the
  status and the stream goes on (``sgbus connector replay`` sends it again once fixed).

Every request carries the event id as ``webhook-id`` (and the CloudEvent's ``id``): a receiver
that stores by it is exactly-once across redeliveries.
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
        self._key = signing.secret_key(config.secret.get_secret_value())
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
            **signing.headers(self._key, record.event_id, body),
        }
        try:
            answer = self._client.post(str(self.config.url), content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise TargetUnavailable(f"webhook: {type(exc).__name__}") from None
        status = answer.status_code
        if status < 300:
            self._taken.add(record.event_id)
        elif status >= 500 or status in _RETRY_STATUS:
            raise TargetUnavailable(f"webhook answered HTTP {status}")
        else:
            self.context.errant.report_inbox(record, f"webhook answered HTTP {status}")
