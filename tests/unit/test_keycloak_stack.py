"""Keycloak's distribution, Java 21+ finder and start command (no Keycloak is run)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from sgbus.identity.admin_credentials import (
    AdminCredentials,
    ensure_admin_credentials,
    load_admin_credentials,
)
from sgbus.stack import provision_keycloak as pk
from sgbus.stack import versions
from sgbus.stack.errors import ProvisionError
from sgbus.stack.keycloak_render import (
    BUILD_OPTIONS,
    KeycloakLayout,
    keycloak_argv,
    keycloak_build_argv,
    keycloak_env,
)
from sgbus.stack.pki import Pki

LAYOUT = KeycloakLayout(Path("/h/dist/keycloak-26.4.0"), Path("/s/keycloak"), 18443, 19000)


def test_version_from_the_pom() -> None:
    assert versions.keycloak_version() == "26.4.0"
    assert pk.keycloak_dist(Path("/h")) == Path("/h/dist/keycloak-26.4.0")


def test_start_is_optimized_https_only_on_loopback_with_data_in_the_state_dir() -> None:
    argv = keycloak_argv("/jdk/bin/java", LAYOUT, Pki(Path("/s/pki")), ["-Dsgbus.stack.role=kc"])
    assert argv[0] == "/jdk/bin/java"
    assert "-Xmx384m" in argv and "-Dsgbus.stack.role=kc" in argv
    tail = argv[argv.index("start") :]
    assert tail[:2] == ["start", "--optimized"]
    assert "--http-enabled=false" in tail
    assert "--http-host=127.0.0.1" in tail
    assert "--https-port=18443" in tail
    assert "--http-management-port=19000" in tail
    assert "--https-certificate-file=/s/pki/server.pem" in tail
    assert "--https-certificate-key-file=/s/pki/server.key" in tail
    assert "--hostname=https://127.0.0.1:18443" in tail
    assert "--cache=local" in tail
    assert "--db-url=jdbc:h2:file:/s/keycloak/h2/keycloakdb;NON_KEYWORDS=VALUE" in tail
    assert "-Djava.io.tmpdir=/s/keycloak/tmp" in argv
    assert "-Dkc.config.built=true" in argv
    assert not any(a.startswith("--db=") for a in tail)  # build-time, baked in


def test_build_bakes_the_build_options() -> None:
    argv = keycloak_build_argv("/jdk/bin/java", LAYOUT.dist)
    assert argv[-1 - len(BUILD_OPTIONS) :] == ["build", *BUILD_OPTIONS]
    assert "--db=dev-file" in BUILD_OPTIONS and "--health-enabled=true" in BUILD_OPTIONS


def test_urls() -> None:
    assert LAYOUT.health_url == "https://127.0.0.1:19000/health/ready"
    assert LAYOUT.issuer("sgbus") == "https://127.0.0.1:18443/realms/sgbus"
    assert LAYOUT.token_url("sgbus").endswith("/realms/sgbus/protocol/openid-connect/token")
    assert LAYOUT.jwks_url("sgbus").endswith("/realms/sgbus/protocol/openid-connect/certs")
    assert all(d.is_relative_to(LAYOUT.data) for d in LAYOUT.state_dirs())


def test_env_names_the_java_home_and_the_bootstrap_admin(tmp_path: Path) -> None:
    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.touch()
    env = keycloak_env(str(java), AdminCredentials("boot", "pw"))
    assert env == {
        "JAVA_HOME": str(tmp_path / "jdk"),
        "KC_BOOTSTRAP_ADMIN_USERNAME": "boot",
        "KC_BOOTSTRAP_ADMIN_PASSWORD": "pw",
    }


def test_admin_credentials_are_made_once_and_kept_private(tmp_path: Path) -> None:
    first = ensure_admin_credentials(tmp_path / "identity")
    assert len(first.password) >= 24
    assert ensure_admin_credentials(tmp_path / "identity") == first
    path = tmp_path / "identity" / "admin.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_admin_credentials(path) == first
    assert first.password not in repr(first)


def _fake_java(folder: Path, name: str, version: str) -> Path:
    java = folder / name / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2025-01-01' >&2\n")
    java.chmod(0o755)
    return java


def test_java21_from_the_jvm_folder_when_java_home_is_older(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _fake_java(tmp_path, "java-17", "17.0.15")
    new = _fake_java(tmp_path, "temurin-25", "25.0.1")
    monkeypatch.setenv("JAVA_HOME", str(old.parent.parent))
    monkeypatch.setenv("PATH", "/nonexistent")
    assert pk.find_java21(tmp_path) == str(new)


def test_java_home_wins_when_new_enough(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = _fake_java(tmp_path / "elsewhere", "jdk21", "21.0.4")
    _fake_java(tmp_path, "temurin-25", "25.0.1")
    monkeypatch.setenv("JAVA_HOME", str(home.parent.parent))
    monkeypatch.setenv("PATH", "/nonexistent")
    assert pk.find_java21(tmp_path) == str(home)


def test_no_java21_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_java(tmp_path, "java-17", "17.0.15")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ProvisionError, match=r"Java 21 or newer.*java-17.*Java 17.*openjdk-21"):
        pk.find_java21(tmp_path)


def test_provisioned_dist_is_not_downloaded_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = pk.keycloak_dist(tmp_path)
    dist.mkdir(parents=True)
    (dist / ".complete").write_text("ok\n")
    monkeypatch.setattr(pk, "find_maven", lambda: pytest.fail("no download expected"))
    assert pk.provision_keycloak(tmp_path, java="/x/java") is False
    assert set(os.listdir(tmp_path / "dist")) == {dist.name, ".keycloak.lock"}
