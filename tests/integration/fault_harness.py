"""Support for the fault tests: a stack the tests may break, services as OS processes, a paced
stream of approval results, and the history check over everything published.

The stack is the test module's own (a local Kafka and Apicurio Registry on free ports, and a
PostgreSQL server), never the session's ``stack``: the tests SIGKILL its broker, stop its
registry and restart its database. Each service runs as its own process through the CLI, as
in production, with its log in a file that a failing test prints.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import json
import os
import random
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from sqlalchemy import select

from sgbus.bus import headers as h
from sgbus.bus.catalogue import example_catalogue
from sgbus.bus.claims import claim_event_id
from sgbus.bus.events import ApprovalResult, Event, event_type_of
from sgbus.bus.kafka_clients import make_producer
from sgbus.bus.obligations.model import obligation_id
from sgbus.bus.parties import (
    AUDIT_TOPIC,
    DEAD_LETTER_TOPIC,
    WATCHDOG_PARTY,
    inbox_topic,
    outbox_topic,
)
from sgbus.bus.security import registry_client_config
from sgbus.bus.serde import Serde
from sgbus.bus.settings import Settings
from sgbus.bus.store import make_engine
from sgbus.bus.store.tables import inbox_items, obligations, outbox
from sgbus.bus.validation import check_event
from sgbus.demo.synthetic import approval_result
from sgbus.producers.publisher import traceparent
from sgbus.stack import LocalStack
from sgbus.stack.local import StackInfo
from sgbus.stack.process import stop as stop_process
from sgbus.stack.testing import endpoints_of, throwaway_stack_config
from tests.kafka_conf import client_conf

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = example_catalogue()
APPROVAL = CATALOGUE.approval or "weihai-approval"
REGION = "371000"
CLI = [sys.executable, "-c", "from sgbus.cli import main; main()"]
TERM_SECONDS = 20.0


# --------------------------------------------------------------------------- the stack


class BreakableStack:
    """The module's broker and registry, which the tests stop, kill and start again."""

    def __init__(self, state_dir: Path) -> None:
        self.local = LocalStack(throwaway_stack_config(Settings().home.expanduser(), state_dir))
        self._info: StackInfo | None = None

    def down(self) -> None:
        self.local.down()

    @property
    def bootstrap(self) -> str:
        return self.local.cfg.bootstrap

    @property
    def credentials(self) -> Path:
        """This stack's folder of credentials files."""
        return self.local.cfg.credentials_dir

    def environment(self) -> dict[str, str]:
        """``SGBUS_*`` variables for this module's own clients (the test inspector)."""
        assert self._info is not None, "the stack was never started"
        return endpoints_of(self.local, self._info, "faults").environment()

    def up(self) -> None:
        """Start whatever is not running (same ports, same data) and wait until it answers."""
        self._info = self.local.up()

    @property
    def registry_url(self) -> str:
        return self.local.cfg.registry_url

    def kill_broker(self) -> None:
        """SIGKILL the broker's java process: no shutdown, transactions left as they were."""
        pid = self.local.pid("kafka")
        assert pid is not None, "the broker is not running"
        os.kill(pid, signal.SIGKILL)
        _wait_gone(pid)
        self.local.cfg.pid_file("kafka").unlink(missing_ok=True)

    def stop_registry(self) -> None:
        """Stop the registry process (SIGTERM, SIGKILL after a grace period)."""
        pid = self.local.pid("registry")
        assert pid is not None, "the registry is not running"
        stop_process(pid, self.local.marker("registry"), grace=10.0)
        self.local.cfg.pid_file("registry").unlink(missing_ok=True)


