"""The connector conformance suite and its tools.

* :class:`~sgbus.connectors.testing.suite.SinkConformance` — the abstract tests a sink's test
  class subclasses;
* :class:`~sgbus.connectors.testing.receiver.WebhookReceiver` — a real, signature-checking
  webhook receiver;
* :mod:`~sgbus.connectors.testing.plugin` — the ``stack`` fixture for a connector package.
"""

from sgbus.connectors.testing.receiver import WebhookReceiver
from sgbus.connectors.testing.suite import SinkConformance, SinkTarget

__all__ = ["SinkConformance", "SinkTarget", "WebhookReceiver"]
