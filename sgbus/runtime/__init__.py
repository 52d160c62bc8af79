"""The service runtime every consumer of the bus runs on.

* :mod:`~sgbus.runtime.faults` — transient vs permanent failures, one classification;
* :mod:`~sgbus.runtime.loop` — :class:`ServiceLoop`: step until stopped, wait out transient
  faults with :mod:`~sgbus.runtime.backoff`, report :mod:`~sgbus.runtime.health`;
* :mod:`~sgbus.runtime.reader` — batches from a consumer, outage detection, rewinding;
* :mod:`~sgbus.runtime.guard` — librdkafka calls that ignore their own timeout;
* :mod:`~sgbus.runtime.transactions` — consume → produce batches in Kafka transactions;
* :mod:`~sgbus.runtime.stop` — SIGTERM/SIGINT as one stop event;
* :mod:`~sgbus.runtime.kafka_logs` — librdkafka's log through JSON logging, rate-limited;
* :mod:`~sgbus.runtime.logging` — :func:`configure_logging`, the one JSON log setup of every
  service and command;
* :mod:`~sgbus.runtime.startup` — checks of party ids and store URLs before anything starts.

Import from the submodules: the package itself imports nothing, so the serde and the Kafka
client factories can use :mod:`~sgbus.runtime.faults` without import cycles.
"""
