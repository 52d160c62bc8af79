"""Where the seed documents are: shared/ beside the repository, or two levels up for a worktree."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def seed_text(name: str) -> str:
    """The seed file's text; skips the test when shared/ is not on this machine."""
    for base in (ROOT.parent, ROOT.parent.parent):
        path = base / "shared" / "seeds" / name
        if path.exists():
            return path.read_text(encoding="utf-8")
    pytest.skip(f"seed {name} not found beside the repository")
