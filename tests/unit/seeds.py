"""The seed documents, found by title: shared/ beside the repository, or two levels up for a
worktree. The repository cites them by title and article only, never by file name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A title is printed near the top of its document, sometimes broken over lines or spaces.
_HEAD_CHARS = 2000


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def seed_text(title: str) -> str:
    """The text of the seed document titled ``title`` (with or without 《》); skips the test
    when shared/ is not on this machine."""
    wanted = _squeezed(title.strip("《》"))
    for base in (ROOT.parent, ROOT.parent.parent):
        for path in sorted((base / "shared" / "seeds").glob("*.txt")):
            text = path.read_text(encoding="utf-8")
            if wanted in _squeezed(text[:_HEAD_CHARS]):
                return text
    pytest.skip(f"seed document {title} not found beside the repository")
