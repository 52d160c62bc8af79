"""The stack's PKI: files, modes, names, chain, reuse and renewal."""

from __future__ import annotations

import datetime as dt
import ipaddress
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from sgbus.stack import pki as pki_module
from sgbus.stack.pki import Pki, ensure_pki, find_keytool


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return ensure_pki(tmp_path_factory.mktemp("pki") / "pki")


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _files(pki: Pki) -> list[Path]:
    return [
        pki.ca_cert,
        pki.ca_key,
        pki.server_cert,
        pki.server_key,
        pki.broker_cert,
        pki.broker_key,
        pki.server_keystore,
        pki.broker_keystore,
        pki.truststore,
        pki.truststore_password_file,
    ]


def test_every_file_exists_with_mode_0600_in_a_0700_folder(made: Pki) -> None:
    assert stat.S_IMODE(made.folder.stat().st_mode) == 0o700
    for path in _files(made):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_keys_are_unencrypted_pkcs8(made: Pki) -> None:
    for key in (made.ca_key, made.server_key, made.broker_key):
        text = key.read_text()
        assert text.startswith("-----BEGIN PRIVATE KEY-----"), key
        serialization.load_pem_private_key(text.encode(), password=None)


def test_server_certificate_names_the_loopback_hosts(made: Pki) -> None:
    cert = _cert(made.server_cert)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(eku) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}


def test_broker_certificate_is_cn_sgbus_broker(made: Pki) -> None:
    cert = _cert(made.broker_cert)
    [cn] = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert cn.value == "sgbus-broker"
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.CLIENT_AUTH in eku


def test_leaves_chain_to_the_ca(made: Pki) -> None:
    ca = _cert(made.ca_cert)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    for leaf in (made.server_cert, made.broker_cert):
        _cert(leaf).verify_directly_issued_by(ca)


def test_openssl_verifies_the_chain(made: Pki) -> None:
    for leaf in (made.server_cert, made.broker_cert):
        out = subprocess.run(
            ["openssl", "verify", "-CAfile", str(made.ca_cert), str(leaf)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert out.returncode == 0, out.stderr


def test_truststore_holds_the_ca(made: Pki) -> None:
    out = subprocess.run(
        [
            find_keytool(),
            "-list",
            "-storetype",
            "PKCS12",
            "-keystore",
            str(made.truststore),
            "-storepass:file",
            str(made.truststore_password_file),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "sgbus-ca" in out.stdout and "trustedCertEntry" in out.stdout


def test_keystores_hold_key_leaf_and_ca(made: Pki) -> None:
    for keystore, key, cert in (
        (made.server_keystore, made.server_key, made.server_cert),
        (made.broker_keystore, made.broker_key, made.broker_cert),
    ):
        assert (
            keystore.read_bytes()
            == key.read_bytes() + cert.read_bytes() + made.ca_cert.read_bytes()
        )


def test_second_call_reuses_everything(tmp_path: Path) -> None:
    first = ensure_pki(tmp_path / "pki")
    before = {p: p.read_bytes() for p in _files(first)}
    second = ensure_pki(tmp_path / "pki")
    assert {p: p.read_bytes() for p in _files(second)} == before


def test_expiring_leaf_is_reissued_by_the_same_ca(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pki_module, "LEAF_LIFETIME", dt.timedelta(days=10))
    pki = ensure_pki(tmp_path / "pki")
    ca_before, server_before = pki.ca_cert.read_bytes(), pki.server_cert.read_bytes()
    monkeypatch.setattr(pki_module, "LEAF_LIFETIME", dt.timedelta(days=400))
    ensure_pki(tmp_path / "pki")
    assert pki.ca_cert.read_bytes() == ca_before
    assert pki.server_cert.read_bytes() != server_before
    assert _cert(pki.server_cert).not_valid_after_utc - dt.datetime.now(dt.UTC) > dt.timedelta(
        days=300
    )


def test_expiring_ca_renews_everything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pki_module, "CA_LIFETIME", dt.timedelta(days=20))
    pki = ensure_pki(tmp_path / "pki")
    renewed = (pki.ca_cert, pki.broker_cert, pki.broker_keystore, pki.truststore)
    before = {p: p.read_bytes() for p in renewed}
    monkeypatch.undo()
    ensure_pki(tmp_path / "pki")
    for path, old in before.items():
        assert path.read_bytes() != old, path
    _cert(pki.broker_cert).verify_directly_issued_by(_cert(pki.ca_cert))


def test_new_hosts_reissue_the_leaves(tmp_path: Path) -> None:
    pki = ensure_pki(tmp_path / "pki")
    ensure_pki(tmp_path / "pki", hosts=("127.0.0.1", "localhost", "bus.example"))
    san = _cert(pki.server_cert).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert "bus.example" in san.value.get_values_for_type(x509.DNSName)


def test_damaged_key_is_replaced(tmp_path: Path) -> None:
    pki = ensure_pki(tmp_path / "pki")
    pki.server_key.write_text("garbage")
    ensure_pki(tmp_path / "pki")
    cert = _cert(pki.server_cert)
    key = serialization.load_pem_private_key(pki.server_key.read_bytes(), password=None)
    assert cert.public_key() == key.public_key()
