"""The compatibility gate behind ``sgbus schemas check`` and ``sgbus schemas register``.

Offline, every event schema is compared with each frozen earlier version in
``schemas/avro/history/<Name>/v<N>.avsc``; a changed schema must raise its ``version`` and get a
snapshot. Online (a registry is configured), the registry is asked too.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sgbus.bus.contracts.codegen import generate
from sgbus.bus.contracts.compat import Level, check_level
from sgbus.bus.contracts.forms import resolution_form
from sgbus.bus.contracts.history import Snapshot
from sgbus.bus.contracts.lint import lint_schema_set
from sgbus.bus.contracts.schema_set import SchemaSet

DEFAULT_LEVEL = Level.FULL_TRANSITIVE


@dataclass
class GateReport:
    """What the gate found: errors fail the gate, notes are for information."""

    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing blocks the change."""
        return not self.errors


def check_history(
    schema_set: SchemaSet, history: Mapping[str, list[Snapshot]], level: Level = DEFAULT_LEVEL
) -> GateReport:
    """Check each event against its snapshots: version discipline, compatibility at ``level``."""
    report = GateReport()
    for gone in sorted(set(history) - set(schema_set.event_names)):
        report.errors.append(
            f"{gone}: event removed, consumers may still expect it (history/{gone})"
        )
    for name in schema_set.event_names:
        _check_event(schema_set, name, history.get(name, []), level, report)
    return report


def _check_event(
    schema_set: SchemaSet, name: str, snaps: list[Snapshot], level: Level, report: GateReport
) -> None:
    version = schema_set.version(name)
    current = schema_set.expand(name)
    by_version = {s.version: s for s in snaps}
    ahead = [v for v in by_version if v > version]
    if ahead:
        report.errors.append(
            f"{name}: history has v{max(ahead)}, the schema says version {version}"
        )
        return
    frozen = by_version.get(version)
    if frozen is None:
        report.errors.append(f"{name}: v{version} has no snapshot; run `sgbus schemas snapshot`")
    elif resolution_form(frozen.schema) != resolution_form(current):
        report.errors.append(
            f"{name}: changed since v{version} was frozen; raise its 'version' to {version + 1}"
            " and run `sgbus schemas snapshot`"
        )
    # The frozen current version is included: an unbumped edit is also checked for what it breaks.
    earlier = [(s.version, s.schema) for s in snaps]
    for problem in check_level(current, earlier, level):
        report.errors.append(f"{name}: {problem}")
    older = [v for v, _ in earlier if v < version]
    if older:
        report.notes.append(f"{name} v{version}: checked against v{older[0]}..v{older[-1]}")


def check_generated_models(schema_set: SchemaSet, models_file: Path) -> list[str]:
    """An error if the generated models differ from what the schemas generate now."""
    if not models_file.exists() or models_file.read_text(encoding="utf-8") != generate(schema_set):
        return [f"{models_file}: models are out of date; run `sgbus schemas codegen`"]
    return []


def check_offline(
    schema_set: SchemaSet,
    history: Mapping[str, list[Snapshot]],
    known_checks: Collection[str],
    models_file: Path | None = None,
    level: Level = DEFAULT_LEVEL,
) -> GateReport:
    """House rules, generated models and history compatibility, without any network."""
    report = check_history(schema_set, history, level)
    report.errors[:0] = lint_schema_set(schema_set, known_checks)
    if models_file is not None:
        report.errors += check_generated_models(schema_set, models_file)
    return report


def _schema(schema_set: SchemaSet, name: str) -> Any:
    from confluent_kafka.schema_registry import Schema

    text = json.dumps(schema_set.expand(name), ensure_ascii=False, separators=(",", ":"))
    return Schema(text, "AVRO")


def _is_not_found(exc: Exception) -> bool:
    return getattr(exc, "http_status_code", None) == 404


def check_registry(schema_set: SchemaSet, client: Any) -> GateReport:
    """Ask the registry whether each event's schema fits its registered versions."""
    report = GateReport()
    for name in schema_set.event_names:
        subject = schema_set.get(name).fullname
        try:
            ok = client.test_compatibility(subject, _schema(schema_set, name))
        except Exception as exc:
            if _is_not_found(exc):
                report.notes.append(f"{subject}: not registered yet")
                continue
            # Usually the registry is unreachable: one line says so better than one per event.
            report.errors.append(f"{subject}: registry check failed, stopped: {exc}")
            break
        if not ok:
            report.errors.append(f"{subject}: the registry rejects it as incompatible")
    return report


def register_all(schema_set: SchemaSet, client: Any, level: Level = DEFAULT_LEVEL) -> GateReport:
    """Set each subject's compatibility level, then register each event's schema under it."""
    report = GateReport()
    for name in schema_set.event_names:
        subject = schema_set.get(name).fullname
        try:
            client.set_compatibility(subject_name=subject, level=str(level))
        except Exception as exc:
            report.notes.append(f"{subject}: could not set compatibility {level}: {exc}")
        try:
            schema_id = client.register_schema(subject, _schema(schema_set, name))
        except Exception as exc:
            if getattr(exc, "http_status_code", None) is None:
                report.errors.append(f"{subject}: registry unreachable, stopped: {exc}")
                break
            report.errors.append(f"{subject}: registration refused: {exc}")
            continue
        report.notes.append(f"{subject}: id {schema_id}")
    return report
