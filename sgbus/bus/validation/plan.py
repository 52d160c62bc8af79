"""Validation plans: per event type, only the fields that carry a check or a record rule.

Walking every field of the schema for every event cost most of the router's time per record,
although most fields have nothing to check. A plan is compiled once per event type from the
expanded schema and keeps, in schema order, just the fields with a check, a record rule, or
such fields somewhere below them; running it gives the same issues, in the same order, as
visiting every field depth first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sgbus.bus.contracts.schema_set import PRIMITIVES, qualify
from sgbus.bus.validation.checks import CHECKS, Check
from sgbus.bus.validation.issue import Issue, field_issue
from sgbus.bus.validation.rules import RECORD_RULES, RecordRule


@dataclass(frozen=True, slots=True)
class FieldStep:
    """One field worth visiting: its check, the rule of its record type, what lies below."""

    name: str
    field: dict[str, Any]
    check: Check | None
    rule: RecordRule | None
    below: ValuePlan | None


@dataclass(slots=True)
class RecordPlan:
    """The fields of one record type worth visiting, in schema order (filled after creation,
    so that a record type that contains itself can refer to its own plan)."""

    steps: list[FieldStep] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ArrayPlan:
    """Every item of an array gets ``items``."""

    items: ValuePlan


@dataclass(frozen=True, slots=True)
class MapPlan:
    """Every value of a map gets ``values``."""

    values: ValuePlan


ValuePlan = RecordPlan | ArrayPlan | MapPlan


def record_type(fld: dict[str, Any]) -> str:
    """The short record name a field's record rule is looked up by ("" if none applies)."""
    ftype = fld["type"]
    if isinstance(ftype, list):
        ftype = next((t for t in ftype if t != "null"), None)
    if isinstance(ftype, dict):
        ftype = ftype["items"] if ftype.get("type") == "array" else ftype.get("name")
    return str(ftype).rsplit(".", 1)[-1] if isinstance(ftype, str) else ""


def compile_plan(schema: dict[str, Any]) -> RecordPlan | None:
    """The plan of a self-contained record schema; None when nothing in it has a check or rule."""
    compiler = _Compiler()
    compiler.register(schema, "")
    root, ns = compiler.resolve(schema, "")
    plan = compiler.record(root, ns)
    return plan if plan.steps else None


class _Compiler:
    def __init__(self) -> None:
        self.names: dict[str, dict[str, Any]] = {}
        self.records: dict[str, RecordPlan] = {}
        self.open: set[int] = set()  # ids of record plans being compiled

    def resolve(self, schema: Any, ns: str) -> tuple[Any, str]:
        """A named reference replaced by its definition, and the namespace inside it."""
        if isinstance(schema, str) and schema not in PRIMITIVES:
            schema = self.names[qualify(schema, ns)]
        if isinstance(schema, dict) and schema.get("type") in ("record", "enum", "fixed"):
            fullname = qualify(schema["name"], str(schema.get("namespace", ns)))
            self.names[fullname] = schema
            return schema, fullname.rpartition(".")[0]
        return schema, ns

    def register(self, schema: Any, ns: str) -> None:
        """Learn every named type defined inline, in document order, before compiling."""
        if isinstance(schema, str):
            return  # a primitive, or a name defined earlier in the document
        schema, ns = self.resolve(schema, ns)
        if isinstance(schema, list):
            for branch in schema:
                self.register(branch, ns)
        elif isinstance(schema, dict):
            kind = schema.get("type")
            if kind == "record":
                for fld in schema["fields"]:
                    self.register(fld["type"], ns)
            elif kind == "array":
                self.register(schema["items"], ns)
            elif kind == "map":
                self.register(schema["values"], ns)

    def record(self, schema: dict[str, Any], ns: str) -> RecordPlan:
        fullname = qualify(schema["name"], ns)
        known = self.records.get(fullname)
        if known is not None:
            return known  # compiled already, or being compiled (a recursive type)
        plan = self.records[fullname] = RecordPlan()
        self.open.add(id(plan))
        for fld in schema["fields"]:
            check_name = fld.get("check")
            check = CHECKS[check_name] if check_name else None
            rule = RECORD_RULES.get(record_type(fld))
            below = self.value(fld["type"], ns)
            if check is not None or rule is not None or below is not None:
                plan.steps.append(FieldStep(fld["name"], fld, check, rule, below))
        self.open.discard(id(plan))
        return plan

    def value(self, schema: Any, ns: str) -> ValuePlan | None:
        schema, ns = self.resolve(schema, ns)
        if isinstance(schema, list):
            # as the field walk does: a non-null value is read with the first non-null branch
            branch = next((b for b in schema if b != "null"), "null")
            return self.value(branch, ns)
        if not isinstance(schema, dict):
            return None
        kind = schema.get("type")
        if kind == "record":
            plan = self.record(schema, ns)
            # a type still being compiled (met inside itself) may yet get steps: keep it
            return plan if plan.steps or id(plan) in self.open else None
        if kind == "array":
            items = self.value(schema["items"], ns)
            return ArrayPlan(items) if items is not None else None
        if kind == "map":
            values = self.value(schema["values"], ns)
            return MapPlan(values) if values is not None else None
        return None


def run_record(plan: RecordPlan, data: dict[str, Any], path: str, issues: list[Issue]) -> None:
    """Apply ``plan`` to ``data`` (the record at ``path``), appending what is wrong."""
    for step in plan.steps:
        value = data.get(step.name)
        fpath = f"{path}.{step.name}" if path else step.name
        if step.check is not None and value is not None:
            problem = step.check(value, step.field, data)
            if problem:
                issues.append(field_issue(fpath, step.field, value, problem))
        if step.rule is not None:
            _apply_rule(step.rule, value, fpath, issues)
        if step.below is not None and value is not None:
            _run_value(step.below, value, fpath, issues)


def _apply_rule(rule: RecordRule, value: Any, path: str, issues: list[Issue]) -> None:
    if isinstance(value, dict):
        issues += [Issue(_prefixed(path, p), m) for p, m in rule(value)]
    elif isinstance(value, list):
        for i, item in enumerate(value):
            issues += [Issue(_prefixed(f"{path}[{i}]", p), m) for p, m in rule(item)]


def _run_value(plan: ValuePlan, value: Any, path: str, issues: list[Issue]) -> None:
    if isinstance(plan, RecordPlan):
        run_record(plan, value, path, issues)
    elif isinstance(plan, ArrayPlan):
        for i, item in enumerate(value):
            if item is not None:
                _run_value(plan.items, item, f"{path}[{i}]", issues)
    else:
        for key, item in value.items():
            if item is not None:
                _run_value(plan.values, item, f"{path}{{{key}}}", issues)


def _prefixed(base: str, rel: str) -> str:
    return f"{base}.{rel}" if base else rel
