"""End-to-end throughput and latency of the bus on a throw-away local stack.

    .venv/bin/python bench/e2e.py                 # 3 rounds of 20,000 results, 3 departments
    .venv/bin/python bench/e2e.py --events 10000 --rounds 2 --departments 4

Throughput: approval results published → routed → stored and claimed on receipt by the department
services → claims routed to the approval bureau's inbox; the clock runs from the first publish
until the last claim is in that inbox, as seen by one long-lived consumer that counts the
inbox's committed records as they arrive. Beside it, in the same round and on the same broker:
raw confluent-kafka produce + consume of the same records (same keys, same encoded values),
with the bus's producer settings, to a topic with as many partitions as an outbox, consumed as
they are produced. Each round reports both; the summary gives medians and the ratio.

CPU: over every throughput round (end to end and raw), each process's user + system time
(``/proc/<pid>/stat``) — broker, registry, router, each department service, the benchmark
itself (publisher and counter) — divided by the round's results, in microseconds.

Latency: results published at a fixed rate (default 500/s) in groups of 5, each stamped
``occurred_at`` when sent; per result, the time to ``received_at`` in the department's store.

The router and each department service run as their own processes (``sgbus router run``,
``sgbus department run --claim-on-receipt``), as in production; a warm-up (default 20,000
results) makes sure all of them have joined their groups and every schema is registered.
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
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition
from confluent_kafka.admin import NewTopic
from sqlalchemy import select

from sgbus.bus import headers as h
from sgbus.bus.catalogue import example_catalogue
from sgbus.bus.headers import header_map
from sgbus.bus.kafka_clients import make_admin, make_producer
from sgbus.bus.parties import AUDIT_TOPIC, inbox_topic
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
# Serial numbers (and so event ids) of each phase never overlap: the departments drop an event
# id they have stored before, and its claim would never come back.
WARM_UP_SERIALS, LATENCY_SERIALS, ROUND_SERIALS = 1_000, 500_000_000, 1_000_000_000


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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process (with its threads) has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds per named process over a measured span (Linux ``/proc``)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.used: dict[str, float] = {}

    def __enter__(self) -> CpuMeter:
        self._start = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        return self

    def __exit__(self, *_exc: object) -> None:
        self.used = {n: cpu_seconds(pid) - self._start[n] for n, pid in self.pids.items()}

    def per_event(self, events: int) -> str:
        """Microseconds of CPU per event, by process, and their sum."""
        parts = [f"{n} {t / events * 1e6:,.0f}" for n, t in self.used.items()]
        total = sum(self.used.values()) / events * 1e6
        return f"CPU µs per result: {', '.join(parts)}; total {total:,.0f}"


@contextmanager
def services(env: dict[str, str], parties: list[str], tmp: Path) -> Iterator[dict[str, int]]:
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
                    "--claim-on-receipt",
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
        yield {"router": procs[0].pid} | {
            p: proc.pid for p, proc in zip(parties, procs[1:], strict=True)
        }
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)


class TopicCounter:
    """One long-lived consumer that counts the committed records of a topic as they arrive,
    from the topic's end when it was started, and notes when a wanted count was reached.

    It runs in its own thread (librdkafka releases the GIL while it waits), so the benchmark
    never re-reads a topic from the start to know how far the bus got.
    """

    def __init__(
        self,
        settings: Settings,
        topic: str,
        keep: Callable[[Message[bytes, bytes]], None] = lambda _m: None,
    ) -> None:
        self._keep = keep
        self._consumer = Consumer(
            {
                "bootstrap.servers": settings.bootstrap_servers(),
                "group.id": f"bench-counter-{uuid.uuid4().hex[:8]}",
                "enable.auto.commit": False,
                "isolation.level": "read_committed",
            }
        )
        meta = self._consumer.list_topics(topic, timeout=30).topics[topic]
        self._consumer.assign([self._end(topic, p) for p in meta.partitions])
        self.count = 0
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _end(self, topic: str, partition: int) -> TopicPartition:
        deadline = time.monotonic() + 30
        while True:  # a topic just created may not have its leader yet
            try:
                _low, high = self._consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), 10
                )
                return TopicPartition(topic, partition, high)
            except KafkaException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def _run(self) -> None:
        while not self._stop.is_set():
            msgs = [m for m in self._consumer.consume(10_000, 0.02) if m.error() is None]
            for m in msgs:
                self._keep(m)
            if got := len(msgs):
                with self._lock:
                    self.count += got
                    self._lock.notify_all()

    def wait(self, want: int, timeout: float) -> float:
        """The monotonic time at which ``want`` records had arrived (checked every 20 ms)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self.count < want:
                if not self._lock.wait(deadline - time.monotonic()):
                    raise TimeoutError(f"only {self.count} of {want} records arrived")
            return time.monotonic()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._consumer.close()


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


