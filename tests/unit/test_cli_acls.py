"""``sgbus acls plan | apply`` on a fake admin client that keeps ACLs in a set."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException
from typer.testing import CliRunner

from sgbus.bus.acls import Grant, Operation, PatternType, ResourceType, desired_acls
from sgbus.bus.acls.cluster import from_binding, to_binding
from sgbus.bus.catalogue import example_catalogue
from sgbus.cli import _register, app

STALE = Grant("User:intruder", ResourceType.TOPIC, "sg.audit", PatternType.LITERAL, Operation.WRITE)
UNRELATED = Grant(
    "User:billing", ResourceType.TOPIC, "billing", PatternType.LITERAL, Operation.READ
)


def _done(value: Any = None, error: Exception | None = None) -> Future[Any]:
    future: Future[Any] = Future()
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)
    return future


class SetAdmin:
    """describe/create/delete ACLs on an in-memory set, as the broker would."""

    def __init__(self, grants: set[Grant], error: int | None = None) -> None:
        self.grants, self.error = set(grants), error

    def describe_acls(self, _filter: Any, **_kw: Any) -> Future[Any]:
        if self.error is not None:
            return _done(error=KafkaException(KafkaError(self.error)))
        return _done([to_binding(g) for g in self.grants])

    def create_acls(self, bindings: list[Any], **_kw: Any) -> dict[Any, Future[Any]]:
        self.grants |= {g for g in map(from_binding, bindings) if g is not None}
        return {b: _done() for b in bindings}

    def delete_acls(self, filters: list[Any], **_kw: Any) -> dict[Any, Future[Any]]:
        self.grants -= {g for g in map(from_binding, filters) if g is not None}
        return {f: _done([f]) for f in filters}


def run(monkeypatch: pytest.MonkeyPatch, admin: SetAdmin, command: str) -> Any:
    monkeypatch.delenv("SGBUS_CATALOGUE", raising=False)
    monkeypatch.setattr("sgbus.cli.acls.make_admin", lambda _settings: admin)
    _register()
    return CliRunner().invoke(app, ["acls", command])


def desired() -> set[Grant]:
    return desired_acls([*example_catalogue().parties_by_id, "watchdog"])


def test_plan_prints_the_diff_and_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    missing = next(iter(sorted(desired())))
    admin = SetAdmin((desired() - {missing}) | {STALE, UNRELATED})
    result = run(monkeypatch, admin, "plan")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"grant  {missing.describe()}",
        f"revoke {STALE.describe()}",
    ]
    assert admin.grants == (desired() - {missing}) | {STALE, UNRELATED}


def test_apply_twice_then_nothing_to_change(monkeypatch: pytest.MonkeyPatch) -> None:
    admin = SetAdmin({STALE, UNRELATED})
    first = run(monkeypatch, admin, "apply")
    assert first.exit_code == 0, first.output
    assert first.output.splitlines()[-1] == f"{len(desired())} ACLs created, 1 deleted"
    assert admin.grants == desired() | {UNRELATED}
    second = run(monkeypatch, admin, "apply")
    assert second.output.splitlines() == ["nothing to change"]
    assert run(monkeypatch, admin, "plan").output.splitlines() == ["nothing to change"]


def test_a_broker_without_authorizer_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = run(monkeypatch, SetAdmin(set(), error=KafkaError.SECURITY_DISABLED), "plan")
    assert result.exit_code == 1
    assert "the broker has no authorizer; is the stack running with --insecure?" in result.output
