"""``file-drop``: CSV or XLSX files dropped into a folder become events, one per row.

The first row names the columns (:mod:`~sgbus.connectors.files.columns`: Chinese labels or
English field paths). Each row is published with an event id derived from the file's content
and the row number (or the one its ``事件编号`` column gives), so a row published twice — the
connector killed in between — is the same event. What became of each row is kept beside the
file (``.sgbus/<file>.json``) until every row is settled; then ``<file>.result.xlsx`` says, row
by row, accepted with its event id or rejected with the field and the reason, and the file and
its report move to ``done/`` (every row accepted) or ``failed/`` (any row or the file refused).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sgbus.bus.events import EVENT_CLASSES
from sgbus.bus.validation.json_input import InvalidEventJson, event_from_json
from sgbus.connectors.api import CheckFailed, ConnectorContext, Position, Source, SourceRecord
from sgbus.connectors.files.columns import CellError, Column, header_map, row_to_data
from sgbus.connectors.files.config import FileDropConfig
from sgbus.connectors.files.sheets import SUFFIXES, RowResult, read_sheet, write_result
from sgbus.producers.publisher import Receipt

_NS = uuid.UUID("2f7d0c3e-5b7a-4f0e-8f55-6a3c1b9e2d41")
STATE = ".sgbus"


@dataclass
class _File:
    """The file being worked through."""

    path: Path
    digest: str
    columns: dict[int, Column]
    rows: list[tuple[int, list[Any]]]
    results: dict[int, RowResult] = field(default_factory=dict)
    problem: str | None = None  # the whole file refused

    @property
    def stream(self) -> str:
        return f"{self.path.name}#{self.digest[:12]}"


class FileDropSource(Source[FileDropConfig]):
    """Works through the drop folder one file at a time, oldest first."""

    def __init__(self, config: FileDropConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        self.folder = config.folder
        self.event_cls = EVENT_CLASSES[config.event_type]
        self.headers = header_map(self.event_cls)
        self._current: _File | None = None

    def open(self) -> None:
        """Make the folders the connector writes."""
        for name in (STATE, "done", "failed"):
            (self.folder / name).mkdir(parents=True, exist_ok=True)

    def check(self) -> None:
        """The drop folder exists."""
        if not self.folder.is_dir():
            raise CheckFailed(f"{self.folder} is not a folder")

    def start(self, positions: Mapping[str, Position]) -> None:
        """Read the current file again from disk (what was settled is kept beside it)."""
        self._current = None

    def poll(self, max_records: int) -> Sequence[SourceRecord]:
        """The next rows of the current file (or of the next one) as events."""
        while True:
            current = self._current or self._next_file()
            if current is None:
                return []
            self._current = current
            pending = [(n, cells) for n, cells in current.rows if n not in current.results]
            if current.problem is not None or not pending:
                self._finish(current)
                continue
            records = self._records(current, pending[:max_records])
            if records:
                return records

    def committed(self, records: Sequence[SourceRecord], receipts: Sequence[Receipt]) -> None:
        """Note each row's event id beside the file."""
        current = self._require()
        for record, receipt in zip(records, receipts, strict=True):
            row = int(record.position)
            current.results[row] = RowResult(row, event_id=receipt.event_id)
        self._save(current)

    def rejected(self, record: SourceRecord, reason: str) -> None:
        """Note the bus's reason for refusing a row."""
        current = self._require()
        row = int(record.position)
        current.results[row] = RowResult(row, reason=reason)
        self._save(current)

    def pending(self) -> int | None:
        """Files waiting in the folder."""
        return len(self._candidates())

    # -- files --------------------------------------------------------------------------

    def _candidates(self) -> list[Path]:
        now = time.time()
        return sorted(
            (
                p
                for p in self.folder.iterdir()
                if p.is_file()
                and p.suffix.lower() in SUFFIXES
                and not p.name.startswith((".", "~$"))
                and not p.name.endswith(".result.xlsx")
                and now - p.stat().st_mtime >= self.config.settle_s
            ),
            key=lambda p: (p.stat().st_mtime, p.name),
        )

    def _next_file(self) -> _File | None:
        candidates = self._candidates()
        return self._load(candidates[0]) if candidates else None

    def _load(self, path: Path) -> _File:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        try:
            sheet = read_sheet(path)
            columns = self._columns(sheet.header)
        except ValueError as exc:
            return _File(path, digest, {}, [], problem=str(exc))
        current = _File(path, digest, columns, sheet.rows)
        current.results = self._saved(current)
        return current

    def _columns(self, header: list[str]) -> dict[int, Column]:
        unknown = [h for h in header if h and h not in self.headers]
        if unknown:
            raise ValueError(
                "unknown column(s): " + "、".join(unknown) + " (use the labels of the contract,"
                " e.g. 行政相对人.行政相对人名称, or field paths such as licensee.name)"
            )
        found = {i: self.headers[h] for i, h in enumerate(header) if h}
        missing = [c.chinese for c in self.headers.values() if c.required]
        missing = sorted(set(missing) - {c.chinese for c in found.values()})
        if missing:
            raise ValueError("missing column(s): " + "、".join(missing))
        return found

    # -- rows ---------------------------------------------------------------------------

    def _records(self, current: _File, rows: list[tuple[int, list[Any]]]) -> list[SourceRecord]:
        records: list[SourceRecord] = []
        refused: list[RowResult] = []
        for number, cells in rows:
            ref = f"{current.path.name} row {number}"
            try:
                event = event_from_json(self._data(current, number, cells))
            except CellError as exc:
                refused.append(RowResult(number, field=exc.column, reason=exc.problem))
                continue
            except InvalidEventJson as exc:
                first = exc.fields[0] if exc.fields else {"field": "", "problem": exc.message}
                refused.append(RowResult(number, field=first["field"], reason=str(exc)))
                continue
            records.append(SourceRecord(event, current.stream, number, ref))
        if refused:
            for r in refused:
                self.context.errant.report_unreadable(
                    f"{current.path.name} row {r.row}", f"{r.field}: {r.reason}"
                )
            self.context.errant.flush()
            current.results.update({r.row: r for r in refused})
            self._save(current)
        return records

    def _data(self, current: _File, number: int, cells: list[Any]) -> dict[str, Any]:
        data = row_to_data(
            {current.columns[i]: v for i, v in enumerate(cells) if i in current.columns}
        )
        env = data.setdefault("envelope", {})
        env["event_type"] = self.event_cls.__name__
        env.setdefault("event_id", str(uuid.uuid5(_NS, f"{current.digest}|{number}")))
        env["sender"] = self.context.party
        env.setdefault("correlation_id", env["event_id"])
        env.setdefault("schema_version", self.event_cls.SCHEMA_VERSION)
        if "occurred_at" not in env:  # the file's time: the same on every read of this file
            mtime = current.path.stat().st_mtime
            env["occurred_at"] = dt.datetime.fromtimestamp(mtime, dt.UTC).isoformat()
        return data

    # -- what became of the rows ----------------------------------------------------------

    def _state_file(self, current: _File) -> Path:
        return self.folder / STATE / f"{current.path.name}.{current.digest[:12]}.json"

    def _saved(self, current: _File) -> dict[int, RowResult]:
        path = self._state_file(current)
        if not path.exists():
            return {}
        saved = json.loads(path.read_text(encoding="utf-8"))
        return {int(k): RowResult(**v) for k, v in saved.items()}

    def _save(self, current: _File) -> None:
        path = self._state_file(current)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(
            json.dumps({r: v.__dict__ for r, v in current.results.items()}, ensure_ascii=False),
            encoding="utf-8",
        )
        temporary.replace(path)

    def _finish(self, current: _File) -> None:
        """Write the report and move the file with it to done/ or failed/."""
        results = list(current.results.values())
        if current.problem is not None:
            results = [RowResult(1, field="(file)", reason=current.problem)]
        failed = current.problem is not None or any(r.event_id is None for r in results)
        target = self.folder / ("failed" if failed else "done")
        name = _free_name(target, current.path.name)
        write_result(target / f"{name}.result.xlsx", results)
        current.path.replace(target / name)
        self._state_file(current).unlink(missing_ok=True)
        self._current = None

    def _require(self) -> _File:
        if self._current is None:
            raise RuntimeError("no file in progress")
        return self._current


def _free_name(folder: Path, name: str) -> str:
    """``name``, or ``name`` with a time stamp when a file of that name was handled before."""
    if not (folder / name).exists():
        return name
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    return f"{Path(name).stem}.{stamp}{Path(name).suffix}"
