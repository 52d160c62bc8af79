"""The watchdog's interpreters: the worker process gives what the inline one gives, survives
its own death, follows a calendar change and never outlives the service."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sgbus.bus.calendar import WorkingCalendar, default_calendar, parse_override
from sgbus.bus.obligations.ingest import Ingestor
from sgbus.bus.policy import load_preset
from sgbus.bus.serde import Serde, build_serde
from sgbus.consumers.watchdog.audit import RawRecord
from sgbus.consumers.watchdog.interpreters import InlineInterpreter, WorkerInterpreter
from tests.watchdog_kit import audit_headers, city_catalogue
from tests.watchdog_load import LoadGenerator

pytestmark = pytest.mark.integration  # worker processes

ROOT = Path(__file__).resolve().parents[2]
# Every working day of the generated events' month becomes a holiday: deadlines move.
NOVEMBER_OFF = """
holidays:
  - {from: 2026-11-01, to: 2026-11-30, name: 测试}
"""


def records(serde: Serde, n: int = 300) -> list[RawRecord]:
    out = []
    for off, item in enumerate(LoadGenerator(seed=3, prefix="interp").items(n)):
        ev, to = item if isinstance(item, tuple) else (item, None)
        out.append(
            RawRecord("sg.audit", 1, off, serde.encode(ev, "sg.audit"), audit_headers(ev, to))
        )
    out.append(RawRecord("sg.audit", 1, n, b"\x00garbage", None))
    return out


def ingestor(calendar: WorkingCalendar | None = None) -> Ingestor:
    cal = calendar or default_calendar()
    return Ingestor(load_preset("anqiu"), cal, city_catalogue("anqiu"))


def test_worker_interprets_as_inline_does() -> None:
    serde = build_serde(None)
    batch = records(serde)
    inline = InlineInterpreter(serde, ingestor())
    worker = WorkerInterpreter(None, serde, ingestor())
    try:
        got = worker.result(worker.submit(batch), batch)
    finally:
        worker.close()
    want = inline.result(inline.submit(batch), batch)
    assert got == want
    assert sum(len(i.openings) for i in got) > 100
    assert got[-1].decode_error is not None and "sg.audit[1]" in got[-1].decode_error
    assert [i.offset for i in got] == [r.offset for r in batch]


def test_a_dead_worker_costs_nothing_but_time() -> None:
    serde = build_serde(None)
    batch = records(serde, 50)
    worker = WorkerInterpreter(None, serde, ingestor())
    try:
        first = worker.result(worker.submit(batch), batch)
        (proc,) = [p for p in multiprocessing.active_children() if "SpawnProcess" in p.name]
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(10)
        again = worker.result(worker.submit(batch), batch)  # interpreted here this time
        third = worker.result(worker.submit(batch), batch)  # by a new worker
    finally:
        worker.close()
    assert first == again == third


def test_worker_follows_a_calendar_change() -> None:
    serde = build_serde(None)
    batch = records(serde, 100)
    worker = WorkerInterpreter(None, serde, ingestor())
    november_off = WorkingCalendar([parse_override(NOVEMBER_OFF, "nov.yaml")])
    try:
        before = worker.result(worker.submit(batch), batch)
        worker.use_calendar(november_off)
        after = worker.result(worker.submit(batch), batch)
    finally:
        worker.close()
    inline = InlineInterpreter(serde, ingestor(november_off))
    assert after == inline.result(inline.submit(batch), batch)
    assert after != before


PARENT = """
import sys, time
from sgbus.bus.serde import build_serde
from sgbus.consumers.watchdog.interpreters import WorkerInterpreter
from tests.integration.test_watchdog_interpreters import ingestor, records
import multiprocessing
if __name__ == "__main__":
    serde = build_serde(None)
    w = WorkerInterpreter(None, serde, ingestor())
    batch = records(serde, 5)
    w.result(w.submit(batch), batch)
    print(*[p.pid for p in multiprocessing.active_children() if "SpawnProcess" in p.name])
    sys.stdout.flush()
    time.sleep(600)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_worker_exits_when_the_service_is_killed() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        (worker_pid,) = map(int, parent.stdout.readline().split())
        assert Path(f"/proc/{worker_pid}").exists()
    finally:
        parent.kill()
        parent.wait(10)
    deadline = time.monotonic() + 10
    while _alive(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(worker_pid), "the worker outlived the killed service"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its parent's wait is missing
