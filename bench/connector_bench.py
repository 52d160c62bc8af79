"""Connectors' throughput on one throw-away secured local stack: records per second from the
inbox to the target (sinks) and from the source to the broker (sources), each connector as its
own process, as it runs in production.

    .venv/bin/python bench/connector_bench.py               # 3,000 records, 3 runs each
    .venv/bin/python bench/connector_bench.py --db postgresql --only sdk,sql-inbox,sql-outbox

``--db postgresql`` puts the SQL bridge's tables in a throw-away PostgreSQL server from the
machine's binaries (a fresh database per run, ``fsync=off`` as in the tests); ``sdk`` is the
publisher SDK's ``publish_many`` of the same events, the rate the SQL bridge is compared with.

Sinks: the party's inbox is filled first, then the connector is started and timed from its
first delivery to its last (start-up excluded). Sources: the records are put in place (rows in
a SQLite outbox table, one XLSX in a drop folder), the connector is started and timed from the
first event on the bus to the last. Each run uses a fresh party; the median of the runs is
reported, with the connector's peak resident memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from openpyxl import Workbook
from sqlalchemy import create_engine, insert, select

from sgbus.bus.events import ApprovalResult
from sgbus.bus.settings import Settings
from sgbus.connectors.files.columns import columns, event_to_cells
from sgbus.connectors.sql.tables import inbox_table, outbox_table
from sgbus.connectors.testing.bus import ConformanceBus
from sgbus.connectors.testing.process import ConnectorProcess
from sgbus.connectors.testing.receiver import WebhookReceiver
from sgbus.connectors.testing.watch import OutboxWatcher
from sgbus.connectors.webhook.signing import new_secret
from sgbus.producers.publisher import Publisher
from sgbus.stack.local import LocalStack
from sgbus.stack.testing import StackEndpoints, endpoints_of, throwaway_stack_config
from tests.integration.bus_helpers import results


def timed(progress: Callable[[], int], n: int, proc: ConnectorProcess) -> float:
    """Seconds from the first record done to the n-th."""
    first = None
    deadline = time.monotonic() + 600
    while True:
        done = progress()
        now = time.monotonic()
        if done and first is None:
            first = now
        if done >= n:
            assert first is not None
            return max(now - first, 1e-3)
        assert proc.alive(), proc.log_text()[-2000:]
        assert now < deadline, f"only {done} of {n} in 10 minutes"
        time.sleep(0.05)


class Targets:
    """Where the SQL bridge's tables live: a SQLite file per run, or a fresh database per run
    on one PostgreSQL server."""

    def __init__(self, db: str) -> None:
        self.server = None
        if db == "postgresql":
            from tests.fixtures.postgres import PrivateServer

            self.server = PrivateServer()
            self.server.start()

    def url(self, tmp: Path) -> str:
        """A new, empty database for one run."""
        if self.server is None:
            return f"sqlite:///{tmp / 'dept.db'}"
        import psycopg

        name = f"bench_{tmp.name.replace('-', '_')}"
        dsn = self.server.url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.server.url.rsplit("/", 1)[0] + f"/{name}"

    def close(self) -> None:
        if self.server is not None:
            self.server.remove()


TARGETS: Targets


def sdk_run(stack: StackEndpoints, tmp: Path, kind: str, n: int) -> tuple[float, float]:
    """The publisher SDK in this process: ``publish_many`` of n approval results."""
    bus = ConformanceBus.fresh(stack, "bench-sdk")
    events = [
        e.model_copy(update={"envelope": e.envelope.model_copy(update={"sender": bus.party})})
        for e in results(n, seed=9, matters=["WH-A1-001"], base_serial=9_000_000)
    ]
    with Publisher(bus.party, bus.settings) as publisher:
        publisher.publish_many(events[:10])  # connect and fetch the schema id first
        start = time.monotonic()
        publisher.publish_many(events[10:])
        seconds = time.monotonic() - start
    return (n - 10) / seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sink_run(stack: StackEndpoints, tmp: Path, kind: str, n: int) -> tuple[float, float]:
    bus = ConformanceBus.fresh(stack, f"bench-{kind}")
    bus.feed(n)
    config: dict[str, Any] = {"party": bus.party, "batch_size": 500,
                              "state_db": f"sqlite:///{tmp / 'state.db'}"}  # fmt: skip
    if kind == "webhook":
        receiver = WebhookReceiver(new_secret())
        config |= {"url": receiver.url, "secret": receiver.secret}
        progress: Callable[[], int] = lambda: len(receiver.stored)  # noqa: E731
    else:
        url = TARGETS.url(tmp)
        config |= {"url": url}
        engine, table = create_engine(url), inbox_table()
        table.metadata.create_all(engine)

        def progress() -> int:
            with engine.connect() as conn:
                return len(conn.execute(select(table.c.event_id)).all())

    proc = ConnectorProcess(kind, config, tmp, bus.environment())
    proc.start()
    try:
        seconds = timed(progress, n, proc)
        return n / seconds, proc.peak_rss_mib()
    finally:
        proc.stop()
        if kind == "webhook":
            receiver.close()


def source_run(stack: StackEndpoints, tmp: Path, kind: str, n: int) -> tuple[float, float]:
    bus = ConformanceBus.fresh(stack, f"bench-{kind}")
    events = [
        e.model_copy(update={"envelope": e.envelope.model_copy(update={"sender": bus.party})})
        for e in results(n, seed=7, matters=["WH-A1-001"], base_serial=7_000_000)
    ]
    config: dict[str, Any] = {"party": bus.party, "batch_size": 500, "poll_interval_s": 0.1,
                              "state_db": f"sqlite:///{tmp / 'state.db'}"}  # fmt: skip
    if kind == "sql-outbox":
        url = TARGETS.url(tmp)
        engine, table = create_engine(url), outbox_table()
        table.metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(
                insert(table),
                [{"event_type": "ApprovalResult", "payload": e.model_dump_json()} for e in events],
            )
        config |= {"url": url}
    else:
        folder = tmp / "drop"
        folder.mkdir()
        cols = columns(ApprovalResult)
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append([c.chinese for c in cols])
        for e in events:
            cells = event_to_cells(e)
            sheet.append([cells[c] for c in cols])
        book.save(folder / "batch.xlsx")
        os.utime(folder / "batch.xlsx", (time.time() - 10, time.time() - 10))
        config |= {"folder": str(folder)}
    watcher = OutboxWatcher(stack, bus.party)
    ids = {str(e.envelope.event_id) for e in events}
    proc = ConnectorProcess(kind, config, tmp, bus.environment())
    proc.start()
    try:
        seconds = timed(lambda: len(watcher.seen(ids)), n, proc)
        return n / seconds, proc.peak_rss_mib()
    finally:
        proc.stop()
        watcher.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--only", default=",".join(RUNS), help="comma-separated, of: " + ", ".join(RUNS)
    )
    args = parser.parse_args()
    global TARGETS
    TARGETS = Targets(args.db)
    with tempfile.TemporaryDirectory() as tmp:
        home = Settings().home.expanduser()
        stack = LocalStack(throwaway_stack_config(home, Path(tmp) / "stack"))
        info = stack.up()
        try:
            endpoints = endpoints_of(stack, info, "bench")
            os.environ.update(endpoints.environment())
            for kind in args.only.split(","):
                run = RUNS[kind]
                rates, peaks = [], []
                for i in range(args.runs):
                    work = Path(tmp) / f"{kind}-{i}"
                    work.mkdir()
                    rate, peak = run(endpoints, work, kind, args.records)
                    rates.append(rate)
                    peaks.append(peak)
                print(
                    f"{kind:11s} median {statistics.median(rates):8.0f} records/s"
                    f"  (runs: {', '.join(f'{r:.0f}' for r in rates)})"
                    f"  peak RSS {max(peaks):.0f} MiB",
                    flush=True,
                )
        finally:
            stack.down()
            TARGETS.close()


RUNS: dict[str, Callable[[StackEndpoints, Path, str, int], tuple[float, float]]] = {
    "sdk": sdk_run,
    "webhook": sink_run,
    "sql-inbox": sink_run,
    "sql-outbox": source_run,
    "file-drop": source_run,
}

if __name__ == "__main__":
    main()
