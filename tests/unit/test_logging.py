"""One logging setup: module lines and librdkafka's lines come out as the same JSON objects."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from sgbus.runtime.kafka_logs import KAFKA_LOGGER
from sgbus.runtime.logging import configure_logging

COMMON = {"timestamp", "level", "logger", "event", "service"}


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    out = io.StringIO()
    configure_logging("INFO", stream=out, service="router")
    yield out
    configure_logging("INFO")  # back to stderr, without the test's fields


def parsed(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_module_line_is_a_json_object_with_its_fields(lines: io.StringIO) -> None:
    structlog.get_logger("sgbus.test.module").warning("batch not applied", records=3)
    (line,) = parsed(lines)
    assert set(line) >= COMMON
    assert line["event"] == "batch not applied" and line["records"] == 3
    assert (line["level"], line["logger"], line["service"]) == (
        "warning",
        "sgbus.test.module",
        "router",
    )


def test_a_librdkafka_line_is_a_json_object_with_facility_and_client(lines: io.StringIO) -> None:
    facility = f"FAIL{uuid.uuid4().hex[:6]}"  # the rate limit counts per facility
    text = "[thrd:127.0.0.1:1/bootstrap]: 127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed"
    for _ in range(3):
        KAFKA_LOGGER.error("%s [%s] %s", facility, "rdkafka#producer-1", text)
    (line,) = parsed(lines)  # the other two are held back by the rate limit
    assert set(line) >= COMMON
    assert line["logger"] == "sgbus.kafka.librdkafka" and line["level"] == "error"
    assert line["facility"] == facility and line["client"] == "rdkafka#producer-1"
    assert line["thread"] == "127.0.0.1:1/bootstrap"
    assert line["event"] == "127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed"


def test_a_standard_library_line_and_a_thread_get_the_bound_fields(lines: io.StringIO) -> None:
    import threading

    other = threading.Thread(target=lambda: logging.getLogger("alembic.x").warning("a %s", "b"))
    other.start()
    other.join()
    (line,) = parsed(lines)
    assert line["event"] == "a b" and line["service"] == "router"


def test_personal_numbers_are_masked_in_any_field(lines: io.StringIO) -> None:
    log = structlog.get_logger("sgbus.test.module")
    log.info("bad row", detail="phone 13812345678, id 37100219800101123X", offset=13812345678)
    (line,) = parsed(lines)
    assert "13812345678" not in line["detail"] and "19800101" not in line["detail"]
    assert line["offset"] == 13812345678, "numbers that are not text stay as they are"


def test_the_level_setting_filters(lines: io.StringIO) -> None:
    configure_logging("WARNING", stream=lines)
    log = structlog.get_logger("sgbus.test.module")
    log.info("quiet")
    log.warning("loud")
    assert [line["event"] for line in parsed(lines)] == ["loud"]