def _wait_gone(pid: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # the stack's processes may be our children
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            return
        if state == "Z":
            return
        time.sleep(0.1)
    raise AssertionError(f"process {pid} did not go away")


class Postgres:
    """A PostgreSQL server from Debian's binaries on a free port, which tests may restart."""

    def __init__(self, base: Path) -> None:
        self.as_postgres = os.geteuid() == 0  # initdb refuses root; CI runs as root
        self.base = base
        self.data = base / "data"
        self.port = _free_port()

    def _run(self, *args: str) -> None:
        cmd = ["runuser", "-u", "postgres", "--", *args] if self.as_postgres else list(args)
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args[:1])} -> {out.returncode}: {out.stdout}{out.stderr}"
            )

    def init(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        if self.as_postgres:
            shutil.chown(self.base, user="postgres")
        self._run(
            _pg_bin("initdb"),
            *("-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8"),
            *("--locale=C", "--no-sync"),
        )
        self.start()

    def start(self) -> None:
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.base} -c fsync=off"
        log = str(self.base / "log")
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-o", opts, "-l", log, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """``fast`` ends every session (as a restart does); ``immediate`` is a crash."""
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)

    @property
    def server_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"

    def new_database(self, prefix: str) -> str:
        """URL of a fresh, empty database."""
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        dsn = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{self.server_url}/{name}"


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    if not found[-1]:
        raise RuntimeError(
            f"PostgreSQL server program {name!r} not found (apt-get install postgresql)"
        )
    return found[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- services


@dataclass
class Service:
    """One service process started through the CLI."""

    name: str
    argv: list[str]
    log: Path
    proc: subprocess.Popen[bytes]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(text[-lines:])


class Services:
    """The services of one test, each an OS process with its log in ``logs``."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.by_name: dict[str, Service] = {}
        self.retired: list[Service] = []
        logs.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, *args: str) -> Service:
        assert name not in self.by_name, f"{name} already started"
        log = self.logs / f"{name}.log"
        argv = [*CLI, *args]
        proc = subprocess.Popen(
            argv,
            env=self.env,
            cwd=self.logs,  # no stray .env file is read
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        service = Service(name, argv, log, proc)
        self.by_name[name] = service
        return service

    def retire(self, name: str, timeout: float = TERM_SECONDS) -> int | None:
        """SIGTERM one service on purpose and wait for it; its exit code (None: it did not
        exit in time and was killed). It no longer counts among the running services."""
        s = self.by_name.pop(name)
        s.proc.terminate()
        try:
            rc: int | None = s.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            rc = None
            os.killpg(s.proc.pid, signal.SIGKILL)
            s.proc.wait(30)
        self.retired.append(s)
        return rc

    def dead(self) -> dict[str, int | None]:
        """Services whose process has ended, with their exit code."""
        return {n: s.proc.returncode for n, s in self.by_name.items() if not s.alive()}

    def assert_all_up(self, when: str) -> None:
        dead = self.dead()
        assert not dead, f"{when}: service(s) ended: {dead}\n{self.tails(list(dead))}"

    def terminate_all(self, timeout: float = TERM_SECONDS) -> dict[str, tuple[int | None, float]]:
        """SIGTERM every service at once; each one's exit code and seconds to exit (None and
        the timeout for one that did not exit, which is then SIGKILLed)."""
        for s in self.by_name.values():
            if s.alive():
                s.proc.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        out: dict[str, tuple[int | None, float]] = {}
        while len(out) < len(self.by_name) and time.monotonic() - sent < timeout:
            for name, s in self.by_name.items():
                if name not in out and s.proc.poll() is not None:
                    out[name] = (s.proc.returncode, time.monotonic() - sent)
            time.sleep(0.05)
        for name in self.by_name:
            out.setdefault(name, (None, timeout))
        self.kill_all()
        return out

    def kill_all(self) -> None:
        for s in self.by_name.values():
            if s.alive():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(s.proc.pid, signal.SIGKILL)  # the watchdog's decode worker too
                s.proc.wait(30)

    def tails(self, names: Sequence[str] | None = None, lines: int = 40) -> str:
        chosen = names or list(self.by_name)
        return "\n".join(
            f"----- {n} ({self.by_name[n].log}) -----\n{self.by_name[n].tail(lines)}"
            for n in chosen
        )

    def grep(self, needle: str) -> dict[str, int]:
        """How many log lines of each service contain ``needle``."""
        out = {}
        for n, s in self.by_name.items():
            text = s.log.read_text(errors="replace") if s.log.exists() else ""
            out[n] = sum(needle in line for line in text.splitlines())
        return out


def service_env(
    bootstrap: str, registry: str, home: Path, credentials: Path, **extra: str
) -> dict[str, str]:
    """The environment of a service: this tree on the path, the module's stack and its
    credentials (each service picks its own principal's), no settings leaking in from the
    developer's own environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SGBUS_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env |= {
        "SGBUS_BOOTSTRAP": bootstrap,
        "SGBUS_SCHEMA_REGISTRY": registry,
        "SGBUS_HOME": str(home),
        "SGBUS_CREDENTIALS_DIR": str(credentials),
        "SGBUS_METRICS_PORT": "0",
        "SGBUS_LOG_LEVEL": "INFO",
    }
    return env | extra


def cli(env: dict[str, str], cwd: Path, *args: str, timeout: float = 180) -> str:
    """Run one ``sgbus`` command to its end; its output, or an assertion error with it."""
    out = subprocess.run(
        [*CLI, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    assert out.returncode == 0, (
        f"sgbus {' '.join(args)} -> {out.returncode}\n{out.stdout}{out.stderr}"
    )
    return out.stdout + out.stderr


# --------------------------------------------------------------------------- the stream


def single_matters(party: str) -> list[str]:
    """Matters of ``party`` that only it supervises in the region (never per region)."""
    codes = [
        m.code
        for m in CATALOGUE.matters
        if not m.per_region and [p.id for p in CATALOGUE.supervisors_of(m.code, REGION)] == [party]
    ]
    assert codes, f"{party} supervises no matter alone"
    return codes


def make_results(parties: Sequence[str], n: int, seed: int) -> list[ApprovalResult]:
    """``n`` valid approval results of the bureau, spread over matters only ``parties``
    supervise (one each), decided now, with event ids of their own."""
    rng = random.Random(seed)
    matters = [single_matters(p)[0] for p in parties]
    now = dt.datetime.now(dt.UTC)
    serial0 = seed * 1_000_000
    out = []
    for i in range(n):
        ev = approval_result(
            CATALOGUE.matter(matters[i % len(matters)]),
            serial0 + i,
            sender=APPROVAL,
            region=REGION,
            decided_at=now,
            rng=rng,
        )
        out.append(ev)
    return out


def recipients_of(ev: ApprovalResult) -> tuple[str, ...]:
    return tuple(p.id for p in CATALOGUE.supervisors_of(ev.matter.code, REGION))


@dataclass(frozen=True)
class Outgoing:
    """One record to produce to an outbox: an encoded event, or deliberately bad bytes."""

    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]
    event_id: str | None  # None for a bad record


def encoded(serde: Serde, event: Event, validate: bool = True) -> Outgoing:
    """``event`` as the publisher SDK writes it to its sender's outbox."""
    if validate:
        check_event(event)
    env = event.envelope
    topic = outbox_topic(env.sender)
    headers = {
        h.EVENT_ID: str(env.event_id),
        h.EVENT_TYPE: event_type_of(event),
        h.TRACEPARENT: traceparent(env.correlation_id),
    }
    return Outgoing(
        topic,
        env.case_key.encode(),
        serde.encode(event, topic),
        [(k, v.encode()) for k, v in headers.items()],
        str(env.event_id),
    )


def bad_record(i: int, sender: str = APPROVAL) -> Outgoing:
    """Bytes no schema can read (wrong magic byte): the router must dead-letter them."""
    return Outgoing(
        outbox_topic(sender),
        f"bad-{i}".encode(),
        b"\x07not avro " + bytes([i % 256]) * 12,
        [],
        None,
    )


def interleave(good: list[Outgoing], bad: list[Outgoing], seed: int) -> list[Outgoing]:
    """The good records in order with the bad ones at random places."""
    rng = random.Random(seed)
    out = list(good)
    for b in bad:
        out.insert(rng.randrange(len(out) + 1), b)
    return out


class Feeder:
    """Produces records in a background thread at a steady rate, each exactly once.

    A record is handed to the idempotent producer once and never again: while the broker is
    away librdkafka keeps it queued (message timeout 5 min), so the outbox holds each record
    once whatever happens to the broker, and every later copy is the bus's doing.
    """

    def __init__(self, bootstrap: str, records: Sequence[Outgoing], rate: float) -> None:
        self.records = list(records)
        self.rate = rate
        self.producer = make_producer(Settings(bootstrap=bootstrap, schema_registry="http://x"))
        self.sent = 0
        self.positions: dict[int, tuple[str, int, int]] = {}
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="feeder", daemon=True)

    def start(self) -> Feeder:
        self._thread.start()
        return self

    def _run(self) -> None:
        t0 = time.monotonic()
        for i, rec in enumerate(self.records):
            if self._stop.is_set():
                return
            ahead = t0 + i / self.rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
            self._produce(i, rec)
            self.sent = i + 1
            self.producer.poll(0)

    def _produce(self, i: int, rec: Outgoing) -> None:
        def delivered(err: KafkaError | None, msg: Any) -> None:
            if err is not None:
                self.errors.append(f"record {i}: {err}")
            else:
                self.positions[i] = (msg.topic(), msg.partition(), msg.offset())

        while True:
            try:
                self.producer.produce(
                    rec.topic,
                    key=rec.key,
                    value=rec.value,
                    headers=rec.headers,
                    on_delivery=delivered,
                )
                return
            except BufferError:
                self.producer.poll(0.05)

    def wait_sent(self, count: int, timeout: float = 300) -> None:
        """Until ``count`` records have been handed to the producer."""
        deadline = time.monotonic() + timeout
        while self.sent < count:
            assert time.monotonic() < deadline, f"feeder stuck at {self.sent} of {count}"
            time.sleep(0.05)

    def finish(self, timeout: float = 400) -> None:
        """Wait until every record is produced and acknowledged by the broker."""
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "feeder did not finish"
        deadline = time.monotonic() + timeout
        while self.producer.flush(5) and time.monotonic() < deadline:
            pass
        assert not self.errors, f"{len(self.errors)} record(s) not accepted: {self.errors[:3]}"
        assert len(self.positions) == len(self.records), (
            f"{len(self.records) - len(self.positions)} record(s) never acknowledged"
        )

    def close(self) -> None:
        self._stop.set()
        self._thread.join(30)
        self.producer.flush(10)

    def bad_positions(self) -> set[tuple[str, int, int]]:
        return {self.positions[i] for i, r in enumerate(self.records) if r.event_id is None}


