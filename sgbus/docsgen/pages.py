"""All generated reference pages: build, write, and find the stale ones."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

#: Where the pages live, relative to the repository.
REFERENCE_DIR = Path("docs") / "reference"


def builders() -> dict[str, Callable[[], str]]:
    """File name → function that builds that page."""
    from sgbus.docsgen.cli_ref import cli_page
    from sgbus.docsgen.events_ref import events_page
    from sgbus.docsgen.metrics_ref import metrics_page
    from sgbus.docsgen.settings_ref import settings_page

    return {
        "settings.md": settings_page,
        "metrics.md": metrics_page,
        "cli.md": cli_page,
        "events.md": events_page,
    }


def build_all() -> dict[str, str]:
    """Every page's text, by file name."""
    return {name: build() for name, build in builders().items()}


def stale_pages(folder: Path, pages: dict[str, str]) -> list[str]:
    """Names of the pages whose file in ``folder`` is missing or differs from ``pages``."""
    stale = []
    for name, text in pages.items():
        path = folder / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
    return stale


def write_all(folder: Path, pages: dict[str, str]) -> list[str]:
    """Write the pages that changed; their names."""
    changed = stale_pages(folder, pages)
    folder.mkdir(parents=True, exist_ok=True)
    for name in changed:
        (folder / name).write_text(pages[name], encoding="utf-8")
    return changed
