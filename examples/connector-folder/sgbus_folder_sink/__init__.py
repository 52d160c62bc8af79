"""An example third-party connector: each inbox item of a party written as
``<event id>.json`` into a folder that the department's own import job reads.

It shows what a connector needs and nothing more: a configuration model, a ``Sink`` with
``put`` and ``flush``, the errors the runtime understands, and the ``ConnectorSpec`` that the
``sgbus.connectors`` entry point names. Writing by event id makes a redelivery overwrite the
same file: the folder holds each item once.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from pydantic import Field

from sgbus.connectors.api import CheckFailed, InboxRecord, Sink, TargetUnavailable
from sgbus.connectors.config import ConnectorConfig
from sgbus.connectors.registry import ConnectorSpec


class FolderConfig(ConnectorConfig):
    """Where the files go."""

    folder: Path = Field(description="an existing folder (a mounted share, say)")


class FolderSink(Sink[FolderConfig]):
    """Writes each item atomically (temporary file, then rename) and syncs the folder."""

    def check(self) -> None:
        """The folder exists and is writable."""
        if not self.config.folder.is_dir() or not os.access(self.config.folder, os.W_OK):
            raise CheckFailed(f"{self.config.folder} is not a writable folder")

    def put(self, records: Sequence[InboxRecord]) -> None:
        """Write each record; a missing folder (share not mounted) is waited for."""
        if not self.config.folder.is_dir():
            raise TargetUnavailable("folder not there (share not mounted?)")
        for record in records:
            try:
                self._write(record)
            except IsADirectoryError:
                # Something the department put in the way for good: set aside, go on.
                self.context.errant.report_inbox(record, "target path is a folder")
            except OSError as exc:
                raise TargetUnavailable(f"cannot write: {exc.strerror}") from None

    def flush(self) -> None:
        """Make the renames durable before the offsets commit."""
        try:
            fd = os.open(self.config.folder, os.O_RDONLY)
        except OSError as exc:
            raise TargetUnavailable(f"cannot sync: {exc.strerror}") from None
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _write(self, record: InboxRecord) -> None:
        final = self.config.folder / f"{record.event_id}.json"
        if final.is_dir():
            raise IsADirectoryError(final)
        temporary = self.config.folder / f".{record.event_id}.tmp"
        with temporary.open("w", encoding="utf-8") as out:
            out.write(record.event.model_dump_json())
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, final)


CONNECTOR = ConnectorSpec(
    name="folder",
    kind="sink",
    config_model=FolderConfig,
    factory=FolderSink,
    summary="write each inbox item as <event id>.json into a folder (an example package)",
)