# --------------------------------------------------------------------------- reading back


@dataclass(frozen=True)
class Read:
    """One committed record, headers decoded."""

    topic: str
    partition: int
    offset: int
    headers: dict[str, str]
    timestamp_ms: int


def end_offsets(bootstrap: str, topics: Iterable[str]) -> dict[tuple[str, int], int]:
    """The current end (high watermark) of every partition of ``topics``."""
    c = Consumer(
        {
            **client_conf(bootstrap),
            "group.id": "faults-probe",
            "isolation.level": "read_committed",
        }
    )
    try:
        out = {}
        for t in topics:
            for p in c.list_topics(t, timeout=30).topics[t].partitions:
                out[(t, p)] = _high_watermark(c, t, p)
        return out
    finally:
        c.close()


def _high_watermark(c: Consumer, topic: str, partition: int) -> int:
    deadline = time.monotonic() + 60
    while True:  # a topic just created, or a broker just restarted, may have no leader yet
        try:
            return int(c.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)[1])
        except KafkaException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def read_since(bootstrap: str, start: dict[tuple[str, int], int]) -> list[Read]:
    """Every committed record from ``start`` to each partition's current end."""
    ends = end_offsets(bootstrap, {t for t, _ in start})
    todo = {tp: (start.get(tp, 0), end) for tp, end in ends.items() if end > start.get(tp, 0)}
    if not todo:
        return []
    c = Consumer(
        {
            **client_conf(bootstrap),
            "group.id": f"faults-read-{uuid.uuid4().hex[:6]}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
        }
    )
    out: list[Read] = []
    try:
        c.assign([TopicPartition(t, p, lo) for (t, p), (lo, _) in todo.items()])
        left = set(todo)
        deadline = time.monotonic() + 120
        while left and time.monotonic() < deadline:
            for m in c.consume(2000, 1.0):
                err = m.error()
                tp = (m.topic(), m.partition())
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        left.discard(tp)
                    continue
                out.append(
                    Read(tp[0], tp[1], m.offset(), h.header_map(m.headers()), m.timestamp()[1])
                )
                if m.offset() + 1 >= todo[tp][1]:
                    left.discard(tp)
        assert not left, f"could not read {sorted(left)} to the end"
    finally:
        c.close()
    return out


