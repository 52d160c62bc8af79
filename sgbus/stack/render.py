"""Pure rendering of the stack's configuration files and command lines (no I/O here)."""

from __future__ import annotations

from pathlib import Path

from sgbus.bus.principals import BROKER, kafka_principal
from sgbus.stack.config import AUDIENCE, LOOPBACK, REALM, StackConfig
from sgbus.stack.versions import registry_version

KAFKA_MAIN = "kafka.Kafka"
#: The identity provider's client the registry validates tokens for.
REGISTRY_CLIENT = "sgbus-registry"
STORAGE_TOOL_MAIN = "kafka.tools.StorageTool"

# Single-node values: the defaults (replication 3, min ISR 2) make the internal topics unusable on
# one broker, so transactions and consumer groups would fail or hang. Few partitions for the
# internal topics keep start-up and the first group join quick.
_SINGLE_NODE = {
    "num.partitions": "3",
    "default.replication.factor": "1",
    "min.insync.replicas": "1",
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "6",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "transaction.state.log.num.partitions": "6",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    "group.initial.rebalance.delay.ms": "0",
    "log.retention.hours": "168",
}


def server_properties(cfg: StackConfig) -> dict[str, str]:
    """The broker's settings: one combined broker+controller node on loopback, secured unless
    the stack is a plaintext development one."""
    if cfg.secured:
        return {**secured_listeners(cfg), **oauth_validation(cfg), **authorization(cfg)}
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{LOOPBACK}:{cfg.controller_port}",
        "listeners": (
            f"PLAINTEXT://{LOOPBACK}:{cfg.kafka_port},CONTROLLER://{LOOPBACK}:{cfg.controller_port}"
        ),
        "advertised.listeners": f"PLAINTEXT://{LOOPBACK}:{cfg.kafka_port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(cfg.kafka_data),
    }
    props.update(_SINGLE_NODE)
    return props


def kafka_keystore(cfg: StackConfig) -> Path:
    """The broker's key and certificate chain in one PEM file, as Kafka's PEM keystore wants
    (:attr:`sgbus.stack.pki.Pki.broker_keystore`)."""
    return cfg.pki_dir / "broker.keystore.pem"


def secured_listeners(cfg: StackConfig) -> dict[str, str]:
    """Three TLS listeners: clients authenticate with OAUTHBEARER tokens (SASL_SSL); the
    controller and the broker's own connections with mutual TLS."""
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{LOOPBACK}:{cfg.controller_port}",
        "listeners": (
            f"CLIENTS://{LOOPBACK}:{cfg.kafka_port},CONTROLLER://{LOOPBACK}:{cfg.controller_port},"
            f"INTERNAL://{LOOPBACK}:{cfg.internal_port}"
        ),
        "advertised.listeners": (
            f"CLIENTS://{LOOPBACK}:{cfg.kafka_port},INTERNAL://{LOOPBACK}:{cfg.internal_port}"
        ),
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "INTERNAL",
        "listener.security.protocol.map": "CLIENTS:SASL_SSL,CONTROLLER:SSL,INTERNAL:SSL",
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": str(kafka_keystore(cfg)),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(cfg.pki_dir / "ca.pem"),
        "ssl.client.auth": "required",
        "listener.name.clients.ssl.client.auth": "none",
        # "CN=sgbus-broker" -> principal User:sgbus-broker.
        "ssl.principal.mapping.rules": "RULE:^CN=([^,]+)$/$1/,DEFAULT",
        "log.dirs": str(cfg.kafka_data),
    }
    props.update(_SINGLE_NODE)
    return props


