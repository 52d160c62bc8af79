"""How to run the identity provider (Keycloak) of the local stack (pure: argv, env, URLs).

Keycloak runs as one ``java`` process, started the way ``bin/kc.sh`` would start it but without
the shell: the distribution is built once when provisioned (:data:`BUILD_OPTIONS`, ``kc.sh
build``) and then started with ``start --optimized``, which skips the ~25 s build on every
start. Its H2 database, transaction logs and temporary files live under the stack's
``<state>/keycloak/``; nothing is written into the shared distribution. Only loopback HTTPS is
served, with the stack's server certificate, and the management interface (health) on its own
port. The issuer is fixed to ``https://127.0.0.1:<port>`` so tokens name the same issuer
however the server is reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sgbus.identity.admin_credentials import AdminCredentials
from sgbus.stack.pki import Pki

LOOPBACK = "127.0.0.1"
ENTRY_POINT = "io.quarkus.bootstrap.runner.QuarkusEntryPoint"
# Build-time options, baked into the distribution by ``kc.sh build``; ``start --optimized``
# runs with them.
BUILD_OPTIONS = ("--db=dev-file", "--health-enabled=true")
DEFAULT_HEAP = "384m"


@dataclass(frozen=True)
class KeycloakLayout:
    """Where one stack's Keycloak runs from and keeps its data, and its ports."""

    dist: Path
    data: Path
    https_port: int
    management_port: int
    heap: str = DEFAULT_HEAP
    host: str = LOOPBACK

    @property
    def base_url(self) -> str:
        """The server's public URL (also the issuer's prefix)."""
        return f"https://{self.host}:{self.https_port}"

    @property
    def health_url(self) -> str:
        """Readiness probe on the management interface (HTTPS, stack CA)."""
        return f"https://{self.host}:{self.management_port}/health/ready"

    def issuer(self, realm: str) -> str:
        """The ``iss`` of tokens issued by ``realm``."""
        return f"{self.base_url}/realms/{realm}"

    def token_url(self, realm: str) -> str:
        """The OIDC token endpoint of ``realm``."""
        return f"{self.issuer(realm)}/protocol/openid-connect/token"

    def jwks_url(self, realm: str) -> str:
        """The JWKS endpoint of ``realm`` (the broker validates tokens against it)."""
        return f"{self.issuer(realm)}/protocol/openid-connect/certs"

    @property
    def db_url(self) -> str:
        """JDBC URL of the file-backed H2 database."""
        return f"jdbc:h2:file:{self.data / 'h2' / 'keycloakdb'};NON_KEYWORDS=VALUE"

    def state_dirs(self) -> list[Path]:
        """Folders to create (0700) before the first start."""
        return [self.data, self.data / "h2", self.data / "tmp", self.data / "transaction-logs"]


def _jvm_args(dist: Path, heap: str) -> list[str]:
    """The JVM options ``kc.sh`` passes, with a capped heap and the serial collector."""
    return [
        "-Xms64m",
        f"-Xmx{heap}",
        "-XX:MetaspaceSize=96M",
        "-XX:MaxMetaspaceSize=256m",
        "-XX:+UseSerialGC",
        "-XX:+ExitOnOutOfMemoryError",
        "-Dfile.encoding=UTF-8",
        "-Djava.security.egd=file:/dev/urandom",
        "-Djava.awt.headless=true",
        "--add-opens=java.base/java.util=ALL-UNNAMED",
        "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
        "--add-opens=java.base/java.security=ALL-UNNAMED",
        "-Duser.language=en",
        "-Duser.country=US",
        "-Djava.util.concurrent.ForkJoinPool.common.threadFactory="
        "io.quarkus.bootstrap.forkjoin.QuarkusForkJoinWorkerThreadFactory",
        f"-Dkc.home.dir={dist}",
        f"-Djboss.server.config.dir={dist / 'conf'}",
        "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
        "-Dpicocli.disable.closures=true",
        "-Dquarkus-log-max-startup-records=10000",
    ]


def keycloak_build_argv(java: str, dist: Path) -> list[str]:
    """Bake :data:`BUILD_OPTIONS` into ``dist`` once (what ``kc.sh build`` does)."""
    return [
        java,
        *_jvm_args(dist, "512m"),
        "-cp",
        str(dist / "lib" / "quarkus-run.jar"),
        ENTRY_POINT,
        "build",
        *BUILD_OPTIONS,
    ]


def keycloak_argv(
    java: str, layout: KeycloakLayout, pki: Pki, marker_args: Sequence[str] = ()
) -> list[str]:
    """Start the built Keycloak in the foreground of its own process."""
    data = layout.data
    return [
        java,
        *_jvm_args(layout.dist, layout.heap),
        *marker_args,
        "-Dkc.config.built=true",
        f"-Djava.io.tmpdir={data / 'tmp'}",
        f"-Dquarkus.transaction-manager.object-store.directory={data / 'transaction-logs'}",
        "-cp",
        str(layout.dist / "lib" / "quarkus-run.jar"),
        ENTRY_POINT,
        "start",
        "--optimized",
        # Local caches only: a clustered Keycloak would open JGroups ports on every interface.
        "--cache=local",
        "--http-enabled=false",
        f"--http-host={layout.host}",
        f"--https-port={layout.https_port}",
        f"--https-certificate-file={pki.server_cert}",
        f"--https-certificate-key-file={pki.server_key}",
        f"--hostname={layout.base_url}",
        f"--http-management-port={layout.management_port}",
        f"--db-url={layout.db_url}",
    ]


def keycloak_env(java: str, admin: AdminCredentials) -> dict[str, str]:
    """Environment: the Java 21+ home and the bootstrap admin (used on the first start only)."""
    return {
        "JAVA_HOME": str(Path(java).resolve().parent.parent),
        "KC_BOOTSTRAP_ADMIN_USERNAME": admin.username,
        "KC_BOOTSTRAP_ADMIN_PASSWORD": admin.password,
    }