def throughput(settings: Settings, batch: list) -> float:  # type: ignore[type-arg]
    """Approval results per second, from the first publish to the last claim back."""
    counter = TopicCounter(settings, inbox_topic(APPROVAL))
    try:
        with Publisher(APPROVAL, settings) as pub:
            start = time.monotonic()
            for i in range(0, len(batch), 1000):
                pub.publish_many(batch[i : i + 1000])
        end = counter.wait(len(batch), timeout=900)
    finally:
        counter.close()
    return len(batch) / (end - start)


def raw_rate(settings: Settings, values: list[tuple[bytes, bytes]]) -> float:
    """Plain confluent-kafka: the same records (keys and encoded values) produced with the
    bus's producer settings to a new topic with as many partitions as an outbox, and consumed
    at the same time by one consumer; from the first produce to the last record consumed."""
    topic = f"bench-raw-{uuid.uuid4().hex[:6]}"
    admin = make_admin(settings)
    new = NewTopic(topic, num_partitions=settings.topic_partitions, replication_factor=1)
    admin.create_topics([new])[topic].result(30)
    counter = TopicCounter(settings, topic)
    producer = make_producer(settings)
    try:
        start = time.monotonic()
        for key, value in values:
            while True:
                try:
                    producer.produce(topic, key=key, value=value)
                    break
                except BufferError:
                    producer.poll(0.05)
        producer.flush(60)
        end = counter.wait(len(values), timeout=300)
    finally:
        counter.close()
    return len(values) / (end - start)


@dataclass
class Latencies:
    """Per result, in seconds: publish → department store, and publish → router's output."""

    total: list[float]
    to_router: list[float]


def latency(
    settings: Settings, rate: float, seconds: float, matters: dict[str, str], tmp: Path
) -> Latencies:
    """Publish ``rate`` results per second in small batches stamped at send time; the router's
    stage ends when its copy on sg.audit is read back (the copy's own timestamp is the
    outbox's append time, which the router keeps, so it cannot time the router)."""
    per_tick, n = 5, int(rate * seconds)
    plan = events(n, matters, LATENCY_SERIALS, dt.datetime.now(dt.UTC))
    sent: dict[str, dt.datetime] = {}
    routed: dict[str, float] = {}

    def note(m: Message[bytes, bytes]) -> None:
        event_id = header_map(m.headers()).get(h.EVENT_ID)
        if event_id:
            routed[event_id] = time.time()

    audit = TopicCounter(settings, AUDIT_TOPIC, keep=note)
    with Publisher(APPROVAL, settings) as pub:
        t0 = time.monotonic()
        for i in range(0, n, per_tick):
            ahead = t0 + i / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
            now = dt.datetime.now(dt.UTC)
            group = plan[i : i + per_tick]
            sent.update((str(e.envelope.event_id), now) for e in group)
            pub.publish_many(
                [
                    e.model_copy(
                        update={"envelope": e.envelope.model_copy(update={"occurred_at": now})}
                    )
                    for e in group
                ]
            )
    deadline = time.monotonic() + 60
    while True:
        delays = stored_delays(matters, tmp, set(sent))
        if len(delays) == len(sent) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    audit.close()
    to_router = [routed[i] - sent[i].timestamp() for i in sent if i in routed]
    return Latencies(list(delays.values()), to_router)