# --------------------------------------------------------------------------- the history


def all_inboxes() -> list[str]:
    return sorted(inbox_topic(p) for p in CATALOGUE.parties_by_id)


WATCHDOG_OUTBOX = outbox_topic(WATCHDOG_PARTY)
# The outboxes' start offsets tell this test's records from those an earlier test left
# unrouted (after a failure there): the latter are not this test's dead letters.
HISTORY_TOPICS = [
    AUDIT_TOPIC,
    DEAD_LETTER_TOPIC,
    WATCHDOG_OUTBOX,
    *all_inboxes(),
    *sorted(outbox_topic(p) for p in CATALOGUE.parties_by_id),
]


@dataclass
class Expected:
    """What one test published and what the bus must make of it."""

    results: list[ApprovalResult] = field(default_factory=list)
    claimers: set[str] = field(default_factory=set)  # parties whose claims must come back
    bad: set[tuple[str, int, int]] = field(default_factory=set)  # dead letters wanted
    extra_claims: dict[str, str] = field(default_factory=dict)  # claim id -> party, by hand

    def deliveries(self) -> Counter[tuple[str, str]]:
        return Counter(
            (inbox_topic(p), str(e.envelope.event_id))
            for e in self.results
            for p in recipients_of(e)
        )

    def claims(self) -> dict[str, tuple[str, str]]:
        """Claim event id -> (claimed result id, claiming party)."""
        out = {
            str(claim_event_id(e.envelope.event_id, p)): (str(e.envelope.event_id), p)
            for e in self.results
            for p in recipients_of(e)
            if p in self.claimers
        }
        for cid, p in self.extra_claims.items():
            out[cid] = ("", p)
        return out

    def obligations(self) -> dict[str, str]:
        """Obligation id -> the answer event id that must discharge it (weihai policy)."""
        out = {}
        for e in self.results:
            rid = str(e.envelope.event_id)
            out[obligation_id("approval-push", rid, APPROVAL)] = rid
            for p in recipients_of(e):
                out[obligation_id("claim", rid, p)] = str(claim_event_id(rid, p))
        return out