def oauth_validation(cfg: StackConfig) -> dict[str, str]:
    """The CLIENTS listener accepts tokens of the realm: signature checked against its JWKS,
    issuer and audience checked, principal taken from ``azp`` (the client id)."""
    ca = cfg.pki_dir / "ca.pem"
    # The server side still instantiates a login module; an unsecured token with the broker's
    # name satisfies it and is never sent anywhere.
    jaas = (
        "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required"
        f' ssl.truststore.type="PEM" ssl.truststore.location="{ca}"'
        f' unsecuredLoginStringClaim_sub="{BROKER}" unsecuredLoginStringClaim_azp="{BROKER}" ;'
    )
    return {
        "sasl.enabled.mechanisms": "OAUTHBEARER",
        "listener.name.clients.sasl.enabled.mechanisms": "OAUTHBEARER",
        "listener.name.clients.oauthbearer.sasl.server.callback.handler.class": (
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler"
        ),
        "listener.name.clients.oauthbearer.sasl.jaas.config": jaas,
        "sasl.oauthbearer.jwks.endpoint.url": cfg.jwks_url,
        "sasl.oauthbearer.expected.audience": AUDIENCE,
        "sasl.oauthbearer.expected.issuer": cfg.issuer,
        "sasl.oauthbearer.sub.claim.name": "azp",
        # Connections re-authenticate once a token's lifetime has passed, so a revoked client
        # loses its open connections too, not only new ones.
        "connections.max.reauth.ms": str(cfg.token_lifespan_s * 1000),
    }


def authorization(cfg: StackConfig) -> dict[str, str]:
    """ACLs decide everything; nothing is allowed without one, and no topic appears by itself."""
    supers = ";".join(kafka_principal(p) for p in (BROKER, *cfg.extra_super_users))
    return {
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "allow.everyone.if.no.acl.found": "false",
        "super.users": supers,
        "auto.create.topics.enable": "false",
    }


def properties_text(props: dict[str, str]) -> str:
    """Render a Java properties file; values here never need escaping beyond backslashes."""
    lines = ["# Written by `sgbus stack up`; edits are overwritten on the next start."]
    lines += [f"{k}={v.replace(chr(92), chr(92) * 2)}" for k, v in props.items()]
    return "\n".join(lines) + "\n"


def log4j2_yaml() -> str:
    """Broker logging: a size-capped rolling file under ``kafka.logs.dir``."""
    return (
        "Configuration:\n"
        "  Appenders:\n"
        "    RollingFile:\n"
        "      - name: server\n"
        '        fileName: "${sys:kafka.logs.dir}/server.log"\n'
        '        filePattern: "${sys:kafka.logs.dir}/server.log.%i"\n'
        "        PatternLayout:\n"
        '          pattern: "[%d] %p %m (%c)%n"\n'
        "        SizeBasedTriggeringPolicy:\n"
        "          size: 10MB\n"
        "        DefaultRolloverStrategy:\n"
        "          max: 3\n"
        "  Loggers:\n"
        "    Logger:\n"
        "      - name: kafka.request.logger\n"
        "        level: WARN\n"
        "      - name: state.change.logger\n"
        "        level: WARN\n"
        "    Root:\n"
        "      level: INFO\n"
        "      AppenderRef:\n"
        "        - ref: server\n"
    )


def marker_args(cfg: StackConfig, role: str) -> list[str]:
    """System properties that let ``status`` and ``down`` tell this stack's process of ``role``
    from an unrelated process that reused a stale pid."""
    return [f"-Dsgbus.stack.role={role}", f"-Dsgbus.stack.dir={cfg.state_dir}"]


def marker(cfg: StackConfig, role: str) -> str:
    """``marker_args`` as they appear in /proc/<pid>/cmdline (each argument ends in a space)."""
    return "".join(arg + " " for arg in marker_args(cfg, role))


def _kafka_jvm(cfg: StackConfig) -> list[str]:
    return [
        f"-Dlog4j2.configurationFile={cfg.kafka_conf / 'log4j2.yaml'}",
        f"-Dkafka.logs.dir={cfg.logs / 'kafka'}",
        "-cp",
        str(cfg.kafka_dist / "libs" / "*"),
    ]


def kafka_format_argv(java: str, cfg: StackConfig, cluster_id: str) -> list[str]:
    """Format the empty log directory once (static quorum, so no ``--standalone``)."""
    return [
        java,
        "-Xmx256m",
        *_kafka_jvm(cfg),
        STORAGE_TOOL_MAIN,
        "format",
        "-t",
        cluster_id,
        "-c",
        str(cfg.kafka_conf / "server.properties"),
    ]


