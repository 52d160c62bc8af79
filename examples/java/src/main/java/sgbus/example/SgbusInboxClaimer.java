package sgbus.example;

import io.apicurio.registry.rest.client.RegistryClient;
import io.apicurio.registry.rest.client.RegistryClientFactory;
import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.apicurio.rest.client.auth.BasicAuth;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A department's own system on the sgbus bus, with Maven Central artifacts only.
 *
 * <p>Reads the party's inbox ({@code sg.<party>.inbox}) from the beginning until it finds the
 * event with the given id, decodes it through the schema registry, and publishes the party's
 * {@code Claim} of it to the party's outbox ({@code sg.<party>.outbox}); the bus's router
 * delivers the claim to the event's sender.
 *
 * <pre>
 * java -jar sgbus-inbox-claimer.jar --credentials weihai-drc.json --event-id &lt;uuid&gt;
 *      [--mode INTEGRATED|MANUAL] [--officer NAME] [--timeout-s 60]
 * </pre>
 *
 * Exit status: 0 claimed, 2 the event was not found in time, 1 any other failure.
 */
public final class SgbusInboxClaimer {

    static final String EVENT_ID = "sgbus-event-id";
    static final String EVENT_TYPE = "sgbus-event-type";
    static final String TRACEPARENT = "traceparent";
    /** Registry group of the bus's record-name subjects (ccompat subjects land in it). */
    static final String REGISTRY_GROUP = "default";
    static final String CLAIM_SUBJECT = "sgbus.events.Claim";

    private SgbusInboxClaimer() {}

