"""Every Prometheus metric of sgbus, defined once, and the helpers services call to update them.

Services import this module, call :func:`sgbus.monitoring.endpoint.serve_metrics` at start-up,
and then only the ``record_*`` / ``observe_*`` / ``mark_*`` helpers below; they clean label
values (see :mod:`sgbus.monitoring.labels`), so a case key, a person or free text can never
become a label. Labels are limited to: service, party, flow, event_type, reason, group, topic,
partition, city.

The ``city`` label (:mod:`sgbus.monitoring.cities`) says which entry of the policy map an
event's region resolved to — the entry's region code (``371000``), ``default`` or ``other`` —
on a bus that runs under a policy map, and is empty (absent, to Prometheus) on a bus with one
policy. The router labels its traffic with it, the watchdog its obligations; sum over it for
the province.

Who updates what, and when
--------------------------

================================================  ========================================
metric (helper)                                   who, at what point
================================================  ========================================
``sgbus_events_in_total``                         every consumer, once per record it has
(:func:`record_event_in`)                         decoded and accepted, *after* the
                                                  transaction / commit that consumed it.
                                                  ``party`` is the owner of the topic read:
                                                  router → the sending party (outbox owner);
                                                  department service → its own party;
                                                  watchdog → the event's sender on sg.audit.
                                                  ``city``: the router's only (the event's
                                                  region), else empty.
``sgbus_events_out_total``                        every producer side, once per event
(:func:`record_event_out`)                        written, after the commit. Router → one
                                                  per recipient inbox copy (``party`` =
                                                  recipient; the sg.audit copy is not
                                                  counted); department service → claims and
                                                  answers on its outbox (``party`` = itself);
                                                  watchdog → outcomes (``party`` =
                                                  ``watchdog``); relay → each relayed row.
                                                  ``city``: the router's only, else empty.
``sgbus_dead_letters_total``                      router (and any service that dead-letters),
(:func:`record_dead_letter`)                      once per record written to sg.deadletter,
                                                  after the commit; ``reason`` is the
                                                  ``DeadLetterReason`` code in label form
                                                  (``validation-failed``).
``sgbus_inbox_rejected_total``                    department service, once per inbox record
(:func:`record_inbox_rejected`)                   it could not decode and set aside (in its
                                                  store's ``rejected_items``), after the
                                                  commit; ``party`` = its own party.
``sgbus_transaction_aborts_total``                router / relay, each time a Kafka
(:func:`record_transaction_abort`)                transaction is aborted (before the retry).
``sgbus_heartbeat_timestamp_seconds``             every long-running loop, once per
(:func:`mark_heartbeat`)                          iteration that completed (also when it
                                                  polled nothing): it proves the loop runs.
``sgbus_delivery_delay_seconds``                  department service, when it stores an
(:func:`observe_delivery_delay`)                  inbox item: received_at − the event's
                                                  publish time (envelope ``occurred_at``).
``sgbus_answer_delay_working_seconds``            watchdog, when an answer reaches an
(:func:`observe_answer_delay`)                    obligation (on time or late): working
                                                  hours from the request (push) to the
                                                  answer (claim). ``party`` = debtor;
                                                  ``city`` = the obligation's region's.
``sgbus_obligations_opened_total``                watchdog, after committing ``apply_batch``:
(:func:`record_obligations_opened`)               one per new obligation (the first one of a
                                                  party and flow also creates its discharged,
                                                  outcome and answer-delay series at zero).
                                                  Every obligation metric has ``city``.
``sgbus_obligations_discharged_total``            watchdog, after committing ``apply_batch``:
(:func:`record_discharged`)                       one per obligation answered on time.
``sgbus_obligation_outcomes_total``               watchdog, after committing the outcomes of
(:func:`record_outcomes`)                         ``apply_batch`` / ``sweep``:
                                                  reminders, auto-claims, deemed consents,
                                                  breaches, escalations (``event_type`` =
                                                  the outcome kind).
``sgbus_obligations_open``,                       watchdog, after each sweep, from SQL:
``sgbus_obligations_overdue``,                    :func:`sgbus.monitoring.obligation_gauges.
``sgbus_obligations_provisional``                 refresh_obligation_gauges`.
``sgbus_consumer_lag_records``                    :class:`sgbus.monitoring.lag.
                                                  ConsumerLagCollector`, sampled in the
                                                  background by any service that owns a
                                                  consumer group (router, department,
                                                  watchdog).
``sgbus_connector_records_in_total``,             every connector (and the gateway, as the
``sgbus_connector_records_out_total``             ``gateway`` connector), after a batch is
(:func:`record_connector_batch`)                  committed: records taken, and records the
                                                  target (sink) or the broker (source) stored;
                                                  also its last-success time.
``sgbus_connector_errors_total``                  a connector, per record dead-lettered (by
(:func:`record_connector_error`,                  reason, after the broker acknowledged it;
:func:`record_connector_refused`,                 also counted in ``sgbus_dead_letters_total``),
:func:`record_connector_fault`)                   per record refused to its sender (gateway),
                                                  and per transient fault (``transient-<source>``).
``sgbus_connector_lag_records``                   a connector, each step: inbox lag (sink) or
(:func:`set_connector_lag`)                       the source's backlog.
``sgbus_build_info``                              :func:`serve_metrics`, once at start-up.
================================================  ========================================

Units: seconds. Obligation delays count *working* seconds (time that falls on working days of
the Asia/Shanghai calendar, 24 hours per working day), because deadlines are set in working
days and a weekend would otherwise dominate every number; :func:`observe_answer_delay` takes
working hours, as the calendar's reports speak of them, and converts.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, Info, disable_created_metrics

from sgbus.bus.obligations.model import Opening, Outcome, OutcomeKind
from sgbus.monitoring import labels
from sgbus.monitoring.cities import NO_CITY, city
from sgbus.monitoring.lag import ConsumerLagCollector

# ``*_created`` series double the series count and no query here uses them.
disable_created_metrics()  # type: ignore[no-untyped-call]  # unannotated upstream

# -- traffic ---------------------------------------------------------------------------

EVENTS_IN = Counter(
    "sgbus_events_in_total",
    "Events a service consumed and accepted, by the party whose topic it read.",
    ["service", "party", "event_type", "city"],
)
EVENTS_OUT = Counter(
    "sgbus_events_out_total",
    "Events a service wrote, by the party whose topic it wrote.",
    ["service", "party", "event_type", "city"],
)
DEAD_LETTERS = Counter(
    "sgbus_dead_letters_total",
    "Records sent to the dead-letter topic, by reason.",
    ["service", "reason"],
)
INBOX_REJECTED = Counter(
    "sgbus_inbox_rejected_total",
    "Inbox records a department service could not decode and set aside.",
    ["party"],
)
TRANSACTION_ABORTS = Counter(
    "sgbus_transaction_aborts_total",
    "Kafka transactions aborted (each is retried).",
    ["service"],
)
HEARTBEAT = Gauge(
    "sgbus_heartbeat_timestamp_seconds",
    "Unix time at which the service last completed an iteration of its main loop.",
    ["service"],
)
SERVICE_HEALTHY = Gauge(
    "sgbus_service_healthy",
    "1 while the service works normally, 0 while it waits out a transient fault.",
    ["service"],
)
TRANSIENT_FAULTS = Counter(
    "sgbus_transient_faults_total",
    "Transient faults a service waited out (one per outage, not per retry), by what failed.",
    ["service", "source"],
)

# -- connectors --------------------------------------------------------------------------

CONNECTOR_RECORDS_IN = Counter(
    "sgbus_connector_records_in_total",
    "Records a connector took in: inbox items (sink) or source records (source).",
    ["connector", "party"],
)
CONNECTOR_RECORDS_OUT = Counter(
    "sgbus_connector_records_out_total",
    "Records a connector handed on and saw stored: by the target (sink) or the broker (source).",
    ["connector", "party"],
)
CONNECTOR_ERRORS = Counter(
    "sgbus_connector_errors_total",
    "Connector errors: dead-lettered records by reason, transient faults as transient-<source>.",
    ["connector", "reason"],
)
CONNECTOR_LAG = Gauge(
    "sgbus_connector_lag_records",
    "Records waiting for the connector: inbox lag (sink) or the source's backlog (source).",
    ["connector"],
)
CONNECTOR_LAST_SUCCESS = Gauge(
    "sgbus_connector_last_success_timestamp_seconds",
    "Unix time of the connector's last batch stored by its target or the broker.",
    ["connector"],
)

# -- delays ------------------------------------------------------------------------------

DELIVERY_DELAY = Histogram(
    "sgbus_delivery_delay_seconds",
    "Seconds from an event's publication to its storage in the recipient's inbox.",
    ["party"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)
# Working time: seconds that fall on working days (Asia/Shanghai), 24 hours per working day,
# so a push on Friday 16:00 claimed on Monday 09:00 took 17 working hours. Deadlines run from
# 1 to 7 working days; the buckets are in hours × 3600 to stay in the base unit.
_H = 3600
ANSWER_DELAY = Histogram(
    "sgbus_answer_delay_working_seconds",
    "Working time from a request (e.g. a push) to its answer (e.g. the claim).",
    ["party", "flow", "city"],
    buckets=tuple(h * _H for h in (1, 4, 8, 12, 24, 36, 48, 60, 72, 96, 120, 168, 240)),
)

# -- obligations -------------------------------------------------------------------------

OBLIGATIONS_OPENED = Counter(
    "sgbus_obligations_opened_total",
    "Obligations opened, by debtor party and flow.",
    ["party", "flow", "city"],
)
OBLIGATIONS_DISCHARGED = Counter(
    "sgbus_obligations_discharged_total",
    "Obligations answered on time, by debtor party and flow.",
    ["party", "flow", "city"],
)
OBLIGATION_OUTCOMES = Counter(
    "sgbus_obligation_outcomes_total",
    "Watchdog outcomes (reminder, auto-claim, deemed consent, breach, escalation).",
    ["party", "flow", "event_type", "city"],
)
OBLIGATIONS_OPEN = Gauge(
    "sgbus_obligations_open",
    "Obligations not yet answered and not yet due, by debtor party and flow.",
    ["party", "flow", "city"],
)
OBLIGATIONS_OVERDUE = Gauge(
    "sgbus_obligations_overdue",
    "Obligations past their deadline and still unanswered, by debtor party and flow.",
    ["party", "flow", "city"],
)
OBLIGATIONS_PROVISIONAL = Gauge(
    "sgbus_obligations_provisional",
    "Open obligations whose deadline rests on a provisional (non-official) calendar year.",
    ["party", "flow", "city"],
)

# -- consumer lag ------------------------------------------------------------------------

#: ``sgbus_consumer_lag_records{group, topic, partition}``, served from background samples.
CONSUMER_LAG = ConsumerLagCollector()
REGISTRY.register(CONSUMER_LAG)
LAG_SAMPLE_ERRORS = Counter(
    "sgbus_consumer_lag_sample_errors_total",
    "Failed attempts to read a consumer group's offsets for the lag metric.",
    ["group"],
)

BUILD_INFO = Info("sgbus_build", "sgbus version running in this process.")

#: Outcome kinds that close an obligation (every outcome but the reminder).
CLOSING_OUTCOMES = frozenset({"AutoClaim", "DeemedConsent", "ObligationBreach", "Escalation"})


def initialise_series(service: str) -> None:
    """Create the zero-valued series of ``service``'s error counters at start-up.

    ``increase()`` cannot see the first increment of a series that did not exist before it,
    so the dead-letter alert would miss the first dead letter after every restart. The
    watchdog's outcome events are few kinds, created here for the same reason.
    """
    svc = labels.service(service)
    for reason in sorted(labels.REASONS):
        DEAD_LETTERS.labels(svc, reason)
    TRANSACTION_ABORTS.labels(svc)
    for source in sorted(labels.FAULT_SOURCES):
        TRANSIENT_FAULTS.labels(svc, source)
    SERVICE_HEALTHY.labels(svc).set(1)
    if svc == "watchdog":
        for kind in OutcomeKind:
            EVENTS_OUT.labels(svc, labels.party("watchdog"), kind.value, NO_CITY)


def record_event_in(
    service: str, party: str, event_type: str, n: int = 1, region: str | None = None
) -> None:
    """Count ``n`` accepted events read from ``party``'s topic (of ``region``'s city, if
    given)."""
    EVENTS_IN.labels(
        labels.service(service), labels.party(party), labels.event_type(event_type), city(region)
    ).inc(n)


def record_event_out(
    service: str, party: str, event_type: str, n: int = 1, region: str | None = None
) -> None:
    """Count ``n`` events written to ``party``'s topic (of ``region``'s city, if given)."""
    EVENTS_OUT.labels(
        labels.service(service), labels.party(party), labels.event_type(event_type), city(region)
    ).inc(n)


def record_dead_letter(service: str, reason: str) -> None:
    """Count one record sent to the dead-letter topic."""
    DEAD_LETTERS.labels(labels.service(service), labels.reason(reason)).inc()


def record_inbox_rejected(party: str, n: int = 1) -> None:
    """Count ``n`` undecodable records set aside from ``party``'s inbox."""
    INBOX_REJECTED.labels(labels.party(party)).inc(n)