def kafka_server_argv(java: str, cfg: StackConfig) -> list[str]:
    """Start the broker in the foreground of its own process."""
    # Kafka 4 fetches OAuth URLs only when they are listed here.
    allowed = [f"-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls={cfg.jwks_url},{cfg.token_url}"]
    return [
        java,
        "-Xms128m",
        f"-Xmx{cfg.kafka_heap}",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-Djava.awt.headless=true",
        *(allowed if cfg.secured else []),
        *marker_args(cfg, "kafka"),
        *_kafka_jvm(cfg),
        KAFKA_MAIN,
        str(cfg.kafka_conf / "server.properties"),
    ]


def registry_jar(dist: Path) -> Path:
    """The legacy-jar launcher of Apicurio Registry 2.x (``lib/`` sits beside it)."""
    return dist / f"apicurio-registry-app-{registry_version()}-runner.jar"


def registry_env(cfg: StackConfig) -> dict[str, str]:
    """Environment for the registry: a file-backed H2 database so schemas survive a restart;
    when secured, tokens of the realm, basic client credentials exchanged for tokens (what
    Confluent clients send), and roles: readers read, only ``registry-admin`` writes."""
    db = cfg.registry_data / "registry"
    env = {"REGISTRY_DATASOURCE_URL": f"jdbc:h2:file:{db};DB_CLOSE_ON_EXIT=FALSE"}
    if cfg.secured:
        env.update(
            {
                "AUTH_ENABLED": "true",
                "KEYCLOAK_URL": cfg.identity_url,
                "KEYCLOAK_REALM": REALM,
                "KEYCLOAK_API_CLIENT_ID": REGISTRY_CLIENT,
                "CLIENT_CREDENTIALS_BASIC_AUTH_ENABLED": "true",
                "ROLE_BASED_AUTHZ_ENABLED": "true",
                "REGISTRY_AUTH_ROLES_ADMIN": "registry-admin",
                "REGISTRY_AUTH_ROLES_DEVELOPER": "registry-admin",
                "REGISTRY_AUTH_ROLES_READONLY": "registry-reader",
                "REGISTRY_AUTH_ANONYMOUS_READS_ENABLED": "false",
            }
        )
    return env


def registry_tls_args(cfg: StackConfig, truststore_password: str) -> list[str]:
    """HTTPS only, with the stack's server certificate; the JVM trusts the stack's CA for its
    calls to the identity provider."""
    pki = cfg.pki_dir
    return [
        f"-Djavax.net.ssl.trustStore={pki / 'truststore.p12'}",
        f"-Djavax.net.ssl.trustStorePassword={truststore_password}",
        "-Djavax.net.ssl.trustStoreType=PKCS12",
        "-Dquarkus.http.port=0",
        f"-Dquarkus.http.ssl-port={cfg.registry_port}",
        f"-Dquarkus.http.ssl.certificate.files={pki / 'server.pem'}",
        f"-Dquarkus.http.ssl.certificate.key-files={pki / 'server.key'}",
        "-Dquarkus.http.insecure-requests=disabled",
    ]


def registry_argv(java: str, cfg: StackConfig, truststore_password: str = "") -> list[str]:
    """Start Apicurio Registry bound to loopback with a capped heap and a small connection pool."""
    return [
        java,
        "-Xms64m",
        f"-Xmx{cfg.registry_heap}",
        "-XX:+UseSerialGC",
        # C1 only: starts in about two thirds of the time with less memory; the registry's
        # load is light because clients cache schemas by id.
        "-XX:TieredStopAtLevel=1",
        "-Djava.awt.headless=true",
        *marker_args(cfg, "registry"),
        f"-Dquarkus.http.host={LOOPBACK}",
        *(
            registry_tls_args(cfg, truststore_password)
            if cfg.secured
            else [f"-Dquarkus.http.port={cfg.registry_port}"]
        ),
        # The packaged default keeps 20 idle connections; one developer needs far fewer.
        "-Dquarkus.datasource.jdbc.initial-size=1",
        "-Dquarkus.datasource.jdbc.min-size=1",
        "-Dquarkus.datasource.jdbc.max-size=8",
        "-jar",
        str(registry_jar(cfg.registry_dist)),
    ]
