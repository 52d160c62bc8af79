"""End-to-end throughput and latency of the bus on a throw-away local stack.

    .venv/bin/python bench/e2e.py                 # defaults: 10,000 results, 3 departments
    .venv/bin/python bench/e2e.py --events 20000 --departments 4

Throughput: approval results published → routed → stored and auto-claimed by the department
services → claims routed to the approval bureau's inbox; the clock runs from the first publish
until the last claim is in that inbox. Beside it, in the same run and on the same broker: raw
confluent-kafka produce + consume of the same number of messages of the same size.

Latency: results published at a fixed rate (default 500/s); per result, the time from its
``occurred_at`` (set when published) to ``received_at`` in the department's store.

The router and each department service run as their own processes (``sgbus router run``,
``sgbus department run --auto-claim``), as in production.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from confluent_kafka import Consumer, Producer
from sqlalchemy import select

from sgbus.bus.catalogue import example_catalogue
from sgbus.bus.kafka_clients import make_admin
from sgbus.bus.parties import inbox_topic
from sgbus.bus.reading import read_to_end
from sgbus.bus.settings import Settings
from sgbus.bus.store import make_engine
from sgbus.bus.store.tables import inbox_items
from sgbus.bus.topics import apply, desired_topics
from sgbus.cli.bus import all_parties
from sgbus.demo.synthetic import approval_result
from sgbus.producers.publisher import Publisher
from sgbus.stack import LocalStack
from sgbus.stack.testing import throwaway_stack_config

CATALOGUE = example_catalogue()
APPROVAL = "weihai-approval"


def single_supervisor_matters(count: int) -> dict[str, str]:
    """``count`` departments, each with one matter that only it supervises."""
    chosen: dict[str, str] = {}
    for matter in CATALOGUE.matters:
        sup = CATALOGUE.supervisors_of(matter.code, "371000")
        if len(sup) == 1 and sup[0].id not in chosen and not matter.per_region:
            chosen[sup[0].id] = matter.code
        if len(chosen) == count:
            break
    return chosen


@contextmanager
def services(env: dict[str, str], parties: list[str], tmp: Path) -> Iterator[None]:
    sgbus = str(Path(sys.executable).with_name("sgbus"))
    procs = [
        subprocess.Popen(
            [sgbus, "router", "run", "--instance", "bench"],
            env=env,
            stdout=(tmp / "router.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
    ]
    for p in parties:
        procs.append(
            subprocess.Popen(
                [
                    sgbus,
                    "department",
                    "run",
                    "--party",
                    p,
                    "--auto-claim",
                    "--instance-id",
                    f"bench-{p}",
                    "--db",
                    f"sqlite:///{tmp / (p + '.db')}",
                ],
                env=env,
                stdout=(tmp / f"{p}.log").open("wb"),
                stderr=subprocess.STDOUT,
            )
        )
    try:
        yield
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)


def wait_count(settings: Settings, topic: str, want: int, timeout: float) -> float:
    """Seconds until ``topic`` holds ``want`` committed records of ours (polling its end)."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if sum(1 for _ in read_to_end(settings, [topic])) >= want:
            return time.monotonic()
        time.sleep(0.2)
    raise TimeoutError(f"{topic} did not reach {want} records")


def events(n: int, matters: dict[str, str], serial0: int, at: dt.datetime) -> list:  # type: ignore[type-arg]
    rng = random.Random(serial0)
    codes = list(matters.values())
    return [
        approval_result(
            CATALOGUE.matter(codes[i % len(codes)]),
            serial0 + i,
            sender=APPROVAL,
            region="371000",
            decided_at=at,
            rng=rng,
        )
        for i in range(n)
    ]


def throughput(settings: Settings, n: int, matters: dict[str, str]) -> tuple[float, int]:
    batch = events(n, matters, 1_000_000, dt.datetime.now(dt.UTC))
    size = len(Publisher(APPROVAL, settings)._serde.encode(batch[0], "x"))
    start = time.monotonic()
    with Publisher(APPROVAL, settings) as pub:
        for i in range(0, n, 1000):
            pub.publish_many(batch[i : i + 1000])
    end = wait_count(settings, inbox_topic(APPROVAL), n, timeout=900)
    return n / (end - start), size


