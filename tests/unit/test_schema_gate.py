"""`sgbus schemas check`: deliberate breaking changes fail it, compatible ones pass."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sgbus.bus.contracts.paths import schema_dir
from sgbus.bus.contracts.schema_set import SchemaSet
from sgbus.cli import _register, app

_register()
RUNNER = CliRunner()


@pytest.fixture
def schemas(tmp_path: Path) -> Path:
    target = tmp_path / "avro"
    shutil.copytree(schema_dir(), target)
    return target


def edit(folder: Path, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = folder / f"{name}.avsc"
    data = json.loads(path.read_text("utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), "utf-8")


def bump(data: dict[str, Any]) -> None:
    data["version"] += 1


def field(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in data["fields"] if f["name"] == name)


def check(folder: Path | None, *args: str) -> tuple[int, str]:
    argv = ["schemas", "check", "--offline", *args]
    argv += ["--schema-dir", str(folder)] if folder else []
    result = RUNNER.invoke(app, argv)
    return result.exit_code, result.output


def test_repository_schemas_pass() -> None:
    code, out = check(None)
    assert code == 0, out
    assert f"{len(SchemaSet.load().event_names)} events, 0 error(s)" in out


def test_adding_a_required_field_breaks(schemas: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        bump(d)
        d["fields"].append(
            {"name": "risk_level", "type": "string", "doc": "风险等级 — Risk level."}
        )

    edit(schemas, "ApprovalResult", change)
    code, out = check(schemas)
    assert code == 1
    assert (
        "ApprovalResult: cannot read v1 data: ApprovalResult.risk_level:"
        " field added without a default" in out
    )


def test_changing_a_type_breaks(schemas: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        bump(d)
        field(d, "commitment_based")["type"] = "string"
        field(d, "commitment_based")["default"] = "false"

    edit(schemas, "ApprovalResult", change)
    code, out = check(schemas)
    assert code == 1
    assert "ApprovalResult.commitment_based: type changed from boolean to string" in out


def test_removing_a_field_without_default_breaks_old_readers(schemas: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        bump(d)
        d["fields"].remove(field(d, "licence_content"))

    edit(schemas, "ApprovalResult", change)
    code, out = check(schemas)
    assert code == 1
    assert "v1 readers cannot read new data: ApprovalResult.licence_content" in out
    # Under BACKWARD rules alone a removal is allowed: the new reader skips the field.
    code, out = check(schemas, "--level", "BACKWARD_TRANSITIVE")
    assert "licence_content" not in out


def test_a_change_in_a_shared_type_reaches_every_event(schemas: Path) -> None:
    edit(
        schemas,
        "Envelope",
        lambda d: d["fields"].append({"name": "tenant", "type": "string", "doc": "租户 — Tenant."}),
    )
    code, out = check(schemas)
    assert code == 1
    assert out.count("changed since v") == len(SchemaSet.load().event_names)
    assert "Claim: cannot read v1 data: Claim.envelope.tenant" in out


def test_changing_without_a_version_bump_is_refused(schemas: Path) -> None:
    edit(
        schemas,
        "Claim",
        lambda d: d["fields"].append(
            {
                "name": "channel",
                "type": ["null", "string"],
                "default": None,
                "doc": "渠道 — Channel.",
            }
        ),
    )
    code, out = check(schemas)
    assert code == 1
    version = json.loads((schemas / "Claim.avsc").read_text("utf-8"))["version"]
    want = f"Claim: changed since v{version} was frozen; raise its 'version' to {version + 1}"
    assert want in out


def test_compatible_change_passes_once_snapshotted(schemas: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        bump(d)
        d["fields"].append(
            {
                "name": "risk_level",
                "type": ["null", "string"],
                "default": None,
                "doc": "风险等级 — Risk level, if assessed.",
            }
        )

    edit(schemas, "ApprovalResult", change)
    edit(schemas, "LicenceDecisionKind", lambda d: d["symbols"].insert(4, "MERGE"))
    new = json.loads((schemas / "ApprovalResult.avsc").read_text("utf-8"))["version"]
    code, out = check(schemas)
    assert code == 1 and f"ApprovalResult: v{new} has no snapshot" in out
    snap = RUNNER.invoke(app, ["schemas", "snapshot", "--schema-dir", str(schemas)])
    assert f"ApprovalResult/v{new}.avsc" in snap.output
    code, out = check(schemas, "-v")
    assert code == 0, out
    assert f"ApprovalResult v{new}: checked against v1..v{new - 1}" in out


def test_doc_only_change_needs_no_new_version(schemas: Path) -> None:
    edit(schemas, "Claim", lambda d: field(d, "note").update(doc="备注 — Free remarks."))
    assert check(schemas)[0] == 0


def test_house_rules_are_enforced(schemas: Path) -> None:
    edit(schemas, "Claim", lambda d: field(d, "note").pop("doc"))
    edit(schemas, "ClaimMode", lambda d: d.pop("default"))
    code, out = check(schemas)
    assert code == 1
    assert "Claim.avsc: field 'note': has no doc" in out
    assert "ClaimMode.avsc: enum needs a 'default'" in out


def test_removing_an_event_is_refused(schemas: Path) -> None:
    (schemas / "Escalation.avsc").unlink()
    code, out = check(schemas)
    assert code == 1
    assert "Escalation: event removed" in out


def test_unreadable_file_is_named(schemas: Path) -> None:
    (schemas / "Claim.avsc").write_text('{"type": "record",', "utf-8")
    code, out = check(schemas)
    assert code == 1
    assert "Claim.avsc:1:" in out and "not valid JSON" in out


class _FakeRegistry:
    """Answers like a Confluent-compatible registry: unknown subjects 404, others as told."""

    def __init__(self, verdicts: dict[str, bool], down: bool = False) -> None:
        self.verdicts, self.down, self.asked = verdicts, down, 0

    def test_compatibility(self, subject: str, schema: Any) -> bool:
        self.asked += 1
        if self.down:
            raise ConnectionError("connection refused")
        if subject not in self.verdicts:
            error = RuntimeError("Subject not found")
            error.http_status_code = 404  # type: ignore[attr-defined]
            raise error
        return self.verdicts[subject]


def test_registry_check() -> None:
    from sgbus.bus.contracts.gate import check_registry
    from sgbus.bus.contracts.schema_set import SchemaSet

    schema_set = SchemaSet.load()
    report = check_registry(schema_set, _FakeRegistry({"sgbus.events.Claim": False}))
    assert report.errors == ["sgbus.events.Claim: the registry rejects it as incompatible"]
    assert len(report.notes) == len(schema_set.event_names) - 1  # the others: not registered yet
    down = _FakeRegistry({}, down=True)
    report = check_registry(schema_set, down)
    assert (
        down.asked == 1 and "registry check failed, stopped: connection refused" in report.errors[0]
    )


class _RecordingRegistry:
    def __init__(self, refuse: str = "", down: bool = False) -> None:
        self.levels: dict[str, str] = {}
        self.schemas: dict[str, str] = {}
        self.refuse, self.down = refuse, down

    def set_compatibility(self, subject_name: str, level: str) -> str:
        self.levels[subject_name] = level
        return level

    def register_schema(self, subject: str, schema: Any) -> int:
        if self.down:
            raise ConnectionError("connection refused")
        if subject == self.refuse:
            error = RuntimeError("Schema being registered is incompatible")
            error.http_status_code = 409  # type: ignore[attr-defined]
            raise error
        self.schemas[subject] = schema.schema_str
        return len(self.schemas)


def test_register_all_sets_levels_and_registers_record_name_subjects() -> None:
    from sgbus.bus.contracts.gate import register_all
    from sgbus.bus.contracts.schema_set import SchemaSet

    schema_set = SchemaSet.load()
    registry = _RecordingRegistry(refuse="sgbus.events.Claim")
    report = register_all(schema_set, registry)
    subjects = sorted(schema_set.get(n).fullname for n in schema_set.event_names)
    assert sorted(registry.levels) == subjects
    assert set(registry.levels.values()) == {"FULL_TRANSITIVE"}
    assert sorted(registry.schemas) == [s for s in subjects if s != "sgbus.events.Claim"]
    assert json.loads(registry.schemas["sgbus.events.Escalation"]) == schema_set.expand(
        "Escalation"
    )
    assert report.errors == [
        "sgbus.events.Claim: registration refused: Schema being registered is incompatible"
    ]
    down = register_all(schema_set, _RecordingRegistry(down=True))
    assert len(down.errors) == 1 and "unreachable" in down.errors[0]
