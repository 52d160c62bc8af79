"""Bring the Kafka jars and the registry application into ``$SGBUS_HOME/dist`` with Maven.

Each distribution is built in a ``.partial`` folder and renamed into place only when complete,
so an interrupted download is simply redone on the next ``up`` and a finished one never is.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

from sgbus.stack.config import StackConfig
from sgbus.stack.errors import ProvisionError
from sgbus.stack.locks import file_lock
from sgbus.stack.versions import (
    KAFKA_POM,
    REGISTRY_POM,
    kafka_version,
    pom_path,
    registry_version,
)

MIN_JAVA = 17
COPY_DEPENDENCIES = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies"
# Kafka jars ~45 MB, registry archive ~140 MB plus ~150 MB unpacked, and Maven's own copies.
NEED_FREE_MB = 700
_COMPLETE = ".complete"


def find_java() -> str:
    """Path of the ``java`` to run, from ``JAVA_HOME`` or ``PATH``."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    found = shutil.which("java")
    if not found:
        raise ProvisionError(
            f"Java not found: the local stack needs Java {MIN_JAVA} or newer on PATH or in"
            " JAVA_HOME. Install it, e.g. `apt-get install openjdk-17-jre-headless`."
        )
    return found


def parse_java_major(version_output: str) -> int:
    """Major version from ``java -version`` output (``"17.0.15"`` -> 17, ``"1.8.0_392"`` -> 8)."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if not match:
        raise ValueError("no version string in `java -version` output")
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def check_java(java: str) -> None:
    """Fail unless ``java`` runs and is new enough for Kafka 4 and the registry."""
    try:
        out = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
        major = parse_java_major(out.stderr + out.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        raise ProvisionError(f"could not run `{java} -version`: {exc}") from None
    if major < MIN_JAVA:
        raise ProvisionError(
            f"{java} is Java {major}; Kafka {kafka_version()} needs Java {MIN_JAVA} or newer."
            " Install it (e.g. `apt-get install openjdk-17-jre-headless`) and put it first on"
            " PATH or set JAVA_HOME."
        )


def find_maven() -> str:
    """Path of ``mvn``; only needed while something is still to be downloaded."""
    found = shutil.which("mvn")
    if not found:
        raise ProvisionError(
            "Maven (`mvn`) not found: it downloads the Kafka and registry jars from Maven Central"
            " on the first `sgbus stack up`. Install it, e.g. `apt-get install maven`."
        )
    return found


def free_mb(path: Path) -> int:
    """Free space in MiB on the file system that holds ``path`` (or its nearest parent)."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free // (1024 * 1024)


def check_free_space(path: Path, need_mb: int = NEED_FREE_MB) -> None:
    """Fail early, before a long download, when the disk cannot hold the result."""
    have = free_mb(path)
    if have < need_mb:
        raise ProvisionError(_disk_full_message(path, f"{have} MiB free, about {need_mb} MiB"))


def _disk_full_message(path: Path, detail: str) -> str:
    return (
        f"not enough disk space for the local stack in {path} ({detail} needed). Free some"
        " space, or set SGBUS_HOME to a folder on a larger disk."
    )


def summarize_maven_failure(output: str) -> str:
    """One readable line saying why Maven failed, from its (long) output."""
    if "No space left on device" in output:
        return "the disk is full"
    patterns = [
        r"Could not find artifact (\S+)",
        r"Could not transfer artifact (\S+)",
        r"Unknown host ([\w.-]+)",
        r"Could not resolve dependencies[^:]*: (.+)",
    ]
    for pattern in patterns:
        match = re.search(pattern, output)
        if match:
            return match.group(0)[:300]
    errors = [ln for ln in output.splitlines() if "[ERROR]" in ln and ln.strip() != "[ERROR]"]
    return errors[0][:300] if errors else "Maven exited with an error"


def run_maven(mvn: str, pom: Path, out_dir: Path, log: Path) -> None:
    """Run copy-dependencies on ``pom`` into ``out_dir``; Maven's output goes to ``log``."""
    work = out_dir.parent
    work.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pom, work / "pom.xml")
    argv = [
        mvn,
        "-B",
        "-q",
        "-f",
        str(work / "pom.xml"),
        COPY_DEPENDENCIES,
        f"-DoutputDirectory={out_dir}",
    ]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as sink:
        code = subprocess.run(argv, stdout=sink, stderr=subprocess.STDOUT, check=False).returncode
    if code != 0:
        reason = summarize_maven_failure(log.read_text(encoding="utf-8", errors="replace"))
        if reason == "the disk is full":
            raise ProvisionError(_disk_full_message(work, "Maven ran out of space;"))
        raise ProvisionError(
            f"Maven could not download what {pom.name} lists from Maven Central: {reason}."
            " Check that Maven Central is reachable (proxy settings go in ~/.m2/settings.xml);"
            f" Maven's full output is in {log}"
        )


def install(partial: Path, final: Path) -> None:
    """Mark ``partial`` complete and rename it to ``final`` (replacing an incomplete one)."""
    (partial / _COMPLETE).write_text("ok\n", encoding="utf-8")
    if final.exists():
        shutil.rmtree(final)
    partial.rename(final)


def is_provisioned(dist: Path) -> bool:
    """True when ``dist`` was fully downloaded (and unpacked) before."""
    return (dist / _COMPLETE).is_file()


def provision_kafka(cfg: StackConfig, mvn: str) -> None:
    """Download the Kafka broker jars into ``cfg.kafka_dist/libs``."""
    partial = cfg.kafka_dist.with_name(cfg.kafka_dist.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    run_maven(
        mvn, pom_path(KAFKA_POM), partial / "libs", cfg.provision_logs / "provision-kafka.log"
    )
    install(partial, cfg.kafka_dist)


def provision_registry(cfg: StackConfig, mvn: str) -> None:
    """Download and unpack the registry application into ``cfg.registry_dist``."""
    partial = cfg.registry_dist.with_name(cfg.registry_dist.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    download = partial / "download"
    run_maven(mvn, pom_path(REGISTRY_POM), download, cfg.provision_logs / "provision-registry.log")
    archive = download / f"apicurio-registry-app-{registry_version()}-all.tar.gz"
    if not archive.is_file():
        raise ProvisionError(f"Maven finished but {archive.name} is missing from {download}")
    with tarfile.open(archive) as tar:
        tar.extractall(partial, filter="data")
    shutil.rmtree(download)
    install(partial, cfg.registry_dist)


def provision(cfg: StackConfig) -> list[str]:
    """Make both distributions present; return the names of those downloaded now."""
    done: list[str] = []
    with file_lock(cfg.home / "dist" / ".lock"):
        missing = [d for d in (cfg.kafka_dist, cfg.registry_dist) if not is_provisioned(d)]
        if not missing:
            return done
        mvn = find_maven()
        check_free_space(cfg.home)
        try:
            if not is_provisioned(cfg.kafka_dist):
                provision_kafka(cfg, mvn)
                done.append(cfg.kafka_dist.name)
            if not is_provisioned(cfg.registry_dist):
                provision_registry(cfg, mvn)
                done.append(cfg.registry_dist.name)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise ProvisionError(_disk_full_message(cfg.home, "the disk filled up;")) from None
            raise
    return done
