"""``sgbus stack status`` rendering."""

from __future__ import annotations

from pathlib import Path

from sgbus.cli.stack import format_status
from sgbus.stack import ComponentStatus


def test_status_lines() -> None:
    rows = [
        ComponentStatus("kafka", "4.1.2", "127.0.0.1:19092", 42, True, 300 * 1024, Path("/l/k")),
        ComponentStatus("registry", "2.6.13.Final", "http://x", None, False, None, Path("/l/r")),
    ]
    text = format_status(rows).splitlines()
    assert text[0].split()[:5] == ["kafka", "4.1.2", "running", "pid", "42"]
    assert "rss 300 MiB" in text[0]
    assert text[1].split() == ["log", "/l/k"]
    assert "stopped" in text[2]
    assert "rss -" in text[2]


def test_running_but_silent_is_flagged() -> None:
    row = ComponentStatus("kafka", "4.1.2", "a", 7, False, None, Path("/l"))
    assert "NOT answering" in format_status([row])
