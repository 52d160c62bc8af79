"""The pydantic models and the Avro schemas agree: fields, order, types, optionality, enum symbols.

Two guards: the generated module equals what the generator writes from the schemas now, and an
independent structural comparison walks every model against its schema.
"""

from __future__ import annotations

import datetime
import types
import typing
import uuid
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from pydantic import AwareDatetime

from sgbus.bus.contracts.codegen import generate
from sgbus.bus.contracts.schema_set import SchemaSet, qualify
from sgbus.bus.events import EVENT_CLASSES, Record, _models

SCHEMA_SET = SchemaSet.load()


def test_generated_models_are_up_to_date() -> None:
    source = Path(_models.__file__).read_text("utf-8")
    assert source == generate(SCHEMA_SET), "run `sgbus schemas codegen`"


def test_every_event_schema_has_a_model_and_back() -> None:
    assert sorted(EVENT_CLASSES) == SCHEMA_SET.event_names


def _strip(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return datetime.datetime if annotation is AwareDatetime else annotation


def _branches(annotation: Any) -> tuple[list[Any], bool]:
    annotation = _strip(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [_strip(a) for a in typing.get_args(annotation)]
        return [a for a in args if a is not type(None)], type(None) in args
    return [annotation], False


_PRIMITIVE = {
    "string": str,
    "boolean": bool,
    "int": int,
    "long": int,
    "bytes": bytes,
    "double": float,
}
_LOGICAL = {"uuid": uuid.UUID, "date": datetime.date, "timestamp-millis": datetime.datetime}


class Mismatch(AssertionError):
    pass


def _compare(avro: Any, annotation: Any, path: str, names: dict[str, Any], ns: str) -> None:
    branches, nullable = _branches(annotation)
    avro_nullable = isinstance(avro, list) and "null" in avro
    if nullable != avro_nullable:
        raise Mismatch(f"{path}: optional in {'model' if nullable else 'schema'} only")
    if isinstance(avro, list):
        avro = next(b for b in avro if b != "null")
    (py,) = branches
    if isinstance(avro, str) and avro in _PRIMITIVE:
        if py is not _PRIMITIVE[avro]:
            raise Mismatch(f"{path}: schema {avro}, model {py}")
        return
    if isinstance(avro, str):
        avro = names[qualify(avro, ns)]
    kind = avro["type"]
    if kind == "array":
        if typing.get_origin(py) is not list:
            raise Mismatch(f"{path}: schema array, model {py}")
        _compare(avro["items"], typing.get_args(py)[0], path + "[]", names, ns)
    elif kind == "map":
        if typing.get_origin(py) is not dict:
            raise Mismatch(f"{path}: schema map, model {py}")
        _compare(avro["values"], typing.get_args(py)[1], path + "{}", names, ns)
    elif kind == "enum":
        fullname = qualify(avro["name"], avro.get("namespace", ns))
        names[fullname] = avro
        if not (isinstance(py, type) and issubclass(py, StrEnum)) or py.__name__ != avro["name"]:
            raise Mismatch(f"{path}: schema enum {avro['name']}, model {py}")
        if [m.value for m in py] != avro["symbols"]:
            raise Mismatch(f"{path}: enum symbols differ")
    elif kind == "record":
        _compare_record(avro, py, path, names, ns)
    elif "logicalType" in avro:
        if py is not _LOGICAL[avro["logicalType"]]:
            raise Mismatch(f"{path}: schema {avro['logicalType']}, model {py}")
    elif py is not _PRIMITIVE[kind]:
        raise Mismatch(f"{path}: schema {kind}, model {py}")


def _compare_record(
    avro: dict[str, Any], model: Any, path: str, names: dict[str, Any], ns: str
) -> None:
    fullname = qualify(avro["name"], avro.get("namespace", ns))
    names[fullname] = avro
    ns = fullname.rpartition(".")[0]
    if not (isinstance(model, type) and issubclass(model, Record)) or fullname != model.AVRO_NAME:
        raise Mismatch(f"{path}: schema record {fullname}, model {model}")
    fields = model.model_fields
    if list(fields) != [f["name"] for f in avro["fields"]]:
        raise Mismatch(f"{path or fullname}: fields differ: {list(fields)} vs schema")
    for fld in avro["fields"]:
        info = fields[fld["name"]]
        fpath = f"{path}.{fld['name']}" if path else fld["name"]
        if info.is_required() != ("default" not in fld):
            raise Mismatch(
                f"{fpath}: default in {'schema' if info.is_required() else 'model'} only"
            )
        _compare(fld["type"], info.annotation, fpath, names, ns)


@pytest.mark.parametrize("name", sorted(EVENT_CLASSES))
def test_model_matches_schema(name: str) -> None:
    _compare_record(SCHEMA_SET.expand(name), EVENT_CLASSES[name], "", {}, "")


def test_comparison_catches_a_difference() -> None:
    schema = SCHEMA_SET.expand("Claim")
    schema["fields"][3]["type"] = ["null", "string"]  # 'mode' made optional in the schema only
    with pytest.raises(Mismatch, match="mode"):
        _compare_record(schema, EVENT_CLASSES["Claim"], "", {}, "")
    schema = SCHEMA_SET.expand("Claim")
    schema["fields"][3]["type"]["symbols"].append("DELEGATED")
    with pytest.raises(Mismatch, match="enum symbols"):
        _compare_record(schema, EVENT_CLASSES["Claim"], "", {}, "")