@dataclass
class History:
    """What the history check counted (printed into the closing note)."""

    counts: dict[str, int]
    problems: list[str]

    def __str__(self) -> str:
        lines = [f"  {k}: {v:,}" for k, v in self.counts.items()]
        lines += [f"  PROBLEM: {p}" for p in self.problems]
        return "\n".join(lines)


def _diff(name: str, want: Counter[Any], got: Counter[Any], problems: list[str]) -> None:
    missing, extra = want - got, got - want
    if missing or extra:
        problems.append(
            f"{name}: {sum(missing.values())} missing (e.g. {list(missing)[:3]}),"
            f" {sum(extra.values())} extra (e.g. {list(extra.items())[:3]})"
        )


def check_history(
    bootstrap: str,
    start: dict[tuple[str, int], int],
    expected: Expected,
    dept_dbs: dict[str, str],
    watchdog_db: str,
) -> History:
    """Every count the fault tests promise, over the topics (from ``start``) and the stores."""
    problems: list[str] = []
    records = read_since(bootstrap, start)
    result_ids = {str(e.envelope.event_id) for e in expected.results}
    claims = expected.claims()

    deliveries = expected.deliveries()
    got_inbox = Counter(
        (r.topic, r.headers.get(h.EVENT_ID, ""))
        for r in records
        if r.topic.endswith(".inbox") and r.headers.get(h.EVENT_ID) in result_ids
    )
    _diff("results in inboxes", deliveries, got_inbox, problems)

    bureau = inbox_topic(APPROVAL)
    want_claims = Counter({(bureau, cid): 1 for cid in claims})
    got_claims = Counter(
        (r.topic, r.headers.get(h.EVENT_ID, ""))
        for r in records
        if r.topic.endswith(".inbox")
        and r.headers.get(h.EVENT_TYPE) == "Claim"
        and r.headers.get(h.EVENT_ID) in claims
    )
    _diff("claims in the bureau's inbox", want_claims, got_claims, problems)

    want_audit = Counter({i: 1 for i in result_ids | set(claims)})
    got_audit = Counter(
        r.headers.get(h.EVENT_ID, "")
        for r in records
        if r.topic == AUDIT_TOPIC and r.headers.get(h.EVENT_ID) in want_audit
    )
    _diff("audit records", want_audit, got_audit, problems)

    dead, earlier = [], 0
    for r in records:
        if r.topic != DEAD_LETTER_TOPIC:
            continue
        source = (r.headers.get(h.SOURCE_TOPIC, ""), int(r.headers.get(h.SOURCE_PARTITION, "-1")))
        if int(r.headers.get(h.SOURCE_OFFSET, "-1")) < start.get(source, -1):
            earlier += 1  # read by this test's router, written before this test began
        else:
            dead.append(r)
    got_dead = Counter(
        (
            r.headers.get(h.SOURCE_TOPIC, ""),
            int(r.headers.get(h.SOURCE_PARTITION, "-1")),
            int(r.headers.get(h.SOURCE_OFFSET, "-1")),
        )
        for r in dead
    )
    _diff("dead letters", Counter(expected.bad), got_dead, problems)
    reasons = Counter(r.headers.get(h.DLQ_REASON, "?") for r in dead)

    counts: dict[str, int] = {
        "results published": len(result_ids),
        "bad records published": len(expected.bad),
        "deliveries wanted": sum(deliveries.values()),
        "deliveries in inboxes": sum(got_inbox.values()),
        "distinct deliveries": len(got_inbox),
        "claims wanted": len(claims),
        "claims in bureau inbox": sum(got_claims.values()),
        "distinct claims": len(got_claims),
        "audit records (results + claims)": sum(got_audit.values()),
        "dead letters": len(dead),
        "dead letters of records from before this test": earlier,
    }
    counts |= {f"dead letters {k}": v for k, v in reasons.items()}
    notices = sum(
        1
        for r in records
        if r.topic == inbox_topic(APPROVAL) and r.headers.get(h.EVENT_TYPE) == "RejectionNotice"
    )
    counts["rejection notices in the bureau's inbox"] = notices
    refused = sum(1 for r in dead if r.headers.get(h.SOURCE_TOPIC) == outbox_topic(APPROVAL))
    if notices != refused:
        problems.append(f"{notices} rejection notice(s) for {refused} refused bureau record(s)")

    for party, url in dept_dbs.items():
        want_items = {i for (t, i) in deliveries if t == inbox_topic(party)}
        with make_engine(url).connect() as conn:
            rows = conn.execute(
                select(
                    inbox_items.c.event_id, inbox_items.c.claim_state, inbox_items.c.claim_event_id
                )
            ).all()
            unsent = conn.execute(select(outbox.c.event_id).where(outbox.c.sent_at.is_(None))).all()
        got_items = Counter(r.event_id for r in rows if r.event_id in result_ids)
        _diff(
            f"items in {party}'s store", Counter(dict.fromkeys(want_items, 1)), got_items, problems
        )
        unclaimed = [
            r.event_id for r in rows if r.event_id in want_items and r.claim_event_id is None
        ]
        if unclaimed:
            problems.append(f"{party}: {len(unclaimed)} stored item(s) not claimed")
        if unsent:
            problems.append(f"{party}: {len(unsent)} outbox row(s) never sent")
        counts[f"items in {party} store"] = sum(got_items.values())

    want_obl = expected.obligations()
    with make_engine(watchdog_db).connect() as conn:
        rows = conn.execute(
            select(
                obligations.c.id,
                obligations.c.request_event_id,
                obligations.c.state,
                obligations.c.answer_event_id,
                obligations.c.transitions,
                obligations.c.reminded_at,
            ).where(obligations.c.request_event_id.in_(result_ids))
        ).all()
    got_obl = Counter(r.id for r in rows if r.request_event_id in result_ids)
    _diff("obligations opened", Counter(dict.fromkeys(want_obl, 1)), got_obl, problems)
    discharged = 0
    for r in rows:
        steps = [s for s, _ in json.loads(r.transitions)]
        if (
            r.id in want_obl
            and r.state == "discharged"
            and steps.count("discharged") == 1
            and steps.count("open") == 1
        ) and r.answer_event_id == want_obl[r.id]:
            discharged += 1
            continue
        if r.id in want_obl:
            problems.append(
                f"obligation {r.id}: state {r.state}, steps {steps}, answer {r.answer_event_id}"
                f" (wanted {want_obl[r.id]})"
            )
    counts["obligations reminded before their answer"] = sum(
        1 for r in rows if r.id in want_obl and r.reminded_at is not None
    )
    _check_outcomes(records, watchdog_db, counts, problems)
    counts["obligations wanted"] = len(want_obl)
    counts["obligations opened"] = sum(got_obl.values())
    counts["obligations discharged once"] = discharged
    if len(problems) > 20:
        problems = [*problems[:20], f"... {len(problems) - 20} more"]
    return History(counts, problems)


