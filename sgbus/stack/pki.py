"""The local stack's small PKI: one CA, a server certificate, the broker's client certificate.

Everything lives in one folder (mode 0700), every file mode 0600. Keys are EC P-256, written as
unencrypted PKCS#8 (``BEGIN PRIVATE KEY``), which Kafka's PEM keystore (``ssl.keystore.type=PEM``)
and Quarkus (Keycloak, Apicurio) both load. JVMs that cannot read PEM trust stores get
``truststore.p12`` made by ``keytool``, its password in ``truststore.password``. Kafka's PEM
keystore wants key and chain in one file: ``server.keystore.pem`` and ``broker.keystore.pem``.

:func:`ensure_pki` is idempotent: files still valid for more than :data:`RENEW_BEFORE` are reused;
an expiring or broken leaf is reissued by the same CA, an expiring or broken CA renews everything.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import secrets
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from sgbus.stack.errors import ProvisionError
from sgbus.stack.locks import file_lock

RENEW_BEFORE = dt.timedelta(days=30)
CA_LIFETIME = dt.timedelta(days=3650)
LEAF_LIFETIME = dt.timedelta(days=825)
CA_NAME = "sgbus local CA"
SERVER_CN = "sgbus-server"
BROKER_CN = "sgbus-broker"
DEFAULT_HOSTS = ("127.0.0.1", "localhost")

Key = ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class Pki:
    """Paths of the stack's PKI files (all PEM except the PKCS#12 trust store)."""

    folder: Path

    @property
    def ca_cert(self) -> Path:
        """The CA certificate every client trusts."""
        return self.folder / "ca.pem"

    @property
    def ca_key(self) -> Path:
        """The CA's private key."""
        return self.folder / "ca.key"

    @property
    def server_cert(self) -> Path:
        """Certificate of every TLS listener (Kafka, registry, Keycloak)."""
        return self.folder / "server.pem"

    @property
    def server_key(self) -> Path:
        """Private key of :attr:`server_cert`."""
        return self.folder / "server.key"

    @property
    def broker_cert(self) -> Path:
        """The broker's own certificate, CN=sgbus-broker, for its mTLS listener."""
        return self.folder / "broker.pem"

    @property
    def broker_key(self) -> Path:
        """Private key of :attr:`broker_cert`."""
        return self.folder / "broker.key"

    @property
    def server_keystore(self) -> Path:
        """Key, certificate and CA of the server in one PEM file: Kafka's ``ssl.keystore.location``
        with ``ssl.keystore.type=PEM`` (no ``ssl.key.password``: the key is not encrypted)."""
        return self.folder / "server.keystore.pem"

    @property
    def broker_keystore(self) -> Path:
        """Key, certificate and CA of the broker's own identity in one PEM file."""
        return self.folder / "broker.keystore.pem"

    @property
    def truststore(self) -> Path:
        """PKCS#12 trust store holding the CA, for JVMs without PEM support."""
        return self.folder / "truststore.p12"

    @property
    def truststore_password_file(self) -> Path:
        """File holding the trust store's password."""
        return self.folder / "truststore.password"

    def truststore_password(self) -> str:
        """The trust store's password."""
        return self.truststore_password_file.read_text(encoding="utf-8").strip()

    def ca_pem(self) -> str:
        """The CA certificate as PEM text (for inline client settings)."""
        return self.ca_cert.read_text(encoding="ascii")


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with mode 0600 (also when the file existed)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)


