"""The stack's PEM files load in Kafka's own SSL engine factory on the Java that runs Kafka."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sgbus.bus.settings import Settings
from sgbus.stack.config import StackConfig
from sgbus.stack.pki import ensure_pki
from sgbus.stack.provision import find_java, is_provisioned

pytestmark = pytest.mark.integration

CHECK = """
import java.util.*;
import org.apache.kafka.common.security.ssl.DefaultSslEngineFactory;
public class Check {
  public static void main(String[] a) throws Exception {
    Map<String, Object> c = new HashMap<>();
    c.put("ssl.keystore.type", "PEM");
    c.put("ssl.keystore.location", a[0]);
    c.put("ssl.truststore.type", "PEM");
    c.put("ssl.truststore.location", a[1]);
    c.put("ssl.protocol", "TLSv1.3");
    c.put("ssl.enabled.protocols", List.of("TLSv1.3", "TLSv1.2"));
    c.put("ssl.endpoint.identification.algorithm", "https");
    c.put("ssl.client.auth", "required");
    c.put("ssl.keymanager.algorithm", "SunX509");
    c.put("ssl.trustmanager.algorithm", "PKIX");
    DefaultSslEngineFactory f = new DefaultSslEngineFactory();
    f.configure(c);
    f.createServerSslEngine("127.0.0.1", 9093);
    f.createClientSslEngine("127.0.0.1", 9093, "https");
    System.out.println("loaded " + Collections.list(f.keystore().aliases()).size());
  }
}
"""


def test_kafka_loads_the_pem_keystores(tmp_path: Path) -> None:
    cfg = StackConfig.from_settings(Settings(), state_dir=tmp_path)
    if not is_provisioned(cfg.kafka_dist):
        pytest.skip("Kafka jars not provisioned")
    pki = ensure_pki(tmp_path / "pki")
    (tmp_path / "Check.java").write_text(CHECK)
    for keystore in (pki.server_keystore, pki.broker_keystore):
        out = subprocess.run(
            [
                find_java(),
                "-cp",
                str(cfg.kafka_dist / "libs" / "*"),
                str(tmp_path / "Check.java"),
                str(keystore),
                str(pki.ca_cert),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert out.returncode == 0, out.stdout + out.stderr
        assert "loaded 1" in out.stdout
