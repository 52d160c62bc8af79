"""Where the ``.avsc`` contracts live: the repository checkout or the installed wheel."""

from __future__ import annotations

import os
from pathlib import Path

import sgbus

SCHEMA_DIR_ENV = "SGBUS_SCHEMA_DIR"


def schema_dir() -> Path:
    """Return the folder holding the ``.avsc`` files.

    Order: ``$SGBUS_SCHEMA_DIR`` if set; ``schemas/avro`` beside the package (an editable checkout,
    where the files may be edited); ``sgbus/_data/schemas/avro`` (a wheel, see pyproject's
    force-include).
    """
    override = os.environ.get(SCHEMA_DIR_ENV)
    if override:
        return Path(override)
    package_dir = Path(sgbus.__file__).resolve().parent
    for candidate in (
        package_dir.parent / "schemas" / "avro",
        package_dir / "_data" / "schemas" / "avro",
    ):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"no schema folder found beside {package_dir}; set {SCHEMA_DIR_ENV} to schemas/avro"
    )


def history_dir(base: Path | None = None) -> Path:
    """The folder of frozen earlier versions: ``history/<Name>/v<N>.avsc``."""
    return (base or schema_dir()) / "history"
