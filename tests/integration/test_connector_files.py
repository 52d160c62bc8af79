"""The drop-folder source passes the source conformance suite: a clerk's XLSX files, one per
batch, each row an event, worked through across kills and a paused broker."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from sgbus.bus.events import ApprovalResult, Event
from sgbus.connectors.files.columns import columns, event_to_cells
from sgbus.connectors.testing.bus import ApprovalResults, ConformanceBus
from sgbus.connectors.testing.process import ConnectorProcess, ServiceProcess, quick_settings
from sgbus.connectors.testing.source_suite import SourceConformance
from sgbus.stack.testing import StackEndpoints, free_ports

pytestmark = pytest.mark.integration


class DropFolder:
    """An office that saves spreadsheets into the drop folder."""

    metrics_name = "file-drop"

    def __init__(self, stack: StackEndpoints, workdir: Path) -> None:
        self.bus = ConformanceBus.fresh(stack, "conf-files")
        self.party = self.bus.party
        self.workdir = workdir
        self.folder = workdir / "drop"
        self.folder.mkdir()
        (self.metrics_port,) = free_ports(1)
        self.config = {
            "party": self.party,
            "folder": str(self.folder),
            "settle_s": 0.2,
            **quick_settings(workdir, self.metrics_port),
            "batch_size": 10,
        }
        self.process: ServiceProcess = ConnectorProcess(
            "file-drop", self.config, workdir, self.bus.environment()
        )
        self._results = ApprovalResults(self.party)
        self._files = 0

    def events(self, n: int) -> list[Event]:
        return self._results.make(n)

    def offer(self, events: Sequence[Event]) -> None:
        cols = columns(ApprovalResult)
        rows = []
        for event in events:
            cells = event_to_cells(event)
            rows.append([cells[c] for c in cols])
        self._save([c.chinese for c in cols], rows)

    def offer_invalid(self) -> None:
        (event,) = self.events(1)
        bad = ApprovalResult.model_validate(
            json.loads(event.model_dump_json())
            | {"licensee": event.licensee.model_copy(update={"uscc": "91370000MA3C0XXXX9"})}
        )
        self.offer([bad])

    def refusals(self) -> list[str]:
        reasons = []
        for report in sorted((self.folder / "failed").glob("*.result.xlsx")):
            sheet = load_workbook(report).worksheets[0]
            reasons += [r[4] for r in sheet.iter_rows(min_row=2, values_only=True) if not r[2]]
        return reasons

    def broken_configurations(self) -> Iterable[tuple[ServiceProcess, str]]:
        for i, (key, value) in enumerate([("event_type", "Approval"), ("settle_s", -1)]):
            workdir = self.workdir / f"bad{i}"
            workdir.mkdir()
            yield (
                ConnectorProcess(
                    "file-drop", {**self.config, key: value}, workdir, self.bus.environment()
                ),
                key,
            )

    def _save(self, header: list[str], rows: list[list[object]]) -> None:
        self._files += 1
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        name = f"批次{self._files:03d}.xlsx"
        temporary = self.folder / f".{name}"
        book.save(temporary)
        temporary.replace(self.folder / name)  # whole, as a copy into a share ends


class TestFileDropConformance(SourceConformance):
    @pytest.fixture
    def source(self, stack: StackEndpoints, tmp_path: Path) -> Iterator[DropFolder]:
        system = DropFolder(stack, tmp_path)
        try:
            yield system
        finally:
            system.process.stop()
