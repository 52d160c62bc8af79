"""File exchange for offices without a system: spreadsheets in (``file-drop``)."""

from __future__ import annotations

from sgbus.connectors.files.config import FileDropConfig
from sgbus.connectors.files.source import FileDropSource
from sgbus.connectors.registry import ConnectorSpec

CONNECTOR = ConnectorSpec(
    name="file-drop",
    kind="source",
    config_model=FileDropConfig,
    factory=FileDropSource,
    summary="publish the rows of CSV/XLSX files dropped into a folder; a result report each",
)
