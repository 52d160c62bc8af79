"""Provisioning checks that need no download: versions, Java, Maven, disk space, ports, pids."""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

import pytest

from sgbus.stack import versions
from sgbus.stack.errors import PortBusyError, ProvisionError
from sgbus.stack.process import check_ports_free, running_pid
from sgbus.stack.provision import (
    check_free_space,
    find_java,
    find_maven,
    parse_java_major,
    summarize_maven_failure,
)


def test_versions_come_from_the_shipped_poms() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", versions.kafka_version())
    assert re.fullmatch(r"\d+\.\d+\.\d+\.Final", versions.registry_version())


def test_missing_pom_property_is_named() -> None:
    pom = '<project xmlns="http://maven.apache.org/POM/4.0.0"><properties/></project>'
    with pytest.raises(KeyError, match=r"kafka\.version"):
        versions.pom_property(pom, "kafka.version")


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('java version "1.8.0_392"', 8),
        ('openjdk version "21" 2023-09-19', 21),
    ],
)
def test_java_major_version(output: str, major: int) -> None:
    assert parse_java_major(output) == major


def test_java_version_garbage() -> None:
    with pytest.raises(ValueError):
        parse_java_major("command not found")


def test_no_java_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ProvisionError, match=r"Java 17 or newer.*apt-get install openjdk"):
        find_java()


def test_no_maven_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ProvisionError, match="apt-get install maven"):
        find_maven()


def test_too_little_disk_space_names_the_folder_and_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ProvisionError, match="SGBUS_HOME") as caught:
        check_free_space(tmp_path / "not" / "yet", need_mb=10**12)
    assert str(tmp_path) in str(caught.value)
    check_free_space(tmp_path, need_mb=1)


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (
            "[ERROR] Failed ... Could not find artifact org.apache.kafka:kafka_2.13:jar:9.9.9 in"
            " central",
            "Could not find artifact org.apache.kafka:kafka_2.13:jar:9.9.9",
        ),
        ("[ERROR] ... Unknown host repo.example: Name or service", "Unknown host repo.example"),
        ("java.io.IOException: No space left on device", "the disk is full"),
        ("[ERROR] something odd\n[ERROR] \n", "[ERROR] something odd"),
        ("", "Maven exited with an error"),
    ],
)
def test_maven_failure_summary(output: str, expected: str) -> None:
    assert summarize_maven_failure(output) == expected


def test_busy_port_names_port_and_setting() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(PortBusyError, match=rf"{port} \(SGBUS_KAFKA_PORT\)"):
            check_ports_free("127.0.0.1", {"SGBUS_KAFKA_PORT": port})
    check_ports_free("127.0.0.1", {"SGBUS_KAFKA_PORT": port})


def test_stale_pid_file_is_dropped(tmp_path: Path) -> None:
    pid_file = tmp_path / "kafka.pid"
    # This test process is alive but is not a stack process: its command line lacks the marker.
    pid_file.write_text(f"{os.getpid()}\n")
    assert running_pid(pid_file, "-Dsgbus.stack.role=kafka ") is None
    assert not pid_file.exists()
    pid_file.write_text("not a pid\n")
    assert running_pid(pid_file, "x") is None
