"""Avro schema-resolution compatibility: can a reader schema read what a writer schema wrote?

Implements the reader/writer rules of the Avro specification ("Schema Resolution") over
self-contained JSON schemas: records (fields matched by name or reader alias; a reader field missing
from the writer needs a default), enums (writer symbols unknown to the reader need a reader
default), fixed (same size), arrays, maps, unions (each writer branch must be readable; a
non-union writer needs a matching reader branch), and the numeric/string promotions. Logical types
are compared too: changing or dropping one (e.g. timestamp-millis to plain long) is reported as
incompatible even though the bytes would resolve, because readers would silently get other values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sgbus.bus.contracts.schema_set import PRIMITIVES, JsonSchema, qualify

_PROMOTIONS = {
    "int": {"long", "float", "double"},
    "long": {"float", "double"},
    "float": {"double"},
    "string": {"bytes"},
    "bytes": {"string"},
}
_NAMED = ("record", "enum", "fixed", "error")


class Level(StrEnum):
    """Compatibility levels, named as in Confluent-compatible registries."""

    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"
    NONE = "NONE"


@dataclass(frozen=True)
class Incompatibility:
    """One reason a reader cannot read a writer's data, at a field path."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def _index_names(schema: JsonSchema, namespace: str, names: dict[str, dict[str, Any]]) -> None:
    if isinstance(schema, list):
        for branch in schema:
            _index_names(branch, namespace, names)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in _NAMED:
            fullname = qualify(schema["name"], str(schema.get("namespace", namespace)))
            names[fullname] = {**schema, "_fullname": fullname}
            namespace = fullname.rpartition(".")[0]
            for fld in schema.get("fields", []):
                _index_names(fld["type"], namespace, names)
        elif kind == "array":
            _index_names(schema["items"], namespace, names)
        elif kind == "map":
            _index_names(schema["values"], namespace, names)


class _Side:
    """One schema with its name table, able to resolve references to definitions."""

    def __init__(self, root: JsonSchema) -> None:
        self.names: dict[str, dict[str, Any]] = {}
        _index_names(root, "", self.names)

    def node(self, schema: JsonSchema, namespace: str) -> tuple[dict[str, Any] | list[Any], str]:
        """Normalise to a dict (or a union list) and the namespace its children resolve in."""
        if isinstance(schema, list):
            return schema, namespace
        if isinstance(schema, str):
            if schema in PRIMITIVES:
                return {"type": schema}, namespace
            fullname = qualify(schema, namespace)
            if fullname not in self.names:
                raise KeyError(f"unknown type {schema!r}")
            schema = self.names[fullname]
        if schema.get("type") in _NAMED:
            fullname = qualify(schema["name"], str(schema.get("namespace", namespace)))
            return {**schema, "_fullname": fullname}, fullname.rpartition(".")[0]
        return schema, namespace


def _short(fullname: str) -> str:
    return fullname.rsplit(".", 1)[-1]


def _kind(node: dict[str, Any] | list[Any]) -> str:
    return "union" if isinstance(node, list) else str(node["type"])


def _describe(node: dict[str, Any] | list[Any]) -> str:
    if isinstance(node, list):
        return "union"
    kind = str(node["type"])
    if kind in _NAMED:
        return f"{kind} {_short(node['_fullname'])}"
    logical = node.get("logicalType")
    return f"{kind} ({logical})" if logical else kind


def _names_match(reader: dict[str, Any], writer: dict[str, Any]) -> bool:
    aliases = {_short(a) for a in reader.get("aliases", [])}
    return (
        _short(reader["_fullname"]) == _short(writer["_fullname"])
        or _short(writer["_fullname"]) in aliases
    )


