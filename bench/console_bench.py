"""The console: its officer list on a read model of 10,000 items, and how fast the projector
writes audit records into that read model.

    .venv/bin/python bench/console_bench.py                     # 10,000 items, 200 requests/case
    .venv/bin/python bench/console_bench.py --items 20000 --requests 300

List: one department holds ``--items`` items (approval results; a third claimed, a tenth past
their deadline) among 20 % more for other departments. Each case requests one page (50 rows)
of the officer's list through the console app in-process (FastAPI's TestClient, a logged-in
session): query, count, tab counts and the rendered HTML. Reported: median and p99 of the
request time, measured around the call (server time plus the in-process transport).

Projection: the same audit records, encoded as the router writes them (Confluent framing with
an in-memory registry), decoded, run through the watchdog's policy and written in batches of
500 with their offsets, as the projector does (no broker: the consumer's share is the
broker's). Reported: audit records per second, to set beside the end-to-end benchmark's rate
(each approval result there puts two records on the audit log: the result and its claim).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sgbus.bus.calendar import default_calendar
from sgbus.bus.catalogue import example_catalogue
from sgbus.bus.events import Event
from sgbus.bus.obligations.ingest import AuditRecord, Ingestor
from sgbus.bus.policy import load_policy
from sgbus.bus.serde import build_serde
from sgbus.bus.store import make_engine, migrate
from sgbus.console import actions
from sgbus.console.readmodel.project import project
from sgbus.console.readmodel.write import Projected, write_batch
from sgbus.console.runtime import Console
from sgbus.consumers.watchdog.clock import FixedClock
from sgbus.demo.synthetic import approval_result
from tests.console_web import RecordingPublisher, client_for, log_in

DEPT = "weihai-drc"
OTHER = "weihai-hrss"
MATTERS = {DEPT: "WH-A1-001", OTHER: "WH-A3-001"}
START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Beijing


def events(n: int, seed: int = 7) -> list[tuple[AuditRecord, Event | None]]:
    """Audit records: results for the department and others, and claims of a third."""
    catalogue = example_catalogue()
    rng = random.Random(seed)
    out: list[tuple[AuditRecord, Event | None]] = []
    officer = actions.Officer("bench", "王芳", DEPT)
    for i in range(int(n * 1.2)):
        party = DEPT if i % 6 else OTHER
        at = START + timedelta(minutes=7 * i)
        result = approval_result(
            catalogue.matter(MATTERS[party]),
            100_000 + i,
            sender="weihai-approval",
            region="371000",
            decided_at=at,
            rng=rng,
            recipients=[party],
        )
        out.append((AuditRecord(result, (party,), appended_at=at), None))
        if party == DEPT and i % 3 == 0:
            claim = actions.claim(result, officer, at + timedelta(hours=2))
            out.append((AuditRecord(claim, ("weihai-approval",), appended_at=at), claim))
    return out


def project_all(console: Console, records: list[AuditRecord], batch: int = 500) -> float:
    """Encode, decode, ingest and write ``records`` as the projector does; seconds taken."""
    serde = build_serde("mock://console-bench")
    encoded = [serde.encode(r.event, "sg.audit") for r in records]
    ingestor = Ingestor(console.policy, console.calendar, console.catalogue)
    started = time.perf_counter()
    for first in range(0, len(records), batch):
        done = []
        for offset in range(first, min(first + batch, len(records))):
            record = records[offset]
            event = serde.decode(encoded[offset], "sg.audit", 0, offset)
            audit = AuditRecord(event, record.delivered_to, appended_at=record.appended_at)
            got = ingestor.ingest(audit)
            projection = project(audit, got.openings, record.appended_at or START)
            done.append(Projected(0, offset, projection, tuple(got.openings), tuple(got.answers)))
        with console.engine.begin() as conn:
            write_batch(conn, "sgbus-console", "sg.audit", done, {})
    return time.perf_counter() - started


def timed(call: Callable[[], object], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'console.db'}")
        migrate(engine)
        last = START + timedelta(minutes=7 * int(args.items * 1.2))
        console = Console(
            engine=engine,
            catalogue=example_catalogue(),
            policy=load_policy("weihai"),
            calendar=default_calendar(),
            clock=FixedClock(last - timedelta(days=6)),
            publisher=RecordingPublisher(),
        )
        records = [r for r, _ in events(args.items)]
        seconds = project_all(console, records)
        print(
            f"projection: {len(records)} audit records in {seconds:.1f} s = "
            f"{len(records) / seconds:,.0f} records/s"
        )
        client = client_for(console)
        log_in(client, "bench", DEPT)
        cases = {
            "pending, first page": "/items?tab=pending",
            "all, page 100": "/items?tab=all&page=100",
            "claimed, filtered by matter name": "/items?tab=claimed&matter=投资",
            "all, licensee name part + decision dates": (
                "/items?tab=all&licensee=餐饮&decided_from=2026-11-10&decided_to=2026-12-31"
            ),
            "overdue": "/items?tab=overdue",
        }
        print(f"list requests, {args.requests} each (ms):")
        for name, url in cases.items():
            assert client.get(url).status_code == 200
            times = timed(lambda u=url: client.get(u), args.requests)
            print(f"  {name:45} median {statistics.median(times):6.1f}  p99 {p99(times):6.1f}")


if __name__ == "__main__":
    main()
