"""Benchmark: 1,000,000 working-day deadline computations.

Run:  .venv/bin/python bench/calendar_bench.py [--n 1000000] [--repeat 5]

Events are random instants from 2020 to 2027 (so some deadlines are provisional) with random
UTC offsets; periods are 1–10 working days. Prints the median of ``--repeat`` runs per case.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

from sgbus.bus.calendar import WorkingCalendar
from sgbus.bus.policy import load_preset


def _events(n: int, seed: int = 42) -> list[datetime]:
    rng = random.Random(seed)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    span = int((datetime(2027, 12, 20, tzinfo=UTC) - start).total_seconds())
    zones = [timezone(timedelta(hours=h)) for h in (-5, 0, 1, 8, 9)]
    return [
        (start + timedelta(seconds=rng.randrange(span))).astimezone(rng.choice(zones))
        for _ in range(n)
    ]


def _median_seconds(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    t0 = time.perf_counter()
    cal = WorkingCalendar()
    build = time.perf_counter() - t0
    events = _events(args.n)
    periods = [1 + i % 10 for i in range(args.n)]
    policy = load_preset("anqiu")
    days = [e.date() for e in events]

    def deadlines() -> None:
        for event, n in zip(events, periods, strict=True):
            cal.deadline(event, n)

    def policy_deadlines() -> None:
        for event in events:
            policy.deadline("claim", event, cal)

    def add_days() -> None:
        for day, n in zip(days, periods, strict=True):
            cal.add_working_days(day, n)

    print(f"calendar build (2004-2099, cold): {build * 1000:.0f} ms")
    for name, run in (
        ("WorkingCalendar.deadline(aware datetime, N)", deadlines),
        ("Policy.deadline('claim', aware datetime)", policy_deadlines),
        ("WorkingCalendar.add_working_days(date, N)", add_days),
    ):
        seconds = _median_seconds(run, args.repeat)
        rate = args.n / seconds
        print(
            f"{name}: {args.n:,} in {seconds:.2f} s median of {args.repeat}"
            f" ({rate / 1e6:.2f} M/s, {seconds / args.n * 1e6:.2f} µs each)"
        )
    provisional = sum(cal.deadline(e, n).provisional for e, n in zip(events, periods, strict=True))
    print(f"provisional results: {provisional:,} of {args.n:,}")


if __name__ == "__main__":
    main()
