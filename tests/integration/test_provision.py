"""Provisioning failures through the real Maven client."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sgbus.stack.errors import ProvisionError
from sgbus.stack.provision import run_maven

pytestmark = pytest.mark.integration

_MISSING = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>sgbus.test</groupId><artifactId>missing</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies><dependency>
    <groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId>
    <version>0.0.0-no-such-version</version>
  </dependency></dependencies>
</project>
"""


@pytest.mark.skipif(shutil.which("mvn") is None, reason="Maven not installed")
def test_unresolvable_artifact_names_it_and_the_log(tmp_path: Path) -> None:
    pom = tmp_path / "missing-pom.xml"
    pom.write_text(_MISSING, encoding="utf-8")
    log = tmp_path / "logs" / "provision.log"
    with pytest.raises(ProvisionError) as caught:
        run_maven(str(shutil.which("mvn")), pom, tmp_path / "work" / "libs", log)
    message = str(caught.value)
    assert "kafka_2.13" in message
    assert "0.0.0-no-such-version" in message
    assert str(log) in message
    assert log.stat().st_size > 0
