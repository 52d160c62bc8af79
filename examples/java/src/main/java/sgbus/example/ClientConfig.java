package sgbus.example;

import io.apicurio.registry.serde.Legacy4ByteIdHandler;
import io.apicurio.registry.serde.SerdeConfig;
import io.apicurio.registry.serde.avro.strategy.QualifiedRecordIdStrategy;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;

/** Kafka client and Apicurio serde settings for the bus, from one credentials file. */
public final class ClientConfig {

    /** JVM property Kafka 4 checks before it calls a token endpoint (it lists allowed URLs). */
    public static final String ALLOWED_URLS_PROPERTY = "org.apache.kafka.sasl.oauthbearer.allowed.urls";

    private ClientConfig() {}

    /**
     * Security settings shared by the consumer and the producer: SASL_SSL, OAUTHBEARER tokens from
     * the identity provider with the client-credentials grant, the stack's CA as PEM text.
     */
    public static Map<String, Object> kafka(BusCredentials creds, BusCredentials.TrustStore trust) {
        allowTokenEndpoint(creds.tokenEndpointUrl());
        Map<String, Object> conf = new HashMap<>();
        conf.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, creds.bootstrapServers());
        conf.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_SSL");
        conf.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
        conf.put(SslConfigs.SSL_TRUSTSTORE_CERTIFICATES_CONFIG, creds.caPem());
        conf.put(SaslConfigs.SASL_MECHANISM, "OAUTHBEARER");
        conf.put(SaslConfigs.SASL_LOGIN_CALLBACK_HANDLER_CLASS,
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler");
        conf.put(SaslConfigs.SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL, creds.tokenEndpointUrl());
        // Kafka 4.1 names the client credentials in its configuration; older clients take them
        // as the JAAS options clientId="…" clientSecret="…" (deprecated since 4.1).
        conf.put(SaslConfigs.SASL_OAUTHBEARER_CLIENT_CREDENTIALS_CLIENT_ID, creds.clientId());
        conf.put(SaslConfigs.SASL_OAUTHBEARER_CLIENT_CREDENTIALS_CLIENT_SECRET, creds.clientSecret());
        // The token request goes over HTTPS too; its TLS settings are JAAS options (a file,
        // since a JAAS option cannot carry the PEM's line breaks).
        conf.put(SaslConfigs.SASL_JAAS_CONFIG,
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required"
                        + " ssl.truststore.location=" + quoted(trust.location().toString())
                        + " ssl.truststore.type=" + quoted(trust.type())
                        + " ssl.truststore.password=" + quoted(trust.password()) + ";");
        return conf;
    }

    /**
     * Apicurio serde settings for the Confluent wire format the bus uses: magic byte 0, a 4-byte
     * schema id (the registry's content id, as its ccompat API hands out), then the Avro body.
     * Subjects are record names (group {@code default}, artifact e.g. {@code sgbus.events.Claim});
     * nothing is registered: a party may only read the registry.
     */
    public static Map<String, Object> serde(BusCredentials creds, BusCredentials.TrustStore trust) {
        Map<String, Object> conf = new HashMap<>();
        conf.put(SerdeConfig.REGISTRY_URL, creds.registryBaseUrl());
        conf.put(SerdeConfig.AUTH_USERNAME, creds.clientId());
        conf.put(SerdeConfig.AUTH_PASSWORD, creds.clientSecret());
        conf.put(SerdeConfig.REQUEST_TRUSTSTORE_LOCATION, trust.location().toString());
        conf.put(SerdeConfig.REQUEST_TRUSTSTORE_TYPE, trust.type());
        conf.put(SerdeConfig.REQUEST_TRUSTSTORE_PASSWORD, trust.password());
        conf.put(SerdeConfig.ID_HANDLER, Legacy4ByteIdHandler.class.getName());
        conf.put(SerdeConfig.USE_ID, "contentId");
        conf.put(SerdeConfig.ENABLE_HEADERS, "false"); // the id travels in the value, not in headers
        conf.put(SerdeConfig.AUTO_REGISTER_ARTIFACT, "false");
        conf.put(SerdeConfig.ARTIFACT_RESOLVER_STRATEGY, QualifiedRecordIdStrategy.class.getName());
        return conf;
    }

    /** Settings of Apicurio's REST client for the same registry (to read a schema). */
    public static Map<String, Object> restClient(BusCredentials.TrustStore trust) {
        Map<String, Object> conf = new HashMap<>();
        conf.put("apicurio.rest.request.ssl.truststore.location", trust.location().toString());
        conf.put("apicurio.rest.request.ssl.truststore.type", trust.type());
        conf.put("apicurio.rest.request.ssl.truststore.password", trust.password());
        return conf;
    }

    private static void allowTokenEndpoint(String url) {
        String allowed = System.getProperty(ALLOWED_URLS_PROPERTY, "");
        if (!(("," + allowed + ",").contains("," + url + ","))) {
            System.setProperty(ALLOWED_URLS_PROPERTY, allowed.isEmpty() ? url : allowed + "," + url);
        }
    }

    private static String quoted(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
