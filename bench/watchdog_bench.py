"""Watchdog at scale: a sweep among 1,000,000 open obligations, ingest rate, peak memory.

    .venv/bin/python bench/watchdog_bench.py --db sqlite            [--rows 1000000] [--repeats 7]
    .venv/bin/python bench/watchdog_bench.py --db postgresql        (starts a throw-away server)
    .venv/bin/python bench/watchdog_bench.py --db sqlite --kafka    (also the real service on a
                                                                    broker: SGBUS_BOOTSTRAP etc.)

Steps, each in its own process so that one's memory does not count against another's:

1. load: ``--rows`` open obligations, bulk-inserted in chunks (multi-row INSERT on SQLite,
   COPY on PostgreSQL); ``--repeats`` × 1,000 of them are overdue, the rest due over 60 days.
2. work: ``--repeats`` sweeps, each one watchdog sweep step — find the 1,000 due obligations on
   the ``next_check_at`` index, expire them, encode the 1,000 outcome events and write them to
   the outbox, commit — timed whole and without the encoding; then the ingest of ``--events``
   audit records (encoded bytes → decode → policy → obligations + offsets, committed in
   batches of 1,000) into the same store through the service's own pipeline, interpreted in
   the same thread (``inline``) and in the decode worker process (``worker``, the service's
   default), alternately ``--ingest-repeats`` times each, with new events every run: medians,
   every figure and the median worker/inline ratio. Reports its own and the worker's peak RSS.
3. with ``--kafka``: ``sgbus watchdog run --until-idle`` on the same store consumes the events
   from a fresh topic; its rate (whole run, and steady state from the first to the last batch
   applied) and peak RSS (VmHWM, service and worker) are measured from outside.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
DUE_PER_SWEEP = 1000
CHUNK = 20_000


# -- step 1: bulk load ------------------------------------------------------------------------


def rows(n: int, overdue: int, seed: int = 1) -> Any:
    """``n`` open obligation rows; the first ``overdue`` are past due at NOW."""
    from sgbus.bus.obligations.model import ExpiryAction, State

    rng = random.Random(seed)
    debtors = [f"dept-{i:02d}" for i in range(40)]
    flows = ["claim", "supervision-claim", "consultation-reply", "change-decision"]
    for i in range(n):
        if i < overdue:
            due = NOW - timedelta(days=1 + i // DUE_PER_SWEEP, seconds=rng.randrange(3600))
        else:
            due = NOW + timedelta(seconds=rng.randrange(60 * 86400) + 60)
        opened = due - timedelta(days=5)
        yield {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "flow": flows[i % 4],
            "request_event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "request_event_type": "ApprovalResult",
            "debtor": debtors[i % 40],
            "creditor": "approval",
            "case_key": f"370784:安审〔2026〕{i}号",
            "region": "370784",
            "opened_at": opened,
            "due_at": due,
            "anchor_at": opened,
            "remind_at": None,
            "provisional": False,
            "action": ExpiryAction.BREACH_REPORT.value,
            "escalate_to": None,
            "source": "《安丘市行政审批与监管协调联动实施办法》第十八条(一)",
            "state": State.OPEN.value,
            "reminded_at": None,
            "closed_at": None,
            "answer_event_id": None,
            "answered_at": None,
            "transitions": json.dumps([["open", opened.isoformat()]]),
            "next_check_at": due,
        }


def load(url: str, n: int, overdue: int) -> dict[str, Any]:
    from sgbus.bus.store import make_engine, migrate
    from sgbus.bus.store.tables import obligations

    engine = make_engine(url)
    migrate(engine)
    started = time.perf_counter()
    if engine.dialect.name == "postgresql":
        _copy(engine, rows(n, overdue))
    else:
        batch: list[dict[str, Any]] = []
        with engine.begin() as conn:
            for row in rows(n, overdue):
                batch.append(row)
                if len(batch) == CHUNK:
                    conn.execute(obligations.insert(), batch)
                    batch = []
            if batch:
                conn.execute(obligations.insert(), batch)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE obligations")
        else:
            conn.exec_driver_sql("ANALYZE")
    return {"rows": n, "load_s": round(time.perf_counter() - started, 1)}


def _copy(engine: Any, source: Any) -> None:
    from sgbus.bus.store.tables import obligations

    cols = [c.name for c in obligations.columns]
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        with cur.copy(f"COPY obligations ({', '.join(cols)}) FROM STDIN") as copy:
            for row in source:
                copy.write_row([row[c] for c in cols])
        raw.commit()
    finally:
        raw.close()


# -- step 2: sweeps and ingest in one measured process ----------------------------------------


def work(url: str, repeats: int, events: int, ingest_repeats: int = 3) -> dict[str, Any]:
    from sgbus.bus.calendar import default_calendar
    from sgbus.bus.serde import build_serde
    from sgbus.bus.store import make_engine
    from sgbus.bus.store.outbox import enqueue
    from sgbus.consumers.watchdog.audit import outcome_messages
    from sgbus.consumers.watchdog.ledger import sweep

    engine = make_engine(url)
    serde = build_serde(None)
    cal = default_calendar()
    whole, finding = [], []
    for i in range(repeats):
        started = time.perf_counter()
        with engine.begin() as conn:
            t0 = time.perf_counter()
            outcomes = sweep(conn, NOW, DUE_PER_SWEEP)
            t1 = time.perf_counter()
            enqueue(conn, outcome_messages(outcomes, serde, cal, "sg.watchdog.outbox"))
        whole.append(time.perf_counter() - started)
        finding.append(t1 - t0)
        assert len(outcomes) == DUE_PER_SWEEP, (i, len(outcomes))
    result = {
        "sweep_ms_median": round(statistics.median(whole) * 1000, 1),
        "sweep_ms_all": [round(x * 1000, 1) for x in whole],
        "sweep_find_and_expire_ms_median": round(statistics.median(finding) * 1000, 1),
        **ingests(engine, serde, events, ingest_repeats),
    }
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def ingests(engine: Any, serde: Any, events: int, repeats: int) -> dict[str, Any]:
    """Both ways into the same store, alternating, each run with new events (so nothing is a
    duplicate); medians, every figure, and the median of the per-pair ratios."""
    runs: dict[str, list[dict[str, Any]]] = {"inline": [], "worker": []}
    for run in range(repeats):
        for label in runs:
            runs[label].append(ingest(engine, serde, events, label == "worker", run))
    opened = {g[k] for got in runs.values() for g in got for k in g if k.endswith("_opened")}
    assert len(opened) == 1 and opened.pop() > 0, "every run must open the same obligations"
    out: dict[str, Any] = {}
    for label, got in runs.items():
        rates = [g[f"ingest_{label}_events_per_s"] for g in got]
        out[f"ingest_{label}_events_per_s_median"] = statistics.median(rates)
        out[f"ingest_{label}_events_per_s_all"] = rates
        out[f"ingest_{label}_obligations_opened"] = got[0][f"ingest_{label}_obligations_opened"]
    pairs = zip(runs["worker"], runs["inline"], strict=True)
    out["ingest_worker_to_inline_ratio_median"] = round(
        statistics.median(
            w["ingest_worker_events_per_s"] / i["ingest_inline_events_per_s"] for w, i in pairs
        ),
        2,
    )
    out["worker_peak_rss_mb"] = max(g["worker_peak_rss_mb"] for g in runs["worker"])
    return out


def ingest(engine: Any, serde: Any, events: int, worker: bool, run: int = 0) -> dict[str, Any]:
    """Audit records (as bytes) through the service's pipeline: the interpreter (decode +
    policy; in a worker process with ``worker``) and the batch transaction, 1,000 per batch,
    batch *n+1* interpreted while batch *n* is written, as ``Watchdog.step`` does."""
    from sgbus.bus.calendar import default_calendar
    from sgbus.bus.obligations.ingest import Ingestor
    from sgbus.bus.policy import load_preset
    from sgbus.consumers.watchdog.audit import RawRecord, outcome_messages
    from sgbus.consumers.watchdog.batch_apply import apply_interpreted
    from sgbus.consumers.watchdog.interpreters import InlineInterpreter, WorkerInterpreter
    from tests.watchdog_kit import audit_headers, city_catalogue
    from tests.watchdog_load import LoadGenerator

    label = "worker" if worker else "inline"
    items = LoadGenerator(seed=5, prefix=f"load-{label}-{run}").items(events)
    raws = []
    for off, item in enumerate(items):
        ev, to = item if isinstance(item, tuple) else (item, None)
        raws.append(
            RawRecord("sg.audit", 0, off, serde.encode(ev, "sg.audit"), audit_headers(ev, to))
        )
    del items
    cal = default_calendar()
    ing = Ingestor(load_preset("anqiu"), cal, city_catalogue("anqiu"))
    interpreter = WorkerInterpreter(None, serde, ing) if worker else InlineInterpreter(serde, ing)
    interpreter.result(interpreter.submit(raws[:1]), raws[:1])  # the worker has started

    def messages(outcomes: Any) -> Any:
        return outcome_messages(outcomes, serde, cal, "sg.watchdog.outbox")

    def write(chunk: Any, future: Any) -> int:
        with engine.begin() as conn:
            done = interpreter.result(future, chunk)
            return len(
                apply_interpreted(
                    conn, f"bench-{label}-{run}", "sg.audit", done, {}, messages
                ).result.opened
            )

    opened = 0
    profile = _profiler()
    started = time.perf_counter()
    pending = None
    for i in range(0, len(raws), 1000):
        chunk = raws[i : i + 1000]
        ahead = (chunk, interpreter.submit(chunk))
        if pending is not None:
            opened += write(*pending)
        pending = ahead
    if pending is not None:
        opened += write(*pending)
    seconds = time.perf_counter() - started
    # The decode worker's peak, read before it stops (the largest child: the other one is
    # multiprocessing's small resource tracker).
    worker_kb = max((_vm_hwm_kb(p) for p in _children(os.getpid())), default=0)
    interpreter.close()
    if profile is not None:
        import pstats

        profile.disable()
        pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    return {
        f"ingest_{label}_events": len(raws),
        f"ingest_{label}_obligations_opened": opened,
        f"ingest_{label}_s": round(seconds, 2),
        f"ingest_{label}_events_per_s": round(len(raws) / seconds),
        **({"worker_peak_rss_mb": round(worker_kb / 1024, 1)} if worker else {}),
    }


def _profiler() -> Any:
    """A running profiler when ``WD_BENCH_PROFILE`` is set (output on stderr), else None."""
    if not os.environ.get("WD_BENCH_PROFILE"):
        return None
    import cProfile

    prof = cProfile.Profile()
    prof.enable()
    return prof


# -- step 3: the real service on a broker -------------------------------------------------------


def service(url: str, events: int) -> dict[str, Any]:
    from confluent_kafka.admin import AdminClient, NewTopic

    from sgbus.bus.serde import build_serde
    from sgbus.bus.settings import Settings
    from sgbus.bus.store import make_engine
    from tests.watchdog_bus import produce_audit
    from tests.watchdog_kit import catalogue_text
    from tests.watchdog_load import LoadGenerator

    settings = Settings()
    tag = uuid.uuid4().hex[:8]
    audit_topic, outbox_topic = f"bench-audit-{tag}", f"bench-outbox-{tag}"
    admin = AdminClient({"bootstrap.servers": settings.bootstrap_servers()})
    for f in admin.create_topics([NewTopic(t, 3, 1) for t in (audit_topic, outbox_topic)]).values():
        f.result(30)
    serde = build_serde(settings.registry_url())
    produce_audit(
        settings.bootstrap_servers(), serde, audit_topic, LoadGenerator(seed=9).items(events)
    )
    cat = Path(tempfile.mkdtemp()) / "catalogue.yaml"
    cat.write_text(catalogue_text("anqiu"), encoding="utf-8")
    argv = [
        sys.executable, "-c", "from sgbus.cli import main; main()", "watchdog", "run",
        "--db", url, "--group", f"bench-{tag}", "--audit-topic", audit_topic,
        "--outbox-topic", outbox_topic, "--policy", "anqiu", "--catalogue", str(cat),
        "--now", "2026-11-01T00:00:00+08:00", "--until-idle",
    ]  # fmt: skip
    env = {**os.environ, "SGBUS_LOG_LEVEL": "WARNING", "SGBUS_METRICS_PORT": "0"}
    engine = make_engine(url)
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=ROOT)
    peak = worker_peak = 0
    progress: list[tuple[float, int]] = []  # (time, records applied) while it reads
    while proc.poll() is None:
        peak = max(peak, _vm_hwm_kb(proc.pid))
        # Its children: the decode worker (and multiprocessing's small resource tracker).
        for pid in _children(proc.pid):
            worker_peak = max(worker_peak, _vm_hwm_kb(pid))
        progress.append((time.perf_counter(), _applied(engine, f"bench-{tag}", audit_topic)))
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    assert proc.returncode == 0
    # Steady state: from the first batch seen applied to the last (start-up, the group join
    # and the final idle check excluded).
    moving = [(t, n) for t, n in progress if n > 0]
    (t0, n0), (t1, n1) = moving[0], next(p for p in moving if p[1] >= events)
    return {
        "service_events": events,
        "service_s_incl_startup": round(seconds, 1),
        "service_events_per_s": round(events / seconds),
        "service_steady_events_per_s": round((n1 - n0) / (t1 - t0)) if t1 > t0 else None,
        "service_peak_rss_mb": round(peak / 1024, 1),
        "service_worker_peak_rss_mb": round(worker_peak / 1024, 1),
    }


def _applied(engine: Any, group: str, topic: str) -> int:
    """Records of ``topic`` the group has applied: the sum of its stored next offsets."""
    from sqlalchemy import func, select

    from sgbus.bus.store.tables import consumer_offsets as co

    q = select(func.coalesce(func.sum(co.c.next_offset), 0)).where(
        co.c.group_id == group, co.c.topic == topic
    )
    try:
        with engine.connect() as conn:
            return int(conn.execute(q).scalar_one())
    except Exception:  # the service may not have created its tables yet
        return 0


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _vm_hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# -- orchestration ------------------------------------------------------------------------------


def child(step: str, **kw: Any) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--step", step, "--args", json.dumps(kw)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """URL of a database on a PostgreSQL server started from the machine's binaries (as the
    tests start one: ``SGBUS_TEST_POSTGRES_URL`` skips it)."""
    import psycopg

    from tests.fixtures import postgres as pg

    preset = os.environ.get("SGBUS_TEST_POSTGRES_URL")
    if preset:
        yield preset
        return
    as_postgres = os.geteuid() == 0
    base = Path(tempfile.mkdtemp(prefix="wd-bench-pg-"))
    if as_postgres:
        shutil.chown(base, user="postgres")
    data, port = base / "data", pg._free_port()
    initdb = [pg._find_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]
    pg._run([*initdb, "-E", "UTF8", "--locale=C", "--no-sync"], as_postgres)
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off"
    ctl = [pg._find_bin("pg_ctl"), "-D", str(data)]
    pg._run([*ctl, "-o", opts, "-l", str(base / "log"), "-w", "start"], as_postgres)
    try:
        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True
        ) as c:
            c.execute('CREATE DATABASE "bench"')
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/bench"
    finally:
        pg._run([*ctl, "-m", "immediate", "stop"], as_postgres)
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--ingest-repeats", type=int, default=3, help="ingest runs of each kind")
    ap.add_argument("--kafka", action="store_true")
    ap.add_argument("--step", help=argparse.SUPPRESS)
    ap.add_argument("--args", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.step:
        kw = json.loads(a.args)
        print(json.dumps({"load": load, "work": work, "service": service}[a.step](**kw)))
        return
    with ExitStack() as stack:
        if a.db == "postgresql":
            url = stack.enter_context(throwaway_postgres())
        else:
            url = f"sqlite:///{tempfile.mkdtemp(prefix='wd-bench-')}/watchdog.db"
        overdue = a.repeats * DUE_PER_SWEEP
        result = {"db": a.db, **child("load", url=url, n=a.rows, overdue=overdue)}
        result.update(
            child(
                "work",
                url=url,
                repeats=a.repeats,
                events=a.events,
                ingest_repeats=a.ingest_repeats,
            )
        )
        if a.kafka:
            result.update(child("service", url=url, events=a.events))
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
