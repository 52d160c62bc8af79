package sgbus.example;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.UUID;

/**
 * One principal's credentials file, as {@code sgbus credentials issue} hands it out.
 *
 * <p>The file has two objects: {@code kafka} (librdkafka keys: {@code bootstrap.servers},
 * {@code sasl.oauthbearer.client.id}, {@code sasl.oauthbearer.client.secret},
 * {@code sasl.oauthbearer.token.endpoint.url}, {@code ssl.ca.pem}) and {@code schema_registry}
 * ({@code url} of the registry's Confluent-compatible API, {@code basic.auth.user.info}). The
 * same client id and secret open the broker (OAUTHBEARER tokens) and the registry (basic auth).
 */
public record BusCredentials(
        String bootstrapServers,
        String clientId,
        String clientSecret,
        String tokenEndpointUrl,
        String caPem,
        String registryCcompatUrl) {

    /** Path of the Confluent-compatible API that the credentials file names. */
    static final String CCOMPAT_PATH = "/apis/ccompat/v7";
    /** Path of Apicurio's own API, which Apicurio's serdes and client talk to. */
    static final String REGISTRY_V2_PATH = "/apis/registry/v2";

    /** Reads and checks the credentials file at {@code path}. */
    public static BusCredentials read(Path path) throws IOException {
        JsonNode doc = new ObjectMapper().readTree(path.toFile());
        JsonNode kafka = required(doc, "kafka", path);
        JsonNode registry = required(doc, "schema_registry", path);
        return new BusCredentials(
                text(kafka, "bootstrap.servers", path),
                text(kafka, "sasl.oauthbearer.client.id", path),
                text(kafka, "sasl.oauthbearer.client.secret", path),
                text(kafka, "sasl.oauthbearer.token.endpoint.url", path),
                text(kafka, "ssl.ca.pem", path),
                text(registry, "url", path));
    }

    /** The party this principal is: a department's client id is its party id. */
    public String party() {
        return clientId;
    }

    /** Base URL of Apicurio's v2 API, derived from the ccompat URL of the credentials file. */
    public String registryBaseUrl() {
        String url = registryCcompatUrl.replaceAll("/+$", "");
        if (url.endsWith(CCOMPAT_PATH)) {
            return url.substring(0, url.length() - CCOMPAT_PATH.length()) + REGISTRY_V2_PATH;
        }
        URI uri = URI.create(url);
        return uri.getScheme() + "://" + uri.getRawAuthority() + REGISTRY_V2_PATH;
    }

    /**
     * Writes the stack's CA as a PKCS12 trust store (mode 0600, deleted at exit) for the two
     * HTTPS clients that take only a key store file: the token fetcher of Kafka's OAUTHBEARER
     * login, and Apicurio's registry client. The broker connection takes the PEM text itself.
     */
    public TrustStore writeTrustStore() throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        int i = 0;
        for (Certificate cert : x509.generateCertificates(
                new ByteArrayInputStream(caPem.getBytes(StandardCharsets.US_ASCII)))) {
            store.setCertificateEntry("sgbus-ca-" + i++, cert);
        }
        if (i == 0) {
            throw new GeneralSecurityException("ssl.ca.pem of the credentials file holds no certificate");
        }
        String password = UUID.randomUUID().toString();
        Path file = Files.createTempFile("sgbus-ca-", ".p12",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        file.toFile().deleteOnExit();
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, password.toCharArray());
        }
        return new TrustStore(file, "PKCS12", password);
    }

    /** A trust store file written by {@link #writeTrustStore()}. */
    public record TrustStore(Path location, String type, String password) {}

    private static JsonNode required(JsonNode doc, String key, Path path) {
        JsonNode node = doc.get(key);
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("credentials file " + path + " has no '" + key + "' object");
        }
        return node;
    }

    private static String text(JsonNode node, String key, Path path) {
        JsonNode value = node.get(key);
        if (value == null || !value.isTextual() || value.asText().isEmpty()) {
            throw new IllegalArgumentException("credentials file " + path + " lacks '" + key + "'");
        }
        return value.asText();
    }

    @Override
    public String toString() { // never the secret
        return "BusCredentials[" + clientId + " @ " + bootstrapServers + "]";
    }
}