def _check_outcomes(
    records: list[Read], watchdog_db: str, counts: dict[str, int], problems: list[str]
) -> None:
    """The watchdog's outcomes: every row of its outbox sent, and on its topic once."""
    with make_engine(watchdog_db).connect() as conn:
        rows = conn.execute(select(outbox.c.event_id, outbox.c.sent_at)).all()
    unsent = [r.event_id for r in rows if r.sent_at is None]
    if unsent:
        problems.append(f"watchdog: {len(unsent)} outcome row(s) never sent")
    on_topic = Counter(r.headers.get(h.EVENT_ID, "") for r in records if r.topic == WATCHDOG_OUTBOX)
    _diff("watchdog outcomes", Counter({r.event_id: 1 for r in rows}), on_topic, problems)
    counts["watchdog outcomes written"] = len(rows)
    counts["watchdog outcomes published"] = sum(on_topic.values())


def wait_until(
    what: str,
    check: Callable[[], bool],
    timeout: float,
    services: Services | None = None,
    every: float = 1.0,
) -> float:
    """Poll ``check`` until it holds; seconds it took. Fails (with the services' logs) after
    ``timeout``, or at once if a service ended."""
    t0 = time.monotonic()
    while not check():
        if services is not None:
            services.assert_all_up(f"waiting for {what}")
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(every)
    return time.monotonic() - t0


