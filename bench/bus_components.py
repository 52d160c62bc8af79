"""Per-record cost of the bus's own code, without a broker: what caps the end-to-end rate.

    .venv/bin/python bench/bus_components.py [--records 2000] [--repeats 5] [--profile NAME]

Cases (records per second, median of the repeats):

- ``validate_event``: field checks and record/event rules of one approval result;
- ``route_record``: what the router does per consumed record (decode, validate, decide, outputs);
- ``department batch``: what a department service does per batch of 500 inbox records with
  claim on receipt (decode, store, build + encode + enqueue the claims, mark them claimed, offsets),
  on a SQLite file in a temporary folder; Kafka is replaced by a stand-in that only takes the
  offset commit;
- ``serde decode`` / ``serde encode`` of the same approval results.

``--tune-gc`` applies the garbage-collector settings the router and department processes use.
``--profile NAME`` runs one case under cProfile and prints the 25 most expensive functions.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import logging
import pstats
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog

from sgbus.bus.catalogue import example_catalogue
from sgbus.bus.events import Event
from sgbus.bus.gc_tuning import tune_for_service
from sgbus.bus.serde import Serde, build_serde
from sgbus.bus.settings import Settings
from sgbus.bus.validation import validate_event
from sgbus.consumers.department.service import DepartmentConfig, DepartmentService
from sgbus.consumers.router.directory import CatalogueDirectory
from sgbus.consumers.router.process import route_record
from sgbus.consumers.router.records import InRecord
from sgbus.demo.synthetic import approval_result

Case = Callable[[], Callable[[], None]]
CATALOGUE = example_catalogue()
SENDER = "weihai-approval"
OUTBOX = f"sg.{SENDER}.outbox"


def make_events(n: int) -> list[Event]:
    """``n`` approval results of matters each supervised by one department in 371000."""
    matters = [
        m
        for m in CATALOGUE.matters
        if not m.per_region and len(CATALOGUE.supervisors_of(m.code, "371000")) == 1
    ][:3]
    rng = random.Random(5)
    at = dt.datetime(2026, 11, 20, 2, tzinfo=dt.UTC)
    return [
        approval_result(
            matters[i % 3], 1000 + i, sender=SENDER, region="371000", decided_at=at, rng=rng
        )
        for i in range(n)
    ]


class _Msg:
    """Enough of a confluent-kafka message for the department service."""

    def __init__(self, topic: str, offset: int, value: bytes) -> None:
        self._t, self._o, self._v = topic, offset, value

    def topic(self) -> str:
        return self._t

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self._o

    def value(self) -> bytes:
        return self._v

    def key(self) -> bytes:
        return b"k"

    def headers(self) -> list[tuple[str, bytes]]:
        return [("traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]

    def error(self) -> None:
        return None


class _NoKafka:
    """Takes the department service's offset mirror commit and nothing else."""

    def commit(self, **_: Any) -> None:
        return None


def department_case(serde: Serde, values: list[bytes], tmp: Path) -> Case:
    """One department service applying ``values`` in batches of 500 to a fresh store per run
    (the service and its store are set up outside the timed part)."""
    runs = iter(range(1_000_000))

    def prepare() -> Callable[[], None]:
        config = DepartmentConfig(
            party="weihai-market",
            db_url=f"sqlite:///{tmp / f'dept{next(runs)}.db'}",
            auto_claim=True,
        )
        svc = DepartmentService(config, Settings(bootstrap="127.0.0.1:9"), serde=serde)
        svc.consumer = _NoKafka()  # type: ignore[assignment]
        topic = "sg.weihai-market.inbox"
        msgs = [_Msg(topic, i, v) for i, v in enumerate(values)]

        def run() -> None:
            for i in range(0, len(msgs), 500):
                svc._apply(msgs[i : i + 500])  # type: ignore[arg-type]

        return run

    return prepare


def stateless(fn: Callable[[], None]) -> Case:
    """A case that needs no fresh state per run."""
    return lambda: fn


def cases(n: int, tmp: Path) -> dict[str, Case]:
    """Name → a preparation that returns one run over ``n`` records."""
    serde = build_serde(None)
    directory = CatalogueDirectory(CATALOGUE)
    events = make_events(n)
    values = [serde.encode(e, OUTBOX) for e in events]
    records = [
        InRecord(OUTBOX, 0, i, b"k", v, {"traceparent": "00-x"}) for i, v in enumerate(values)
    ]

    def validate() -> None:
        for e in events:
            validate_event(e)

    def route() -> None:
        for r in records:
            route_record(r, serde, directory)

    def decode() -> None:
        for v in values:
            serde.decode(v, OUTBOX)

    def encode() -> None:
        for e in events:
            serde.encode(e, OUTBOX)

    return {
        "validate_event": stateless(validate),
        "route_record": stateless(route),
        "department batch (claim on receipt, SQLite)": department_case(serde, values, tmp),
        "serde decode": stateless(decode),
        "serde encode": stateless(encode),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--profile", help="profile one case (a prefix of its name)")
    parser.add_argument(
        "--tune-gc", action="store_true", help="collector settings of the service processes"
    )
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with tempfile.TemporaryDirectory(prefix="sgbus-components-") as tmpdir:
        fns = cases(args.records, Path(tmpdir))
        if args.tune_gc:
            tune_for_service()
        if args.profile:
            name = next(k for k in fns if k.startswith(args.profile))
            fns[name]()()  # warm caches
            prof = cProfile.Profile()
            prof.runcall(fns[name]())
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)
            return
        samples: dict[str, list[float]] = {k: [] for k in fns}
        for prepare in fns.values():
            prepare()()  # warm-up
        for _ in range(args.repeats):
            for name, prepare in fns.items():
                run = prepare()
                start = time.perf_counter()
                run()
                samples[name].append(time.perf_counter() - start)
    print(f"{args.records:,} approval results, median of {args.repeats} runs")
    for name, secs in samples.items():
        print(f"  {name:40s} {args.records / statistics.median(secs):>10,.0f} records/s")


if __name__ == "__main__":
    main()
