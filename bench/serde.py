"""Serde throughput: approval results through models + serde vs raw fastavro, in one run.

    .venv/bin/python bench/serde.py [--records 500] [--repeats 7]

Both paths encode and decode the same records with the same parsed schema. The raw path works on
plain dicts with ``fastavro.schemaless_writer/reader``; the model path takes pydantic models in and
gives pydantic models out, with framing (single-object, or Confluent through an in-memory registry).
Prints medians over the repeats as round trips (encode + decode) per second, and the ratio.
"""

from __future__ import annotations

import argparse
import io
import platform
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import fastavro

from sgbus.bus.events import ApprovalResult, event_class
from sgbus.bus.serde import Serde, build_serde

RAW = "raw fastavro (dicts), round trips"
GOLDEN = Path(__file__).parents[1] / "tests" / "golden" / "ApprovalResult.json"


def make_records(n: int) -> list[ApprovalResult]:
    """``n`` distinct, fully populated approval results (the golden example, varied)."""
    base = event_class("ApprovalResult").model_validate_json(GOLDEN.read_text("utf-8"))
    out = []
    for i in range(n):
        env = base.envelope.model_copy(update={"event_id": uuid.uuid4()})
        out.append(
            base.model_copy(
                update={
                    "envelope": env,
                    "licence_number": f"JY1371002{i:07d}",
                    "remarks": f"第{i}号",
                },
            )
        )
    return [ApprovalResult.model_validate(r.model_dump()) for r in out]


def time_interleaved(fns: dict[str, Callable[[], None]], repeats: int) -> dict[str, list[float]]:
    """Seconds per run of each function, run in turn within each repeat so that load from other
    processes on the machine falls on all of them alike; one warm-up run each first."""
    for fn in fns.values():
        fn()
    samples: dict[str, list[float]] = {label: [] for label in fns}
    for _ in range(repeats):
        for label, fn in fns.items():
            start = time.perf_counter()
            fn()
            samples[label].append(time.perf_counter() - start)
    return samples


def raw_round_trip(schema: object, records: list[dict[str, object]]) -> Callable[[], None]:
    def run() -> None:
        for rec in records:
            out = io.BytesIO()
            fastavro.schemaless_writer(out, schema, rec)
            fastavro.schemaless_reader(io.BytesIO(out.getvalue()), schema, None)

    return run


def serde_round_trip(serde: Serde, models: list[ApprovalResult]) -> Callable[[], None]:
    def run() -> None:
        for model in models:
            serde.decode(serde.encode(model, "sg.bench.outbox"), "sg.bench.outbox", 0, 0)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    models = make_records(args.records)
    dicts = [m.model_dump() for m in models]
    single = build_serde(None)
    confluent = build_serde("mock://bench")
    schema = single.current.get("ApprovalResult").parsed
    size = len(single.encode(models[0], "t"))

    blobs = [single.encode(m, "t") for m in models]
    runs = time_interleaved(
        {
            RAW: raw_round_trip(schema, dicts),
            "models + serde, single-object, round trips": serde_round_trip(single, models),
            "models + serde, Confluent mock, round trips": serde_round_trip(confluent, models),
            "  encode only (single-object)": lambda: (
                [single.encode(m, "t") for m in models] and None
            ),
            "  decode only (single-object)": lambda: (
                [single.decode(b, "t", 0, 0) for b in blobs] and None
            ),
        },
        args.repeats,
    )
    n = args.records
    print(
        f"python {platform.python_version()}, fastavro {fastavro.__version__}, "
        f"{n} approval results of {size} bytes, median of {args.repeats} interleaved runs"
    )
    for label, seconds in runs.items():
        line = f"{label:45s} {n / statistics.median(seconds):10.0f} /s"
        if label != RAW and not label.startswith(" "):
            ratios = [r / s for r, s in zip(runs[RAW], seconds, strict=True)]
            line += f"  ratio to raw {statistics.median(ratios):.2f}"
        print(line)


if __name__ == "__main__":
    main()