class _Checker:
    def __init__(self, reader_root: JsonSchema, writer_root: JsonSchema) -> None:
        self.reader = _Side(reader_root)
        self.writer = _Side(writer_root)
        self.problems: list[Incompatibility] = []
        self._seen: set[tuple[str, str]] = set()

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Incompatibility(path, message))

    def check(self, r: JsonSchema, rns: str, w: JsonSchema, wns: str, path: str) -> None:
        rnode, rinner = self.reader.node(r, rns)
        wnode, winner = self.writer.node(w, wns)
        if isinstance(wnode, list):
            for branch in wnode:
                self.check(r, rns, branch, wns, path)
            return
        if isinstance(rnode, list):
            chosen = self._pick_branch(rnode, rns, wnode)
            if chosen is None:
                self.fail(
                    path, f"the reader's union has no branch for the writer's {_describe(wnode)}"
                )
                return
            self.check(chosen, rns, w, wns, path)
            return
        self._check_plain(rnode, rinner, wnode, winner, path)

    def _pick_branch(self, branches: list[Any], rns: str, wnode: dict[str, Any]) -> Any | None:
        resolved = [(b, self.reader.node(b, rns)[0]) for b in branches]
        for branch, node in resolved:
            if self._same_kind(node, wnode):
                return branch
        for branch, node in resolved:
            if not isinstance(node, list) and node["type"] in _PROMOTIONS.get(wnode["type"], ()):
                return branch
        return None

    @staticmethod
    def _same_kind(rnode: dict[str, Any] | list[Any], wnode: dict[str, Any]) -> bool:
        if isinstance(rnode, list) or rnode["type"] != wnode["type"]:
            return False
        return rnode["type"] not in _NAMED or _names_match(rnode, wnode)

    def _check_plain(
        self, r: dict[str, Any], rns: str, w: dict[str, Any], wns: str, path: str
    ) -> None:
        rkind, wkind = r["type"], w["type"]
        if rkind != wkind:
            if rkind in _PROMOTIONS.get(wkind, ()):
                self._check_logical(r, w, path)
            else:
                self.fail(path, f"type changed from {_describe(w)} to {_describe(r)}")
            return
        if rkind in _NAMED and not _names_match(r, w):
            self.fail(
                path,
                f"name changed from {_short(w['_fullname'])} to {_short(r['_fullname'])}"
                " (add the old name to 'aliases' to rename)",
            )
            return
        if rkind in ("record", "error"):
            self._check_record(r, rns, w, wns, path)
        elif rkind == "enum":
            self._check_enum(r, w, path)
        elif rkind == "fixed":
            if r.get("size") != w.get("size"):
                self.fail(path, f"fixed size changed from {w.get('size')} to {r.get('size')}")
        elif rkind == "array":
            self.check(r["items"], rns, w["items"], wns, path + "[]")
        elif rkind == "map":
            self.check(r["values"], rns, w["values"], wns, path + "{}")
        else:
            self._check_logical(r, w, path)

    def _check_logical(self, r: dict[str, Any], w: dict[str, Any], path: str) -> None:
        rlog, wlog = r.get("logicalType"), w.get("logicalType")
        if rlog != wlog:
            self.fail(path, f"logical type changed from {wlog or 'none'} to {rlog or 'none'}")
        elif rlog == "decimal" and (r.get("precision"), r.get("scale", 0)) != (
            w.get("precision"),
            w.get("scale", 0),
        ):
            self.fail(path, "decimal precision or scale changed")

    def _check_record(
        self, r: dict[str, Any], rns: str, w: dict[str, Any], wns: str, path: str
    ) -> None:
        pair = (r["_fullname"], w["_fullname"])
        if pair in self._seen:
            return  # a recursive type already under check
        self._seen.add(pair)
        wfields = {f["name"]: f for f in w.get("fields", [])}
        for rfield in r.get("fields", []):
            names = [rfield["name"], *rfield.get("aliases", [])]
            wfield = next((wfields[n] for n in names if n in wfields), None)
            fpath = f"{path}.{rfield['name']}"
            if wfield is None:
                if "default" not in rfield:
                    self.fail(
                        fpath, "field added without a default: data written before cannot be read"
                    )
                continue
            self.check(rfield["type"], rns, wfield["type"], wns, fpath)

    def _check_enum(self, r: dict[str, Any], w: dict[str, Any], path: str) -> None:
        missing = [s for s in w.get("symbols", []) if s not in r.get("symbols", [])]
        if missing and "default" not in r:
            self.fail(path, f"enum symbols {missing} unknown to the reader, which has no default")


def check_read(reader: JsonSchema, writer: JsonSchema, root: str = "") -> list[Incompatibility]:
    """Problems met reading data written with ``writer`` using ``reader`` (empty: compatible)."""
    checker = _Checker(reader, writer)
    if not root:
        node = checker.reader.node(reader, "")[0]
        root = _short(node["_fullname"]) if isinstance(node, dict) and "_fullname" in node else "$"
    checker.check(reader, "", writer, "", root)
    return checker.problems


@dataclass(frozen=True)
class VersionProblem:
    """An incompatibility between the candidate schema and one earlier version."""

    version: int
    direction: str  # "backward": new reads old; "forward": old reads new
    problem: Incompatibility

    def __str__(self) -> str:
        if self.direction == "backward":
            return f"cannot read v{self.version} data: {self.problem}"
        return f"v{self.version} readers cannot read new data: {self.problem}"


def check_level(
    candidate: JsonSchema, earlier: Sequence[tuple[int, JsonSchema]], level: Level
) -> list[VersionProblem]:
    """Check ``candidate`` against earlier versions (oldest first) under a registry-style level."""
    if level == Level.NONE or not earlier:
        return []
    targets = earlier if level.endswith("TRANSITIVE") else earlier[-1:]
    backward = level.startswith(("BACKWARD", "FULL"))
    forward = level.startswith(("FORWARD", "FULL"))
    out: list[VersionProblem] = []
    for version, old in targets:
        if backward:
            out += [VersionProblem(version, "backward", p) for p in check_read(candidate, old)]
        if forward:
            out += [VersionProblem(version, "forward", p) for p in check_read(old, candidate)]
    return out