def record_transaction_abort(service: str) -> None:
    """Count one aborted Kafka transaction."""
    TRANSACTION_ABORTS.labels(labels.service(service)).inc()


def mark_heartbeat(service: str, now: float | None = None) -> None:
    """Record that ``service`` completed a loop iteration at ``now`` (default: the clock)."""
    HEARTBEAT.labels(labels.service(service)).set(time.time() if now is None else now)


def set_healthy(service: str, healthy: bool) -> None:
    """Publish whether ``service`` works normally (1) or waits out a transient fault (0)."""
    SERVICE_HEALTHY.labels(labels.service(service)).set(1 if healthy else 0)


def record_transient_fault(service: str, source: str) -> None:
    """Count one outage of ``source`` (registry, broker, database…) seen by ``service``."""
    TRANSIENT_FAULTS.labels(labels.service(service), labels.fault_source(source)).inc()


def observe_delivery_delay(party: str, seconds: float) -> None:
    """Observe publish → inbox delay for an item stored in ``party``'s inbox.

    Negative values (clock skew between hosts) are recorded as zero rather than dropped, so
    the count still matches the number of items.
    """
    DELIVERY_DELAY.labels(labels.party(party)).observe(max(0.0, seconds))


def observe_answer_delay(
    party: str, flow: str, working_hours: float, region: str | None = None
) -> None:
    """Observe request → answer delay, in working hours, of ``party``'s obligation in ``flow``
    (of ``region``'s city).

    The caller computes the working hours with the working-day calendar; this module does
    no calendar arithmetic so that the metric and the status report use one definition.
    """
    seconds = max(0.0, working_hours) * _H
    ANSWER_DELAY.labels(labels.party(party), labels.flow(flow), city(region)).observe(seconds)