def raw_rate(settings: Settings, n: int, size: int) -> float:
    topic = f"bench-raw-{uuid.uuid4().hex[:6]}"
    producer = Producer(
        {
            "bootstrap.servers": settings.bootstrap_servers(),
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 5,
        }
    )
    consumer = Consumer(
        {
            "bootstrap.servers": settings.bootstrap_servers(),
            "group.id": topic,
            "auto.offset.reset": "earliest",
        }
    )
    payload = os.urandom(size)
    start = time.monotonic()
    for i in range(n):
        while True:
            try:
                producer.produce(topic, key=str(i).encode(), value=payload)
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(60)
    consumer.subscribe([topic])
    got = 0
    while got < n:
        got += sum(1 for m in consumer.consume(1000, 1.0) if m.error() is None)
    consumer.close()
    return n / (time.monotonic() - start)


def latency(
    settings: Settings, rate: float, seconds: float, matters: dict[str, str], tmp: Path
) -> list[float]:
    """Publish ``rate`` results per second in small batches stamped at send time."""
    per_tick, n = 5, int(rate * seconds)
    plan = events(n, matters, 2_000_000, dt.datetime.now(dt.UTC))
    with Publisher(APPROVAL, settings) as pub:
        t0 = time.monotonic()
        for i in range(0, n, per_tick):
            ahead = t0 + i / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
            now = dt.datetime.now(dt.UTC)
            pub.publish_many(
                [
                    e.model_copy(
                        update={"envelope": e.envelope.model_copy(update={"occurred_at": now})}
                    )
                    for e in plan[i : i + per_tick]
                ]
            )
    time.sleep(5)
    ids = {str(e.envelope.event_id) for e in plan}
    delays: list[float] = []
    for party in matters:
        engine = make_engine(f"sqlite:///{tmp / (party + '.db')}")
        with engine.connect() as conn:
            rows = conn.execute(
                select(inbox_items.c.event_id, inbox_items.c.occurred_at, inbox_items.c.received_at)
            )
            delays += [
                (r.received_at - r.occurred_at).total_seconds() for r in rows if r.event_id in ids
            ]
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--departments", type=int, default=3)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--latency-seconds", type=float, default=20.0)
    args = parser.parse_args()
    matters = single_supervisor_matters(args.departments)
    with tempfile.TemporaryDirectory(prefix="sgbus-e2e-") as tmpdir:
        tmp = Path(tmpdir)
        stack = LocalStack(throwaway_stack_config(Settings().home.expanduser(), tmp / "stack"))
        info = stack.up()
        try:
            settings = Settings(bootstrap=info.bootstrap, schema_registry=info.schema_registry)
            apply(make_admin(settings), desired_topics(all_parties(CATALOGUE), settings))
            env = {
                **os.environ,
                "SGBUS_BOOTSTRAP": info.bootstrap,
                "SGBUS_SCHEMA_REGISTRY": info.schema_registry or "",
            }
            with services(env, list(matters), tmp):
                time.sleep(8)  # let the services join their groups
                e2e, size = throughput(settings, args.events, matters)
                raw = raw_rate(settings, args.events, size)
                delays = latency(settings, args.rate, args.latency_seconds, matters, tmp)
        finally:
            stack.down()
    q = statistics.quantiles(delays, n=100)
    print(f"departments: {', '.join(matters)}; event size {size} bytes")
    print(f"end to end: {e2e:,.0f} approval results/s ({args.events:,} results, claims back)")
    print(f"raw produce+consume: {raw:,.0f} messages/s; ratio {e2e / raw:.3f}")
    print(
        f"latency at {args.rate:.0f}/s over {len(delays):,} results: "
        f"p50 {q[49] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
