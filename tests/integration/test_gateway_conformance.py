"""The HTTP gateway passes the source conformance suite: run as ``sgbus gateway run``, fed by a
department system that POSTs events and resends while the gateway is away."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import httpx
import pytest

from sgbus.bus.catalogue import example_catalogue
from sgbus.bus.events import Event
from sgbus.bus.kafka_clients import make_admin
from sgbus.bus.security import access_token
from sgbus.bus.settings import Settings
from sgbus.bus.topics import apply, desired_topics
from sgbus.cli.bus import all_parties
from sgbus.connectors.testing.bus import ApprovalResults
from sgbus.connectors.testing.process import ServiceProcess
from sgbus.connectors.testing.source_suite import SourceConformance
from sgbus.stack.testing import StackEndpoints, free_ports

pytestmark = pytest.mark.integration
PARTY = "weihai-approval"
RETRY = {502, 503, 504}


class GatewaySystem:
    """``sgbus gateway run`` on free ports, and the bureau's system posting to it."""

    metrics_name = "gateway"
    party = PARTY

    def __init__(self, stack: StackEndpoints, workdir: Path) -> None:
        self.stack, self.workdir = stack, workdir
        settings = Settings(bootstrap=stack.bootstrap, schema_registry=stack.schema_registry)
        catalogue = example_catalogue()
        apply(make_admin(settings), desired_topics(all_parties(catalogue), settings))
        port, self.metrics_port = free_ports(2)
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            **stack.environment(),
            "SGBUS_BOOTSTRAP": stack.bootstrap,
            "SGBUS_SCHEMA_REGISTRY": stack.schema_registry or "",
            "SGBUS_GATEWAY_PORT": str(port),
            "SGBUS_GATEWAY_RATE": "1000",
            "SGBUS_GATEWAY_BURST": "1000",
            "SGBUS_METRICS_PORT": str(self.metrics_port),
        }
        db = f"sqlite:///{workdir / 'gateway.db'}"
        self.process = ServiceProcess("gateway", ["gateway", "run", "--db", db], workdir, self.env)
        self._refusals: list[str] = []
        self._token: str | None = None
        self._results = ApprovalResults(PARTY)

    def events(self, n: int) -> list[Event]:
        return self._results.make(n)

    def offer(self, events: Sequence[Event]) -> None:
        for event in events:
            self._post_until_taken(json.loads(event.model_dump_json()))

    def offer_invalid(self) -> None:
        (event,) = self.events(1)
        body = json.loads(event.model_dump_json())
        body["licensee"]["uscc"] = "91370000MA3C0XXXX9"  # fails the GB 32100 check digit
        answer = self._post(body)
        assert answer is not None and answer.status_code == 422, answer
        fields = answer.json()["fields"]
        self._refusals.append("; ".join(f"{f['field']}: {f['problem']}" for f in fields))

    def refusals(self) -> list[str]:
        return self._refusals

    def broken_configurations(self) -> Iterable[tuple[ServiceProcess, str]]:
        for i, (name, value) in enumerate(
            [("SGBUS_GATEWAY_PORT", "not-a-port"), ("SGBUS_GATEWAY_RATE", "-1")]
        ):
            workdir = self.workdir / f"bad{i}"
            workdir.mkdir()
            yield (
                ServiceProcess("gateway", self.process.args, workdir, {**self.env, name: value}),
                name,
            )

    def _post_until_taken(self, body: dict[str, object]) -> None:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            answer = self._post(body)
            if answer is not None and answer.status_code == 202:
                return
            if answer is not None and answer.status_code not in RETRY:
                raise AssertionError(f"gateway answered {answer.status_code}: {answer.text}")
            time.sleep(0.3)  # away or restarting: a department system sends again
        raise AssertionError("the gateway did not take the event in time")

    def _post(self, body: dict[str, object]) -> httpx.Response | None:
        if self._token is None:
            self._token = access_token(self.stack.credentials_of(PARTY))
        try:
            answer = httpx.post(
                f"{self.url}/v1/events",
                json=body,
                headers={"Authorization": f"Bearer {self._token}"},
                timeout=60,
            )
        except httpx.TransportError:
            return None
        if answer.status_code == 401:
            self._token = None
            return None
        return answer


class TestGatewayConformance(SourceConformance):
    @pytest.fixture
    def source(self, stack: StackEndpoints, tmp_path: Path) -> Iterator[GatewaySystem]:
        system = GatewaySystem(stack, tmp_path)
        try:
            yield system
        finally:
            system.process.stop()
