"""Golden examples: one fully populated event per type, in Chinese, with its frozen encoding.

``tests/golden/<Event>.json`` is the example; ``tests/golden/<Event>.avro`` its Avro single-object
encoding as written when the example was frozen. Write missing encodings with
``python -m tests.golden_data`` (existing ones are kept: they are the point of the test).
"""

from __future__ import annotations

from pathlib import Path

from sgbus.bus.events import Event, event_class

GOLDEN_DIR = Path(__file__).parent / "golden"


def golden_event(name: str) -> Event:
    """The golden example of event ``name``, validated by its model."""
    return event_class(name).model_validate_json((GOLDEN_DIR / f"{name}.json").read_text("utf-8"))


def golden_bytes(name: str) -> bytes:
    """The frozen single-object encoding of the golden example."""
    return (GOLDEN_DIR / f"{name}.avro").read_bytes()


def main() -> None:
    """Write the encoding of every golden example that has none yet."""
    from sgbus.bus.serde import build_serde

    serde = build_serde(None)
    for path in sorted(GOLDEN_DIR.glob("*.json")):
        target = path.with_suffix(".avro")
        if not target.exists():
            target.write_bytes(serde.encode(golden_event(path.stem), "golden"))
            print(f"wrote {target}")


if __name__ == "__main__":
    main()