def ensure_pki(folder: Path, hosts: Sequence[str] = DEFAULT_HOSTS) -> Pki:
    """Create (or reuse while valid for > 30 days) the CA and certificates in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    pki = Pki(folder)
    with file_lock(folder / ".lock"):
        os.chmod(folder / ".lock", 0o600)
        ca_renewed = _ensure_ca(pki)
        ca_cert, ca_key = _load_pair(pki.ca_cert, pki.ca_key)
        for cert, key, cn in (
            (pki.server_cert, pki.server_key, SERVER_CN),
            (pki.broker_cert, pki.broker_key, BROKER_CN),
        ):
            if ca_renewed or not _leaf_valid(cert, key, ca_cert, cn, hosts):
                _issue_leaf(cert, key, cn, hosts, ca_cert, ca_key)
        _write_keystore(pki.server_keystore, pki.server_key, pki.server_cert, pki.ca_cert)
        _write_keystore(pki.broker_keystore, pki.broker_key, pki.broker_cert, pki.ca_cert)
        if ca_renewed or not _truststore_valid(pki):
            _make_truststore(pki)
    return pki


def _write_keystore(keystore: Path, key: Path, cert: Path, ca: Path) -> None:
    """Key, leaf and CA concatenated into ``keystore`` (rewritten only when they changed)."""
    content = key.read_bytes() + cert.read_bytes() + ca.read_bytes()
    if not keystore.is_file() or keystore.read_bytes() != content:
        write_private(keystore, content)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _new_key() -> Key:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: Key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _load_pair(cert_path: Path, key_path: Path) -> tuple[x509.Certificate, Key]:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{key_path} is not an EC key")
    return cert, key


def _fresh(cert: x509.Certificate) -> bool:
    return cert.not_valid_after_utc - _now() > RENEW_BEFORE


def _matches(cert: x509.Certificate, key: Key) -> bool:
    return cert.public_key() == key.public_key()


def _ca_valid(pki: Pki) -> bool:
    try:
        cert, key = _load_pair(pki.ca_cert, pki.ca_key)
    except (OSError, ValueError):
        return False
    return _fresh(cert) and _matches(cert, key)


def _ensure_ca(pki: Pki) -> bool:
    """Make a new CA unless a valid one is present; True when a new one was made."""
    if _ca_valid(pki):
        return False
    key = _new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
    cert = (
        _builder(name, name, key, CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    write_private(pki.ca_key, _key_pem(key))
    write_private(pki.ca_cert, cert.public_bytes(serialization.Encoding.PEM))
    return True


def _builder(
    subject: x509.Name, issuer: x509.Name, key: Key, lifetime: dt.timedelta
) -> x509.CertificateBuilder:
    now = _now()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + lifetime)
    )


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=not ca,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def san_for(hosts: Sequence[str]) -> x509.SubjectAlternativeName:
    """Subject alternative names: IP entries for addresses, DNS entries for names."""
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def _issue_leaf(
    cert_path: Path,
    key_path: Path,
    cn: str,
    hosts: Sequence[str],
    ca_cert: x509.Certificate,
    ca_key: Key,
) -> None:
    """Issue a server+client certificate for ``cn`` and ``hosts`` signed by the CA."""
    key = _new_key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    eku = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        _builder(subject, ca_cert.subject, key, LEAF_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage(eku), critical=False)
        .add_extension(san_for(hosts), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    write_private(key_path, _key_pem(key))
    write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))


def _leaf_valid(
    cert_path: Path, key_path: Path, ca: x509.Certificate, cn: str, hosts: Sequence[str]
) -> bool:
    """True when the leaf exists, is fresh, matches its key, CN and hosts, and the CA signed it."""
    try:
        cert, key = _load_pair(cert_path, key_path)
        cert.verify_directly_issued_by(ca)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
        return False
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return (
        _fresh(cert)
        and _matches(cert, key)
        and [n.value for n in names] == [cn]
        and set(san) == set(san_for(hosts))
    )


def find_keytool() -> str:
    """``keytool`` of ``JAVA_HOME``, else the one on ``PATH``."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "keytool").is_file():
        return str(Path(java_home) / "bin" / "keytool")
    found = shutil.which("keytool")
    if not found:
        raise ProvisionError(
            "keytool not found: it comes with Java (e.g. `apt-get install openjdk-17-jre-headless`)"
            " and makes the stack's Java trust store; put Java on PATH or set JAVA_HOME."
        )
    return found


def _truststore_valid(pki: Pki) -> bool:
    return (
        pki.truststore.is_file()
        and pki.truststore_password_file.is_file()
        and pki.truststore.stat().st_mtime >= pki.ca_cert.stat().st_mtime
    )


def _make_truststore(pki: Pki) -> None:
    """(Re)create ``truststore.p12`` with the CA as its only trusted entry."""
    write_private(pki.truststore_password_file, secrets.token_urlsafe(24).encode() + b"\n")
    partial = pki.folder / "truststore.p12.partial"
    partial.unlink(missing_ok=True)
    argv = [
        find_keytool(),
        "-importcert",
        "-noprompt",
        "-storetype",
        "PKCS12",
        "-alias",
        "sgbus-ca",
        "-file",
        str(pki.ca_cert),
        "-keystore",
        str(partial),
        "-storepass:file",
        str(pki.truststore_password_file),
    ]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    if out.returncode != 0:
        raise ProvisionError(f"keytool could not make {pki.truststore}: {out.stdout}{out.stderr}")
    os.chmod(partial, 0o600)
    partial.replace(pki.truststore)
