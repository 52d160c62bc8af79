"""Metric helpers: bounded labels, counts and histograms land where the dashboard reads them."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from prometheus_client import REGISTRY

from sgbus.bus.obligations.model import Obligation, Opening, Outcome, OutcomeKind
from sgbus.bus.settings import Settings
from sgbus.monitoring import labels, metrics
from sgbus.monitoring.endpoint import serve_metrics
from tests import factories


def value(name: str, **lab: str) -> float:
    v = REGISTRY.get_sample_value(name, lab)
    return 0.0 if v is None else v


@pytest.mark.parametrize(
    ("fn", "good", "bad"),
    [
        (labels.party, "wh-market", "371000:鲁(2026)0001"),
        (labels.party, "watchdog", "Zhang San"),
        (labels.flow, "claim", "claim please"),
        (labels.event_type, "ApprovalResult", "approval result for 张三"),
        (labels.reason, "sender-not-owner", "sender 370102199001011234 is forged"),
        (labels.service, "router", "router-7"),
    ],
)
def test_label_values_outside_the_bounded_set_become_other(fn, good, bad) -> None:  # type: ignore[no-untyped-def]
    assert fn(good) == good
    assert fn(bad) == labels.OTHER


def test_every_dead_letter_reason_and_flow_is_a_label_value() -> None:
    from sgbus.bus.events import DeadLetterReason

    assert {labels.reason(r.value) for r in DeadLetterReason} == labels.REASONS
    assert labels.reason("VALIDATION_FAILED") == "validation-failed"  # the contract's code
    assert labels.reason("validation-failed") == "validation-failed"  # or its label form
    assert labels.reason_label(DeadLetterReason.SENDER_NOT_OWNER) == "sender-not-owner"
    assert len(labels.FLOW_IDS) == 15
    assert labels.event_type("AutoClaim") == "AutoClaim"
    assert labels.event_type("ApprovalResults") == labels.OTHER  # near misses too


ROUTER_IN = {"service": "router", "party": "wh-approval", "event_type": "ApprovalResult"}
ROUTER_IN |= {"city": ""}
ROUTER_OUT = ROUTER_IN | {"party": "other"}


def test_event_counters_use_cleaned_labels() -> None:
    before = value("sgbus_events_in_total", **ROUTER_IN)
    metrics.record_event_in("router", "wh-approval", "ApprovalResult", 3)
    metrics.record_event_out("router", "case 371000:001", "ApprovalResult")
    after = value("sgbus_events_in_total", **ROUTER_IN)
    assert after - before == 3
    assert value("sgbus_events_out_total", **ROUTER_OUT) >= 1


def test_dead_letters_by_reason() -> None:
    before = value("sgbus_dead_letters_total", service="router", reason="sender-not-owner")
    metrics.record_dead_letter("router", "SENDER_NOT_OWNER")
    metrics.record_dead_letter("router", "sender-not-owner")
    assert (
        value("sgbus_dead_letters_total", service="router", reason="sender-not-owner") == before + 2
    )


def test_delay_histograms_clamp_negative_values_to_zero() -> None:
    le = {"party": "wh-health", "le": "0.01"}
    b0 = value("sgbus_delivery_delay_seconds_bucket", **le)
    metrics.observe_delivery_delay("wh-health", -2.0)  # clock skew
    metrics.observe_delivery_delay("wh-health", 0.3)
    assert value("sgbus_delivery_delay_seconds_bucket", **le) == b0 + 1
    assert value("sgbus_delivery_delay_seconds_count", party="wh-health") >= 2

    lab = {"party": "wh-health", "flow": "claim", "city": ""}
    c0 = value("sgbus_answer_delay_working_seconds_count", **lab)
    s0 = value("sgbus_answer_delay_working_seconds_sum", **lab)
    b0 = value("sgbus_answer_delay_working_seconds_bucket", le="43200.0", **lab)  # 12 h
    metrics.observe_answer_delay("wh-health", "claim", 17.0)  # hours in, seconds stored
    assert value("sgbus_answer_delay_working_seconds_count", **lab) == c0 + 1
    assert value("sgbus_answer_delay_working_seconds_sum", **lab) == s0 + 17.0 * 3600
    assert value("sgbus_answer_delay_working_seconds_bucket", le="43200.0", **lab) == b0
    assert value("sgbus_answer_delay_working_seconds_bucket", le="86400.0", **lab) >= 1


def _opening(debtor: str, flow: str) -> Opening:
    t0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
    return factories.opening(flow=flow, debtor=debtor, case_key="371000:K1", opened_at=t0)


def test_outcomes_and_openings_are_counted_by_debtor_and_flow() -> None:
    o = _opening("wh-fire", "supervision-claim")
    ob = Obligation(o)
    lab = {"party": "wh-fire", "flow": "supervision-claim", "city": ""}
    b_open = value("sgbus_obligations_opened_total", **lab)
    b_auto = value("sgbus_obligation_outcomes_total", event_type="AutoClaim", **lab)
    metrics.record_obligations_opened([o, o])
    metrics.record_outcomes([Outcome("e1", OutcomeKind.AUTO_CLAIM, ob, o.due_at)])
    metrics.record_discharged("wh-fire", "supervision-claim")
    assert value("sgbus_obligations_opened_total", **lab) == b_open + 2
    assert value("sgbus_obligation_outcomes_total", event_type="AutoClaim", **lab) == b_auto + 1
    assert value("sgbus_obligations_discharged_total", **lab) >= 1
    assert {k.value for k in OutcomeKind} - {"ObligationReminder"} == metrics.CLOSING_OUTCOMES


def test_heartbeat_is_a_unix_timestamp() -> None:
    metrics.mark_heartbeat("watchdog", now=1_790_000_000.5)
    assert value("sgbus_heartbeat_timestamp_seconds", service="watchdog") == 1_790_000_000.5


def test_endpoint_disabled_by_port_zero_still_records_build_info() -> None:
    assert serve_metrics(Settings(metrics_port=0), "router") is None
    assert value("sgbus_build_info", version=__import__("sgbus").__version__, service="router") == 1
    for reason in labels.REASONS:  # present at zero, so increase() sees the first dead letter
        got = REGISTRY.get_sample_value(
            "sgbus_dead_letters_total", {"service": "router", "reason": reason}
        )
        assert got is not None


def test_endpoint_serves_the_metrics_and_reports_a_busy_port() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = serve_metrics(Settings(metrics_port=port), "watchdog")
    assert server is not None and server.port == port
    try:
        body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert "sgbus_build_info{" in body and "sgbus_consumer_lag_records" in body
        with pytest.raises(OSError, match=f"127.0.0.1:{port}.*SGBUS_METRICS_PORT"):
            serve_metrics(Settings(metrics_port=port), "router")
    finally:
        server.close()


def test_a_service_serves_its_metrics_with_its_group_lag_sampled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import functools
    import socket

    from sgbus.monitoring import lag
    from sgbus.monitoring.lag_sampler import serve_service_metrics

    # Short client timeouts: closing waits for the sample in flight.
    monkeypatch.setattr(
        lag, "AdminOffsetReader", functools.partial(lag.AdminOffsetReader, timeout=0.5)
    )

    assert serve_service_metrics(Settings(metrics_port=0), "router", "g") is None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # No broker answers there: the sampler counts a failed sample instead of lag.
    settings = Settings(metrics_port=port, bootstrap="127.0.0.1:9")
    monitoring = serve_service_metrics(settings, "router", "sgbus-router-test")
    assert monitoring is not None
    try:
        body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert 'sgbus_consumer_lag_sample_errors_total{group="sgbus-router-test"}' in body
    finally:
        monitoring.close()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
