"""Local stack start-up: cold provisioning, warm ``up`` (median of N) and resident memory.

    .venv/bin/python bench/stack_startup.py            # warm runs only, on throw-away ports
    .venv/bin/python bench/stack_startup.py --cold     # also a first run with empty caches

``--cold`` uses a new SGBUS_HOME and an empty Maven repository (``-Dmaven.repo.local`` through
MAVEN_OPTS), so everything is downloaded from Maven Central again (~200 MB).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from sgbus.bus.settings import Settings
from sgbus.stack import LocalStack, kafka_version, registry_version
from sgbus.stack.smoke import consume_event, ensure_topic, make_event, produce_event
from sgbus.stack.testing import throwaway_stack_config


def timed_up(stack: LocalStack) -> float:
    began = time.monotonic()
    stack.up()
    return time.monotonic() - began


def cold_run(scratch: Path) -> float:
    """First ``up`` with empty caches: downloads, storage format, start, readiness."""
    os.environ["MAVEN_OPTS"] = f"-Dmaven.repo.local={scratch / 'm2'}"
    stack = LocalStack(throwaway_stack_config(scratch / "home", scratch / "state"))
    try:
        return timed_up(stack)
    finally:
        stack.down()
        del os.environ["MAVEN_OPTS"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"Kafka {kafka_version()}, Apicurio Registry {registry_version()}")
    with tempfile.TemporaryDirectory(prefix="sgbus-bench-") as tmp:
        scratch = Path(tmp)
        if args.cold:
            print(f"cold up (downloads included): {cold_run(scratch / 'cold'):.1f} s")
        home = Settings().home.expanduser()
        stack = LocalStack(throwaway_stack_config(home, scratch / "warm"))
        print(f"first up of a new state dir (format included): {timed_up(stack):.1f} s")
        ensure_topic(stack.cfg.bootstrap)
        event = make_event(1)
        produce_event(stack.cfg.bootstrap, stack.cfg.registry_url, event)
        consume_event(stack.cfg.bootstrap, stack.cfg.registry_url, event["event_id"], "bench")
        rows = {row.role: row for row in stack.status()}
        for role, row in rows.items():
            print(f"{role} RSS after one round trip: {(row.rss_kib or 0) / 1024:.0f} MiB")
        warm = []
        for _ in range(args.runs):
            stack.down()
            warm.append(timed_up(stack))
        stack.down()
        runs = ", ".join(f"{t:.1f}" for t in warm)
        print(f"warm up (down, then up): median {statistics.median(warm):.1f} s ({runs})")


if __name__ == "__main__":
    main()
