"""Frozen earlier versions of each event's self-contained schema: ``history/<Name>/v<N>.avsc``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sgbus.bus.contracts.schema_set import SchemaError, SchemaSet

_VERSION_FILE = re.compile(r"^v([1-9][0-9]*)\.avsc$")


@dataclass(frozen=True)
class Snapshot:
    """One frozen version of an event's schema."""

    name: str
    version: int
    schema: dict[str, Any]
    path: Path


def load_history(folder: Path) -> dict[str, list[Snapshot]]:
    """All snapshots under ``folder``, per event name, oldest first."""
    out: dict[str, list[Snapshot]] = {}
    if not folder.is_dir():
        return out
    for event_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        snaps = []
        for path in event_dir.glob("*.avsc"):
            match = _VERSION_FILE.match(path.name)
            if not match:
                raise SchemaError(f"{path}: snapshot files are named v<N>.avsc")
            try:
                schema = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise SchemaError(
                    f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"
                ) from None
            snaps.append(Snapshot(event_dir.name, int(match.group(1)), schema, path))
        out[event_dir.name] = sorted(snaps, key=lambda s: s.version)
    return out


def snapshot_text(schema: dict[str, Any]) -> str:
    """How a snapshot is written: indented JSON, Chinese kept readable."""
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def write_snapshots(schema_set: SchemaSet, folder: Path) -> list[Path]:
    """Write ``<Name>/v<version>.avsc`` for each event whose current version has no snapshot."""
    written = []
    for name in schema_set.event_names:
        path = folder / name / f"v{schema_set.version(name)}.avsc"
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(snapshot_text(schema_set.expand(name)), encoding="utf-8")
        written.append(path)
    return written