def stored_delays(matters: dict[str, str], tmp: Path, ids: set[str]) -> dict[str, float]:
    """``received_at - occurred_at`` of the items of ``ids`` stored so far."""
    delays: dict[str, float] = {}
    for party in matters:
        engine = make_engine(f"sqlite:///{tmp / (party + '.db')}")
        with engine.connect() as conn:
            rows = conn.execute(
                select(inbox_items.c.event_id, inbox_items.c.occurred_at, inbox_items.c.received_at)
            )
            delays.update(
                (r.event_id, (r.received_at - r.occurred_at).total_seconds())
                for r in rows
                if r.event_id in ids
            )
        engine.dispose()
    return delays


def warm_up(settings: Settings, matters: dict[str, str], count: int) -> None:
    """Results through the whole bus before the clock runs: every service has joined its group,
    every schema is registered, and the broker's JIT compiler has done most of its work (on a
    just-started broker it otherwise takes a large share of the CPU for a minute or more)."""
    batch = events(count, matters, WARM_UP_SERIALS, dt.datetime.now(dt.UTC))
    throughput(settings, batch)


def load() -> str:
    """The machine's 1-minute load average, for the record."""
    return f"{os.getloadavg()[0]:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds (median)")
    parser.add_argument("--departments", type=int, default=3)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--latency-seconds", type=float, default=20.0)
    parser.add_argument("--warm-up", type=int, default=20_000, help="results before measuring")
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
            with services(env, list(matters), tmp) as service_pids:
                warm_up(settings, matters, args.warm_up)
                pids = {"broker": stack.pid("kafka") or 0, "registry": stack.pid("registry") or 0}
                pids |= service_pids | {"bench": os.getpid()}
                serde = Publisher(APPROVAL, settings)._serde
                e2e_runs, raw_runs = [], []
                for r in range(args.rounds):
                    batch = events(
                        args.events, matters, ROUND_SERIALS * (r + 1), dt.datetime.now(dt.UTC)
                    )
                    values = [(e.envelope.case_key.encode(), serde.encode(e, "x")) for e in batch]
                    print(f"round {r + 1}: load {load()}", end="", flush=True)
                    with CpuMeter(pids) as meter:
                        e2e_runs.append(throughput(settings, batch))
                    with CpuMeter(pids) as raw_meter:
                        raw_runs.append(raw_rate(settings, values))
                    print(
                        f"; end to end {e2e_runs[-1]:,.0f}/s, raw {raw_runs[-1]:,.0f}/s,"
                        f" load after {load()}"
                    )
                    print(f"  end to end {meter.per_event(len(batch))}")
                    print(f"  raw {raw_meter.per_event(len(batch))}")
                size = statistics.mean(len(v) for _, v in values)
                print(f"latency phase: load {load()}", flush=True)
                delays = latency(settings, args.rate, args.latency_seconds, matters, tmp)
        finally:
            stack.down()
    e2e, raw = statistics.median(e2e_runs), statistics.median(raw_runs)
    ratios = [e / r for e, r in zip(e2e_runs, raw_runs, strict=True)]
    q = statistics.quantiles(delays.total, n=100)
    qr = statistics.quantiles(delays.to_router, n=100)
    print(f"departments: {', '.join(matters)}; mean event size {size:,.0f} bytes")
    print(
        f"end to end: {e2e:,.0f} approval results/s, median of {args.rounds} rounds of"
        f" {args.events:,} results, claims back"
    )
    print(
        f"raw produce+consume: {raw:,.0f} messages/s; ratio {e2e / raw:.3f}"
        f" (median of per-round ratios {statistics.median(ratios):.3f})"
    )
    print(
        f"latency at {args.rate:.0f}/s over {len(delays.total):,} results: p50"
        f" {q[49] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms, max {max(delays.total) * 1000:.0f} ms"
    )
    print(
        f"  of which publish → router's copy on sg.audit read back: p50"
        f" {qr[49] * 1000:.0f} ms, p99 {qr[98] * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
