"""The HTTP gateway against the publisher SDK, on one throw-away secured local stack.

    .venv/bin/python bench/gateway_bench.py                 # 2,000 events each, latency at 200/s

Throughput: the same approval results (distinct ids) published by the bureau through the SDK
(one ``publish_many`` of the lot), then through ``POST /v1/events`` by 8 client threads, each
answered only once the broker has the event. Latency: requests sent at a fixed rate (default
200/s) for ``--seconds``, each timed from send to the ``202``; p50 and p99 reported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from sgbus.bus.security import access_token
from sgbus.bus.settings import Settings
from sgbus.gateway.serve import GatewaySettings, serving_gateway
from sgbus.producers.publisher import Publisher
from sgbus.stack.local import LocalStack
from sgbus.stack.testing import endpoints_of, free_ports, throwaway_stack_config
from tests.integration.bus_helpers import bus_settings, results

APPROVAL = "weihai-approval"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Settings().home.expanduser()
        stack = LocalStack(throwaway_stack_config(home, Path(tmp) / "stack"))
        info = stack.up()
        try:
            endpoints = endpoints_of(stack, info, "bench")
            os.environ.update(endpoints.environment())
            run(endpoints, args, Path(tmp))
        finally:
            stack.down()


def run(endpoints: object, args: argparse.Namespace, tmp: Path) -> None:
    settings = bus_settings(endpoints)
    n = args.events
    sdk_events = results(n, seed=1, matters=["WH-A1-001"], base_serial=1_000_000)
    http_events = results(n, seed=2, matters=["WH-A1-001"], base_serial=2_000_000)
    rate_events = results(int(args.rate * args.seconds), 3, ["WH-A1-001"], 3_000_000)
    with Publisher(APPROVAL, settings) as pub:
        pub.publish_many(sdk_events[:50])  # warm-up: schema ids, connections
        t0 = time.perf_counter()
        pub.publish_many(sdk_events[50:])
        sdk_rate = (n - 50) / (time.perf_counter() - t0)
    (port,) = free_ports(1)
    web = GatewaySettings(port=port, rate=1e6, burst=1e6)
    creds = endpoints.credentials_of(APPROVAL)  # type: ignore[attr-defined]
    # The throw-away stack's tokens live 30 s: a fresh one for each phase.
    headers = {"Authorization": f"Bearer {access_token(creds)}"}
    with serving_gateway(settings, web, f"sqlite:///{tmp / 'gateway.db'}") as url:
        client = httpx.Client(headers=headers, timeout=30)
        bodies = [json.loads(e.model_dump_json()) for e in http_events]

        def post(body: dict[str, object]) -> float:
            started = time.perf_counter()
            got = client.post(f"{url}/v1/events", json=body)
            assert got.status_code == 202, got.text
            return time.perf_counter() - started

        for body in bodies[:50]:
            post(body)
        t0 = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(post, bodies[50:]))
        http_rate = (n - 50) / (time.perf_counter() - t0)
        client.headers["Authorization"] = f"Bearer {access_token(creds)}"
        latencies: list[float] = []
        lock = threading.Lock()
        interval = 1 / args.rate
        start = time.perf_counter()
        futures = []
        with ThreadPoolExecutor(16) as pool:
            for i, event in enumerate(rate_events):
                delay = start + i * interval - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                body = json.loads(event.model_dump_json())

                def timed(b: dict[str, object] = body) -> None:
                    spent = post(b)
                    with lock:
                        latencies.append(spent * 1000)

                futures.append(pool.submit(timed))
        for f in futures:
            f.result()  # a refused request fails the run instead of vanishing
    ordered = sorted(latencies)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    p50 = statistics.median(ordered)
    print(f"publisher SDK, publish_many: {sdk_rate:8,.0f} events/s")
    print(f"gateway, 8 clients:          {http_rate:8,.0f} events/s")
    print(f"ratio gateway / SDK:         {http_rate / sdk_rate:8.3f}")
    print(f"gateway at {args.rate:.0f}/s: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({len(ordered)} req)")


if __name__ == "__main__":
    main()
