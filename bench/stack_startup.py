"""Local stack start-up, secured (with the identity provider) against plaintext, in one run:
cold provisioning, the first ``up`` of a new stack, warm ``up`` (median of N), resident memory.

    .venv/bin/python bench/stack_startup.py            # warm runs only, on throw-away ports
    .venv/bin/python bench/stack_startup.py --cold     # also a first run with empty caches

``--cold`` uses a new SGBUS_HOME and an empty Maven repository (``-Dmaven.repo.local`` through
MAVEN_OPTS), so everything is downloaded from Maven Central again (~200 MB plainly, ~360 MB
with Keycloak) and Keycloak is built once.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from sgbus.bus.settings import Settings
from sgbus.cli.smoke import stack_access
from sgbus.stack import LocalStack, kafka_version, registry_version
from sgbus.stack.smoke import consume_event, ensure_topic, make_event, produce_event
from sgbus.stack.testing import throwaway_stack_config
from sgbus.stack.versions import keycloak_version


def timed_up(stack: LocalStack) -> float:
    began = time.monotonic()
    stack.up()
    return time.monotonic() - began


def cold_run(scratch: Path, secured: bool) -> float:
    """First ``up`` with empty caches: downloads, storage format, start, readiness."""
    os.environ["MAVEN_OPTS"] = f"-Dmaven.repo.local={scratch / 'm2'}"
    stack = LocalStack(throwaway_stack_config(scratch / "home", scratch / "state", secured))
    try:
        return timed_up(stack)
    finally:
        stack.down()
        del os.environ["MAVEN_OPTS"]


def measure(scratch: Path, secured: bool, runs: int, cold: bool) -> None:
    """Print one mode's figures."""
    mode = "secured" if secured else "plaintext"
    if cold:
        print(f"[{mode}] cold up (downloads included): {cold_run(scratch / 'cold', secured):.1f} s")
    home = Settings().home.expanduser()
    stack = LocalStack(throwaway_stack_config(home, scratch / "warm", secured))
    print(f"[{mode}] first up of a new state dir (format, realm): {timed_up(stack):.1f} s")
    kafka, registry = stack_access(stack.cfg)
    ensure_topic(kafka)
    event = make_event(1)
    produce_event(kafka, registry, event)
    consume_event(kafka, registry, event["event_id"], "bench")
    rows = {row.role: row for row in stack.status()}
    total = 0.0
    for role, row in rows.items():
        total += (row.rss_kib or 0) / 1024
        print(f"[{mode}] {role} RSS after one round trip: {(row.rss_kib or 0) / 1024:.0f} MiB")
    print(f"[{mode}] all processes: {total:.0f} MiB")
    warm = []
    for _ in range(runs):
        stack.down()
        warm.append(timed_up(stack))
    stack.down()
    times = ", ".join(f"{t:.1f}" for t in warm)
    print(f"[{mode}] warm up (down, then up): median {statistics.median(warm):.1f} s ({times})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(
        f"Kafka {kafka_version()}, Apicurio Registry {registry_version()},"
        f" Keycloak {keycloak_version()}"
    )
    with tempfile.TemporaryDirectory(prefix="sgbus-bench-") as tmp:
        for secured in (False, True):
            measure(Path(tmp) / str(secured), secured, args.runs, args.cold)


if __name__ == "__main__":
    main()