def record_obligations_opened(openings: Iterable[Opening]) -> None:
    """Count newly opened obligations, and create at zero the series of what may follow
    for the same party and flow (answers, outcomes).

    Outcomes often come in bursts (every penalty pushed in one batch expires in one sweep);
    a series born at its burst's value would never show in ``increase()`` or ``rate()``.
    """
    for o in openings:
        key = (labels.party(o.debtor), labels.flow(o.flow), city(o.region))
        if key not in _FOLLOWED:
            _initialise_followers(*key)
        OBLIGATIONS_OPENED.labels(*key).inc()


#: (party, flow, city) whose answer and outcome series exist (creating them twice is harmless).
_FOLLOWED: set[tuple[str, str, str]] = set()


def _initialise_followers(party: str, flow: str, city_label: str) -> None:
    _FOLLOWED.add((party, flow, city_label))
    OBLIGATIONS_DISCHARGED.labels(party, flow, city_label)
    ANSWER_DELAY.labels(party, flow, city_label)
    for kind in OutcomeKind:
        OBLIGATION_OUTCOMES.labels(party, flow, kind.value, city_label)


def record_discharged(party: str, flow: str, region: str | None = None) -> None:
    """Count one obligation of ``party`` in ``flow`` (of ``region``'s city) answered on time."""
    OBLIGATIONS_DISCHARGED.labels(labels.party(party), labels.flow(flow), city(region)).inc()


