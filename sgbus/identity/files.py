"""Private files: secrets and credentials are written mode 0600, atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path


def write_json_private(path: Path, document: object) -> None:
    """Write ``document`` as JSON to ``path``, mode 0600, atomically (temp file + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(partial, 0o600)
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
