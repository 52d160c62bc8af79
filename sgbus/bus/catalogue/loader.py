"""Load catalogues: the shipped ones (威海, and samples for 淄川 and 安丘), or an operator's file.

CSV layout (UTF-8, header row required; a UTF-8 BOM from spreadsheet exports is accepted)::

    code,name,mode,departments,department_names,region,per_region
    XY-001,道路运输经营许可,joint,xy-transport,某市交通运输局,370100,
    XY-002,取水许可,entrusted,xy-water;xy-ecology,某市水务局;某市生态环境局,370100,

``departments`` and ``department_names`` hold one or more entries separated by ``;``; each
department becomes a party of the given ``region``. ``department_names`` and ``per_region`` may be
omitted. A CSV carries no approval or oversight party: use YAML for those.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sgbus.bus.catalogue.model import Catalogue, Matter, Party
from sgbus.bus.yamldoc import (
    SourceError,
    YamlDoc,
    load_yaml,
    parse_yaml,
    validate_mapping,
)

#: Catalogues shipped with the package, by name: 威海's is real, the others are samples.
SHIPPED_CATALOGUES = ("weihai", "zichuan", "anqiu")

CSV_REQUIRED = ("code", "name", "mode", "departments", "region")
CSV_OPTIONAL = ("department_names", "per_region", "source")


def _validate_yaml(doc: YamlDoc) -> Catalogue:
    return validate_mapping(doc, Catalogue, "catalogue")


def parse_catalogue_yaml(text: str, source: str = "<catalogue>") -> Catalogue:
    """Validate catalogue YAML given as text."""
    return _validate_yaml(parse_yaml(text, source))


def example_catalogue() -> Catalogue:
    """威海's annexes 1–4, shipped with the package."""
    return shipped_catalogue("weihai")


@cache
def shipped_catalogue(name: str) -> Catalogue:
    """A catalogue shipped with the package (:data:`SHIPPED_CATALOGUES`)."""
    if name not in SHIPPED_CATALOGUES:
        shipped = ", ".join(SHIPPED_CATALOGUES)
        raise LookupError(f"no shipped catalogue {name!r}; shipped: {shipped}")
    text = (
        resources.files("sgbus.bus.catalogue")
        .joinpath("data", f"{name}.yaml")
        .read_text(encoding="utf-8")
    )
    return parse_catalogue_yaml(text, f"{name}.yaml")


def load_catalogue_ref(ref: str, base: Path | None = None) -> Catalogue:
    """A shipped catalogue by name, else a file by path (relative paths from ``base``)."""
    if ref in SHIPPED_CATALOGUES:
        return shipped_catalogue(ref)
    path = Path(ref)
    if base is not None and not path.is_absolute():
        path = base / path
    return load_catalogue(path)


def load_catalogue(path: Path | str) -> Catalogue:
    """An operator catalogue, YAML or CSV by file extension."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise SourceError(str(path), None, f"cannot read file: {exc}") from None
        return parse_catalogue_csv(text, str(path), name=_name_from(path))
    return _validate_yaml(load_yaml(path))


def parse_catalogue_csv(text: str, source: str = "<csv>", name: str = "catalogue") -> Catalogue:
    """Validate a CSV catalogue; every error names its line and column."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = reader.fieldnames or []
    missing = [c for c in CSV_REQUIRED if c not in header]
    if missing:
        raise SourceError(source, 1, f"header lacks column(s): {', '.join(missing)}")
    unknown = [c for c in header if c not in CSV_REQUIRED + CSV_OPTIONAL]
    if unknown:
        raise SourceError(source, 1, f"unknown column(s): {', '.join(unknown)}")
    parties: dict[str, Party] = {}
    matters: list[Matter] = []
    for row in reader:
        line = reader.line_num
        for party in _row_parties(row, source, line):
            _merge_party(parties, party, source, line)
        matters.append(_row_matter(row, source, line))
    if not matters:
        raise SourceError(source, 2, "no matters: the file has a header but no rows")
    region = next(iter(parties.values())).region
    return _catalogue(parties, matters, source, name, region)


def _row_parties(row: dict[str, Any], source: str, line: int) -> list[Party]:
    ids = _split(row.get("departments"))
    names = _split(row.get("department_names")) or ids
    if len(names) != len(ids):
        raise SourceError(
            source, line, f"department_names has {len(names)} entries, departments {len(ids)}"
        )
    out = []
    for party_id, name in zip(ids, names, strict=True):
        data = {"id": party_id, "name": name, "region": (row.get("region") or "").strip()}
        try:
            out.append(Party.model_validate(data))
        except ValidationError as exc:
            raise _row_error(exc, source, line, column_of={"id": "departments"}) from None
    return out


def _row_matter(row: dict[str, Any], source: str, line: int) -> Matter:
    data: dict[str, Any] = {
        "code": (row.get("code") or "").strip(),
        "name": (row.get("name") or "").strip(),
        "mode": (row.get("mode") or "").strip(),
        "departments": _split(row.get("departments")),
        "per_region": (row.get("per_region") or "").strip().lower() in ("1", "true", "yes"),
    }
    if (row.get("source") or "").strip():
        data["source"] = row["source"].strip()
    try:
        return Matter.model_validate(data)
    except ValidationError as exc:
        raise _row_error(exc, source, line) from None


def _merge_party(parties: dict[str, Party], party: Party, source: str, line: int) -> None:
    known = parties.get(party.id)
    if known is None or party.name == party.id:
        parties.setdefault(party.id, party)
    elif known.name != party.name and known.name != known.id:
        raise SourceError(
            source,
            line,
            f"departments: {party.id} is named {party.name!r} here but"
            f" {known.name!r} on an earlier line",
        )
    else:
        parties[party.id] = party


def _catalogue(
    parties: dict[str, Party], matters: list[Matter], source: str, name: str, region: str
) -> Catalogue:
    try:
        return Catalogue(
            name=name,
            title=Path(source).name,
            region=region,
            source=source,
            parties=list(parties.values()),
            matters=matters,
        )
    except ValidationError as exc:
        messages = "; ".join(e["msg"] for e in exc.errors(include_input=False))
        raise SourceError(source, None, messages) from None


def _row_error(
    exc: ValidationError, source: str, line: int, column_of: dict[str, str] | None = None
) -> SourceError:
    problems = []
    for err in exc.errors(include_input=False, include_url=False):
        field = str(err["loc"][0]) if err["loc"] else "row"
        problems.append(f"{(column_of or {}).get(field, field)}: {err['msg']}")
    return SourceError(source, line, "; ".join(problems))


def _split(cell: str | None) -> list[str]:
    return [part.strip() for part in (cell or "").replace("、", ";").split(";") if part.strip()]


def _name_from(path: Path) -> str:
    stem = path.stem.lower().replace("_", "-")
    return stem if stem[:1].isalpha() and len(stem) >= 2 else "catalogue"
