"""The built-in webhook sink: a party's inbox POSTed as signed CloudEvents."""

from __future__ import annotations

from sgbus.connectors.registry import ConnectorSpec
from sgbus.connectors.webhook.config import WebhookConfig
from sgbus.connectors.webhook.sink import WebhookSink

CONNECTOR = ConnectorSpec(
    name="webhook",
    kind="sink",
    config_model=WebhookConfig,
    factory=WebhookSink,
    summary="POST each inbox item as a CloudEvent signed per Standard Webhooks",
)
