"""Connectors: the ways a department's own system meets the bus without writing Kafka code.

A connector is a :class:`~sgbus.connectors.api.Sink` (a party's inbox items out to a target
system) or a :class:`~sgbus.connectors.api.Source` (events from a system into the party's
outbox), run by the connector runtime on the service runtime:

* :mod:`~sgbus.connectors.api` — what a connector implements, and the records it sees;
* :mod:`~sgbus.connectors.config` — the pydantic base of every connector's configuration,
  loaded from YAML with errors that name the file, line and field;
* :mod:`~sgbus.connectors.registry` — built-in connectors and those installed through the
  ``sgbus.connectors`` entry-point group;
* :mod:`~sgbus.connectors.sink_runner`, :mod:`~sgbus.connectors.source_runner` — the loops
  that make a connector correct: offsets and positions commit only after the target (or the
  broker) has the records, errant records are dead-lettered first;
* :mod:`~sgbus.connectors.errant` — the dead-letter reporter;
* :mod:`~sgbus.connectors.state` — the connector's own SQL state (source positions, errant
  records to replay);
* :mod:`~sgbus.connectors.webhook` — the built-in webhook sink;
* :mod:`~sgbus.connectors.testing` — the conformance suite every connector passes.
"""
