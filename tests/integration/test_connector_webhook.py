"""The webhook sink passes the connector conformance suite on the real secured stack."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sgbus.connectors.testing import SinkConformance, WebhookReceiver
from sgbus.connectors.webhook.signing import new_secret

pytestmark = pytest.mark.integration


class TestWebhookConformance(SinkConformance):
    connector = "webhook"

    @pytest.fixture
    def target(self) -> Iterator[WebhookReceiver]:
        receiver = WebhookReceiver(new_secret())
        try:
            yield receiver
        finally:
            receiver.close()

    def config(self, target: WebhookReceiver, party: str, workdir: Path) -> dict[str, Any]:
        return {"party": party, "url": target.url, "secret": target.secret, "batch_size": 20}

    def invalid_configs(
        self, target: WebhookReceiver, party: str, workdir: Path
    ) -> Iterator[tuple[dict[str, Any], str]]:
        yield from super().invalid_configs(target, party, workdir)
        good = self.config(target, party, workdir)
        yield {**good, "secret": "not-a-whsec-secret"}, "secret"
        yield {**good, "url": "ftp:/nowhere"}, "url"
        yield {k: v for k, v in good.items() if k != "url"}, "url"
