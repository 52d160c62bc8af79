"""The pinned versions of the local stack, read from the poms shipped with this package.

The poms are the one place a version is written: Maven resolves them, and sgbus names its cache
folders after the same properties, so a version bump cannot leave the two out of step.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from functools import cache
from importlib import resources
from pathlib import Path

_POM_NS = "{http://maven.apache.org/POM/4.0.0}"

KAFKA_POM = "kafka-pom.xml"
REGISTRY_POM = "registry-pom.xml"
KEYCLOAK_POM = "keycloak-pom.xml"


def pom_path(name: str) -> Path:
    """Filesystem path of a pom shipped inside the ``sgbus.stack`` package."""
    return Path(str(resources.files("sgbus.stack").joinpath(name)))


def pom_property(pom_text: str, name: str) -> str:
    """Return the value of ``<properties><name>`` in a pom, or raise ``KeyError`` naming it."""
    root = ET.fromstring(pom_text)
    node = root.find(f"{_POM_NS}properties/{_POM_NS}{name}")
    if node is None or not (node.text or "").strip():
        raise KeyError(f"pom has no <properties><{name}>")
    return (node.text or "").strip()


@cache
def kafka_version() -> str:
    """The Apache Kafka version the local stack runs."""
    return pom_property(pom_path(KAFKA_POM).read_text(encoding="utf-8"), "kafka.version")


@cache
def registry_version() -> str:
    """The Apicurio Registry version the local stack runs."""
    return pom_property(pom_path(REGISTRY_POM).read_text(encoding="utf-8"), "apicurio.version")


@cache
def keycloak_version() -> str:
    """The Keycloak version the local stack's identity provider runs."""
    return pom_property(pom_path(KEYCLOAK_POM).read_text(encoding="utf-8"), "keycloak.version")
