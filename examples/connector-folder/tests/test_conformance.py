"""The folder sink passes the sgbus connector conformance suite."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from sgbus.connectors.testing import SinkConformance

pytestmark = pytest.mark.integration


class FolderTarget:
    """The folder, as the suite sees a target."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir()

    def stored_ids(self) -> set[str]:
        return {p.stem for p in self.folder.glob("*.json") if p.is_file()}

    def copies(self) -> int:
        return len([p for p in self.folder.glob("*.json") if p.is_file()])

    @contextmanager
    def down(self) -> Iterator[None]:
        away = self.folder.with_name("away")
        self.folder.rename(away)  # the share is unmounted
        try:
            yield
        finally:
            away.rename(self.folder)

    def refuse(self, event_id: str) -> None:
        (self.folder / f"{event_id}.json").mkdir()

    def accept_again(self) -> None:
        for path in self.folder.glob("*.json"):
            if path.is_dir():
                shutil.rmtree(path)


class TestFolderSink(SinkConformance):
    connector = "folder"

    @pytest.fixture
    def target(self, tmp_path: Path) -> FolderTarget:
        return FolderTarget(tmp_path / "drop")

    def config(self, target: FolderTarget, party: str, workdir: Path) -> dict[str, Any]:
        return {"party": party, "folder": str(target.folder)}

    def invalid_configs(
        self, target: FolderTarget, party: str, workdir: Path
    ) -> Iterator[tuple[dict[str, Any], str]]:
        yield from super().invalid_configs(target, party, workdir)
        yield {"party": party}, "folder"