    public static void main(String[] args) {
        try {
            Options options = Options.parse(args);
            System.exit(run(options));
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(Options.USAGE);
            System.exit(1);
        } catch (Exception e) {
            System.err.println("error: " + e);
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                System.err.println("  caused by: " + c);
            }
            System.exit(1);
        }
    }

    static int run(Options options) throws Exception {
        BusCredentials creds = BusCredentials.read(options.credentials());
        BusCredentials.TrustStore trust = creds.writeTrustStore();
        String party = creds.party();
        Schema claimSchema = registeredSchema(creds, trust, CLAIM_SUBJECT);

        ConsumerRecord<byte[], byte[]> found;
        GenericRecord cause;
        try (AvroKafkaDeserializer<GenericRecord> values = new AvroKafkaDeserializer<>()) {
            values.configure(ClientConfig.serde(creds, trust), false);
            found = findInInbox(creds, trust, party, options.eventId(), options.timeout());
            if (found == null) {
                System.err.println("event " + options.eventId() + " not found in sg." + party
                        + ".inbox within " + options.timeout().toSeconds() + " s");
                return 2;
            }
            cause = values.deserialize(found.topic(), found.headers(), found.value());
        }

        GenericRecord claim = new ClaimBuilder(claimSchema)
                .build(cause, party, options.mode(), options.officer(), Instant.now());
        RecordMetadata sent = publish(creds, trust, party, claim, header(found, TRACEPARENT));
        GenericRecord envelope = (GenericRecord) claim.get("envelope");
        // Ids and types only: an event's body may hold personal data.
        System.out.printf("claimed %s %s from %s: claim %s written to %s-%d@%d%n",
                cause.getSchema().getName(), options.eventId(),
                ((GenericRecord) cause.get("envelope")).get("sender"),
                envelope.get("event_id"), sent.topic(), sent.partition(), sent.offset());
        return 0;
    }

    /** The latest schema registered under {@code subject} (read-only: a party registers nothing). */
    static Schema registeredSchema(BusCredentials creds, BusCredentials.TrustStore trust, String subject)
            throws Exception {
        try (RegistryClient registry = RegistryClientFactory.create(creds.registryBaseUrl(),
                        ClientConfig.restClient(trust), new BasicAuth(creds.clientId(), creds.clientSecret()));
                InputStream text = registry.getLatestArtifact(REGISTRY_GROUP, subject)) {
            return new Schema.Parser().parse(text);
        }
    }

    /** The inbox record whose {@code sgbus-event-id} header is {@code eventId}, or null. */
    static ConsumerRecord<byte[], byte[]> findInInbox(BusCredentials creds, BusCredentials.TrustStore trust,
            String party, String eventId, Duration timeout) {
        Map<String, Object> conf = new HashMap<>(ClientConfig.kafka(creds, trust));
        // The party's ACLs allow consumer groups named "<party>.…".
        conf.put(ConsumerConfig.GROUP_ID_CONFIG, party + ".java-example");
        conf.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // This example looks for one event and commits nothing, so every run reads from the
        // start; a real consumer commits after it has handled (and claimed) what it read.
        conf.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        conf.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Instant deadline = Instant.now().plus(timeout);
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(conf, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of("sg." + party + ".inbox"));
            while (Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (eventId.equals(header(record, EVENT_ID))) {
                        return record;
                    }
                }
            }
        }
        return null;
    }

    /** Writes {@code claim} to the party's outbox and waits until every replica has it. */
    static RecordMetadata publish(BusCredentials creds, BusCredentials.TrustStore trust, String party,
            GenericRecord claim, String parentTrace) throws Exception {
        Map<String, Object> conf = new HashMap<>(ClientConfig.kafka(creds, trust));
        conf.put(ProducerConfig.ACKS_CONFIG, "all");
        conf.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        conf.put(ProducerConfig.CLIENT_ID_CONFIG, party + ".java-example");
        AvroKafkaSerializer<GenericRecord> values = new AvroKafkaSerializer<>();
        values.configure(ClientConfig.serde(creds, trust), false);
        GenericRecord envelope = (GenericRecord) claim.get("envelope");
        String claimId = envelope.get("event_id").toString();
        ProducerRecord<String, GenericRecord> record = new ProducerRecord<>(
                "sg." + party + ".outbox", null, envelope.get("case_key").toString(), claim,
                List.<Header>of(
                        utf8(EVENT_ID, claimId),
                        utf8(EVENT_TYPE, claim.getSchema().getName()),
                        utf8(TRACEPARENT, ClaimBuilder.traceparent(parentTrace, UUID.fromString(claimId)))));
        try (KafkaProducer<String, GenericRecord> producer =
                new KafkaProducer<>(conf, new StringSerializer(), values)) {
            return producer.send(record).get();
        }
    }

    static String header(ConsumerRecord<?, ?> record, String name) {
        Header last = record.headers().lastHeader(name);
        return last == null || last.value() == null ? null : new String(last.value(), StandardCharsets.UTF_8);
    }

    private static Header utf8(String name, String value) {
        return new RecordHeader(name, value.getBytes(StandardCharsets.UTF_8));
    }

    /** Command-line options. */
    record Options(Path credentials, String eventId, ClaimBuilder.Mode mode, String officer, Duration timeout) {
        static final String USAGE = "usage: --credentials FILE --event-id UUID"
                + " [--mode INTEGRATED|MANUAL] [--officer NAME] [--timeout-s SECONDS]";

        static Options parse(String[] args) {
            Map<String, String> given = new HashMap<>();
            for (int i = 0; i < args.length; i += 2) {
                if (!args[i].startsWith("--") || i + 1 >= args.length) {
                    throw new IllegalArgumentException("bad argument " + args[i]);
                }
                given.put(args[i].substring(2), args[i + 1]);
            }
            String credentials = given.remove("credentials");
            String eventId = given.remove("event-id");
            if (credentials == null || eventId == null) {
                throw new IllegalArgumentException("--credentials and --event-id are required");
            }
            UUID.fromString(eventId); // fails early on a malformed id
            ClaimBuilder.Mode mode = ClaimBuilder.Mode.valueOf(given.getOrDefault("mode", "INTEGRATED"));
            String officer = given.remove("officer");
            given.remove("mode");
            Duration timeout = Duration.ofSeconds(Long.parseLong(given.getOrDefault("timeout-s", "60")));
            given.remove("timeout-s");
            if (!given.isEmpty()) {
                throw new IllegalArgumentException("unknown options " + given.keySet());
            }
            return new Options(Path.of(credentials), eventId, mode, officer, timeout);
        }
    }
}