def discharged_count(watchdog_db: str, wanted: set[str]) -> int:
    """How many of the ``wanted`` obligations the watchdog store holds discharged."""
    engine = make_engine(watchdog_db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(obligations.c.id).where(obligations.c.state == "discharged")
            ).scalars()
            return sum(1 for i in rows if i in wanted)
    except Exception:  # the store may not exist yet, or PostgreSQL may be restarting
        return -1
    finally:
        engine.dispose()


def registry_answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/subjects", timeout=3, **registry_http()).status_code == 200
    except httpx.HTTPError:
        return False


def registry_http() -> dict[str, Any]:
    """``httpx`` arguments that authenticate as this module's test inspector (a registry
    admin) and trust the stack's CA; none on a plaintext stack."""
    conf = registry_client_config(Settings())
    if "basic.auth.user.info" not in conf:
        return {}
    user, _, password = conf["basic.auth.user.info"].partition(":")
    return {
        "auth": (user, password),
        "verify": ssl.create_default_context(cafile=conf["ssl.ca.location"]),
    }


def delete_subject(url: str, subject: str) -> None:
    """Soft-delete then permanently delete ``subject`` (Apicurio's ccompat API)."""
    for params in ({}, {"permanent": "true"}):
        r = httpx.delete(f"{url}/subjects/{subject}", params=params, timeout=10, **registry_http())
        assert r.status_code == 200, f"DELETE {subject} {params}: {r.status_code} {r.text}"


def registry_export(url: str) -> bytes:
    """A backup of the whole registry (Apicurio's admin export, a zip)."""
    r = httpx.get(
        f"{_registry_base(url)}/apis/registry/v2/admin/export", timeout=60, **registry_http()
    )
    assert r.status_code == 200, f"registry export: {r.status_code} {r.text[:200]}"
    return r.content


def registry_import(url: str, backup: bytes) -> None:
    """Restore ``backup`` keeping its content ids, so that values framed with the old ids
    decode again (a plain re-registration after a permanent delete gets a new id)."""
    r = httpx.post(
        f"{_registry_base(url)}/apis/registry/v2/admin/import",
        content=backup,
        **registry_http(),
        headers={
            "Content-Type": "application/zip",
            "X-Registry-Preserve-GlobalId": "true",
            "X-Registry-Preserve-ContentId": "true",
        },
        timeout=60,
    )
    assert r.status_code in (200, 204), f"registry import: {r.status_code} {r.text[:300]}"


def _registry_base(url: str) -> str:
    return url.split("/apis/", 1)[0]


def schema_id_answers(url: str, schema_id: int) -> bool:
    return (
        httpx.get(f"{url}/schemas/ids/{schema_id}", timeout=10, **registry_http()).status_code
        == 200
    )
