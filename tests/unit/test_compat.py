"""Avro reader/writer resolution rules, one by one."""

from __future__ import annotations

from typing import Any

import pytest

from sgbus.bus.contracts.compat import Level, check_level, check_read


def rec(*fields: dict[str, Any], name: str = "R", **extra: Any) -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": "t", "fields": list(fields), **extra}


def f(name: str, type_: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **extra}


def problems(reader: Any, writer: Any) -> list[str]:
    return [str(p) for p in check_read(reader, writer)]


def test_identical_is_compatible() -> None:
    s = rec(f("a", "int"), f("b", {"type": "array", "items": "string"}))
    assert problems(s, s) == []


def test_added_field_needs_default() -> None:
    old = rec(f("a", "int"))
    assert problems(rec(f("a", "int"), f("b", "string")), old) == [
        "R.b: field added without a default: data written before cannot be read"
    ]
    assert problems(rec(f("a", "int"), f("b", ["null", "string"], default=None)), old) == []


def test_removed_field_is_fine_for_the_new_reader_only() -> None:
    old, new = rec(f("a", "int"), f("b", "string")), rec(f("a", "int"))
    assert problems(new, old) == []  # backward: new reader skips b
    assert problems(old, new) == [
        "R.b: field added without a default: data written before cannot be read"
    ]


@pytest.mark.parametrize(
    ("writer", "reader"),
    [
        ("int", "long"),
        ("int", "float"),
        ("int", "double"),
        ("long", "double"),
        ("float", "double"),
        ("string", "bytes"),
        ("bytes", "string"),
    ],
)
def test_promotions(writer: str, reader: str) -> None:
    assert problems(rec(f("x", reader)), rec(f("x", writer))) == []


@pytest.mark.parametrize(
    ("writer", "reader"),
    [("long", "int"), ("double", "float"), ("string", "int"), ("boolean", "int")],
)
def test_narrowing_or_unrelated_types_fail(writer: str, reader: str) -> None:
    assert problems(rec(f("x", reader)), rec(f("x", writer))) == [
        f"R.x: type changed from {writer} to {reader}"
    ]


def test_enum_new_symbol_needs_reader_default() -> None:
    old = {"type": "enum", "name": "E", "symbols": ["A", "B"]}
    new = {"type": "enum", "name": "E", "symbols": ["A", "B", "C"]}
    assert problems(rec(f("e", new)), rec(f("e", old))) == []  # reader knows more
    assert problems(rec(f("e", old)), rec(f("e", new))) == [
        "R.e: enum symbols ['C'] unknown to the reader, which has no default"
    ]
    old_with_default = {**old, "default": "A"}
    assert problems(rec(f("e", old_with_default)), rec(f("e", new))) == []


def test_named_types_must_keep_their_name_unless_aliased() -> None:
    writer = rec(f("a", "int"), name="Old")
    assert problems(rec(f("a", "int"), name="New"), writer) == [
        "R: name changed from Old to New (add the old name to 'aliases' to rename)".replace(
            "R:", "New:"
        )
    ]
    assert problems(rec(f("a", "int"), name="New", aliases=["Old"]), writer) == []


def test_field_alias_matches_renamed_field() -> None:
    writer = rec(f("old_name", "string"))
    assert problems(rec(f("new_name", "string", aliases=["old_name"])), writer) == []


def test_fixed_size_must_match() -> None:
    assert problems(
        rec(f("h", {"type": "fixed", "name": "H", "size": 16})),
        rec(f("h", {"type": "fixed", "name": "H", "size": 32})),
    ) == ["R.h: fixed size changed from 32 to 16"]


def test_arrays_and_maps_recurse() -> None:
    assert (
        problems(
            rec(f("a", {"type": "array", "items": "long"})),
            rec(f("a", {"type": "array", "items": "int"})),
        )
        == []
    )
    assert problems(
        rec(f("m", {"type": "map", "values": "int"})),
        rec(f("m", {"type": "map", "values": "string"})),
    ) == ["R.m{}: type changed from string to int"]
    assert problems(rec(f("a", {"type": "array", "items": "int"})), rec(f("a", "int"))) == [
        "R.a: type changed from int to array"
    ]


def test_unions() -> None:
    # writer non-union, reader union: some branch must read it
    assert problems(rec(f("x", ["null", "long"])), rec(f("x", "int"))) == []
    assert problems(rec(f("x", ["null", "string"])), rec(f("x", "int"))) == [
        "R.x: the reader's union has no branch for the writer's int"
    ]
    # writer union, reader non-union: every writer branch must be readable
    assert problems(rec(f("x", "string")), rec(f("x", ["null", "string"]))) == [
        "R.x: type changed from null to string"
    ]
    # union to union: each writer branch finds a reader branch
    assert problems(rec(f("x", ["null", "string", "int"])), rec(f("x", ["null", "string"]))) == []


def test_logical_types_must_not_change() -> None:
    millis = {"type": "long", "logicalType": "timestamp-millis"}
    micros = {"type": "long", "logicalType": "timestamp-micros"}
    assert problems(rec(f("t", micros)), rec(f("t", millis))) == [
        "R.t: logical type changed from timestamp-millis to timestamp-micros"
    ]
    assert problems(rec(f("t", "long")), rec(f("t", millis))) == [
        "R.t: logical type changed from timestamp-millis to none"
    ]
    dec = {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}
    assert problems(rec(f("d", {**dec, "scale": 3})), rec(f("d", dec))) == [
        "R.d: decimal precision or scale changed"
    ]


def test_references_to_named_types_resolve() -> None:
    inner = {"type": "record", "name": "I", "fields": [f("v", "int")]}
    writer = rec(f("a", inner), f("b", "I"))
    reader_inner = {"type": "record", "name": "I", "fields": [f("v", "long"), f("w", "string")]}
    # a named type is checked once, reported at its first use
    assert problems(rec(f("a", reader_inner), f("b", "I")), writer) == [
        "R.a.w: field added without a default: data written before cannot be read",
    ]


def test_recursive_types_terminate() -> None:
    node = {
        "type": "record",
        "name": "Node",
        "fields": [f("v", "int"), f("next", ["null", "Node"], default=None)],
    }
    assert problems(node, node) == []


def test_levels() -> None:
    v1 = rec(f("a", "int"))
    v2 = rec(f("a", "int"), f("b", "string", default=""))
    v3_removed_b = rec(f("a", "int"))
    v3_added_c = rec(f("a", "int"), f("b", "string", default=""), f("c", "int"))
    earlier = [(1, v1), (2, v2)]
    assert check_level(v3_removed_b, earlier, Level.BACKWARD_TRANSITIVE) == []
    assert check_level(v3_removed_b, earlier, Level.FULL_TRANSITIVE) == []  # b had a default
    assert [str(p) for p in check_level(v3_added_c, earlier, Level.BACKWARD)] == [
        "cannot read v2 data: R.c: field added without a default: data written before"
        " cannot be read"
    ]
    assert len(check_level(v3_added_c, earlier, Level.BACKWARD_TRANSITIVE)) == 2
    assert check_level(v3_added_c, earlier, Level.FORWARD_TRANSITIVE) == []
    assert check_level(v3_added_c, earlier, Level.NONE) == []
    v3_drop_a = rec(f("b", "string", default=""))
    assert [str(p) for p in check_level(v3_drop_a, earlier, Level.FORWARD)] == [
        "v2 readers cannot read new data: R.a: field added without a default: data written before"
        " cannot be read"
    ]
