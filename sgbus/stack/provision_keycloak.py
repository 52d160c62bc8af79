"""Bring Keycloak into ``$SGBUS_HOME/dist/keycloak-<version>`` and build it once.

Like the Kafka and registry distributions (:mod:`sgbus.stack.provision`), it is unpacked into
a ``.partial`` folder and renamed into place only when complete. The build step
(:func:`~sgbus.stack.keycloak_render.keycloak_build_argv`) is part of provisioning, so every
start is ``start --optimized``. Keycloak needs Java 21 or newer, which may not be the ``java``
that runs Kafka: :func:`find_java21` looks for one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

from sgbus.stack.errors import ProvisionError
from sgbus.stack.keycloak_render import keycloak_build_argv
from sgbus.stack.locks import file_lock
from sgbus.stack.provision import (
    check_free_space,
    find_maven,
    install,
    is_provisioned,
    parse_java_major,
    run_maven,
)
from sgbus.stack.versions import KEYCLOAK_POM, keycloak_version, pom_path

MIN_KEYCLOAK_JAVA = 21
JVM_FOLDER = Path("/usr/lib/jvm")
# The archive (~160 MB), the unpacked distribution (~170 MB) and Maven's copy.
KEYCLOAK_FREE_MB = 550


def keycloak_dist(home: Path) -> Path:
    """Folder of the unpacked, built Keycloak under ``<home>/dist``."""
    return home / "dist" / f"keycloak-{keycloak_version()}"


def java_major(java: str) -> int | None:
    """Major version of ``java``, or None when it does not run."""
    try:
        out = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
        return parse_java_major(out.stderr + out.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def _candidates(jvm_folder: Path) -> list[str]:
    """``JAVA_HOME``'s java, the one on PATH, then each in ``jvm_folder`` (no duplicates)."""
    found: list[Path] = []
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        found.append(Path(java_home) / "bin" / "java")
    on_path = shutil.which("java")
    if on_path:
        found.append(Path(on_path))
    found += sorted(jvm_folder.glob("*/bin/java"))
    unique = {p.resolve(): p for p in reversed(found) if p.is_file()}
    return [str(p) for p in found if p.is_file() and unique[p.resolve()] is p]


def find_java21(jvm_folder: Path = JVM_FOLDER) -> str:
    """The first ``java`` of version 21 or newer among ``JAVA_HOME``'s, the one on PATH and
    those in ``jvm_folder`` (``/usr/lib/jvm/*/bin/java``)."""
    seen: list[str] = []
    for java in _candidates(jvm_folder):
        major = java_major(java)
        if major is not None and major >= MIN_KEYCLOAK_JAVA:
            return java
        seen.append(f"{java} (Java {major or '?'})")
    raise ProvisionError(
        f"Keycloak {keycloak_version()} (the stack's identity provider) needs Java"
        f" {MIN_KEYCLOAK_JAVA} or newer; found {', '.join(seen) or 'none'}. Install one, e.g."
        " `apt-get install openjdk-21-jre-headless` or a Temurin 21+ JDK, into"
        f" {jvm_folder}, or set JAVA_HOME to it."
    )


def _unpack(archive: Path, partial: Path) -> None:
    """Unpack the archive's single top folder (``keycloak-<version>/``) as ``partial``."""
    staging = partial.with_name(partial.name + ".unpack")
    shutil.rmtree(staging, ignore_errors=True)
    with tarfile.open(archive) as tar:
        tar.extractall(staging, filter="data")
    top = staging / f"keycloak-{keycloak_version()}"
    if not (top / "lib" / "quarkus-run.jar").is_file():
        raise ProvisionError(f"{archive.name} does not hold keycloak-{keycloak_version()}/lib")
    top.rename(partial)
    shutil.rmtree(staging)


def build_keycloak(java: str, dist: Path, log: Path) -> None:
    """Run Keycloak's build step once in ``dist`` (output to ``log``)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as sink:
        code = subprocess.run(
            keycloak_build_argv(java, dist),
            stdout=sink,
            stderr=subprocess.STDOUT,
            check=False,
            timeout=600,
        ).returncode
    if code != 0:
        raise ProvisionError(f"building Keycloak in {dist} failed; its output is in {log}")


def provision_keycloak(home: Path, java: str | None = None) -> bool:
    """Download, unpack and build Keycloak into :func:`keycloak_dist` unless already there.

    Returns True when it was provisioned now. ``java`` defaults to :func:`find_java21`.
    """
    dist = keycloak_dist(home)
    with file_lock(home / "dist" / ".keycloak.lock"):
        if is_provisioned(dist):
            return False
        java = java or find_java21()
        mvn = find_maven()
        check_free_space(home, KEYCLOAK_FREE_MB)
        partial = dist.with_name(dist.name + ".partial")
        download = dist.with_name(dist.name + ".download")
        shutil.rmtree(partial, ignore_errors=True)
        logs = home / "logs"
        run_maven(mvn, pom_path(KEYCLOAK_POM), download / "out", logs / "provision-keycloak.log")
        archive = download / "out" / f"keycloak-quarkus-dist-{keycloak_version()}.tar.gz"
        if not archive.is_file():
            raise ProvisionError(f"Maven finished but {archive.name} is missing from {download}")
        _unpack(archive, partial)
        shutil.rmtree(download)
        build_keycloak(java, partial, logs / "build-keycloak.log")
        install(partial, dist)
    return True