def record_outcomes(outcomes: Iterable[Outcome]) -> None:
    """Count the watchdog's outcomes, exactly as the ledger returned them."""
    for out in outcomes:
        o = out.obligation.opening
        OBLIGATION_OUTCOMES.labels(
            labels.party(o.debtor),
            labels.flow(o.flow),
            labels.event_type(out.kind.value),
            city(o.region),
        ).inc()


def initialise_connector_series(connector: str, party: str) -> None:
    """Create a connector's series at zero, so that the first error is seen by ``increase()``."""
    name = labels.connector(connector)
    CONNECTOR_RECORDS_IN.labels(name, labels.party(party))
    CONNECTOR_RECORDS_OUT.labels(name, labels.party(party))
    for reason in sorted(labels.REASONS):
        CONNECTOR_ERRORS.labels(name, reason)
    for source in sorted(labels.FAULT_SOURCES):
        CONNECTOR_ERRORS.labels(name, f"transient-{source}")
    CONNECTOR_LAG.labels(name).set(0)
    CONNECTOR_LAST_SUCCESS.labels(name).set(0)


def record_connector_batch(
    connector: str, party: str, taken: int, stored: int, now: float | None = None
) -> None:
    """Count a batch the connector finished: ``taken`` records in, ``stored`` handed on."""
    name = labels.connector(connector)
    CONNECTOR_RECORDS_IN.labels(name, labels.party(party)).inc(taken)
    CONNECTOR_RECORDS_OUT.labels(name, labels.party(party)).inc(stored)
    CONNECTOR_LAST_SUCCESS.labels(name).set(time.time() if now is None else now)


def record_connector_error(connector: str, reason: str) -> None:
    """Count one dead-lettered record (``reason`` = its DeadLetterReason code); also counted in
    ``sgbus_dead_letters_total`` under the ``connector`` service, so the dead-letter alert sees
    it."""
    CONNECTOR_ERRORS.labels(labels.connector(connector), labels.reason(reason)).inc()
    record_dead_letter("connector", reason)


def record_connector_refused(connector: str, reason: str) -> None:
    """Count one record refused straight back to its sender (the gateway's ``4xx``), not
    dead-lettered."""
    CONNECTOR_ERRORS.labels(labels.connector(connector), labels.reason(reason)).inc()


def record_connector_fault(connector: str, source: str) -> None:
    """Count one transient fault the connector waited out."""
    label = f"transient-{labels.fault_source(source)}"
    CONNECTOR_ERRORS.labels(labels.connector(connector), label).inc()


def set_connector_lag(connector: str, records: int) -> None:
    """Publish how many records wait for the connector."""
    CONNECTOR_LAG.labels(labels.connector(connector)).set(records)
