package sgbus.example;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/** Builds the bus's {@code sgbus.events.Claim} (认领) of a received event, as generic Avro. */
public final class ClaimBuilder {

    /** Namespace of claim ids: the same (event, party) always gives the same claim id. */
    static final UUID CLAIM_NAMESPACE = UUID.fromString("0b7f6c3e-8d1a-4f0e-9c57-3a2d41e5b6f8");

    /** How the claim was made: by a liaison officer, or by the department's system on receipt. */
    public enum Mode { MANUAL, INTEGRATED }

    static final String INTEGRATED_NOTE = "integrated: claimed on receipt by the department's own system";

    private final Schema claimSchema;

    /** {@code claimSchema} is the registered {@code sgbus.events.Claim} schema. */
    public ClaimBuilder(Schema claimSchema) {
        this.claimSchema = claimSchema;
    }

    /** The claim id of {@code claimedEventId} by {@code party} (a name-based UUID, version 5). */
    public static UUID claimEventId(String claimedEventId, String party) {
        return uuid5(CLAIM_NAMESPACE, UUID.fromString(claimedEventId) + "|" + party);
    }

    /**
     * The claim by {@code party} of {@code cause} (a decoded event of any type), addressed to its
     * sender: same region, case and conversation, caused by the claimed event.
     */
    public GenericRecord build(GenericRecord cause, String party, Mode mode, String officer, Instant at) {
        if (mode == Mode.INTEGRATED && officer != null) {
            throw new IllegalArgumentException("an integrated claim has no officer");
        }
        GenericRecord causeEnvelope = (GenericRecord) cause.get("envelope");
        String causeId = causeEnvelope.get("event_id").toString();
        Schema envelopeSchema = claimSchema.getField("envelope").schema();
        GenericRecord envelope = new GenericData.Record(envelopeSchema);
        envelope.put("event_id", claimEventId(causeId, party).toString());
        envelope.put("event_type", claimSchema.getName());
        envelope.put("occurred_at", at.toEpochMilli());
        envelope.put("sender", party);
        envelope.put("recipients", List.of(causeEnvelope.get("sender").toString()));
        envelope.put("region", causeEnvelope.get("region").toString());
        envelope.put("case_key", causeEnvelope.get("case_key").toString());
        envelope.put("correlation_id", causeEnvelope.get("correlation_id").toString());
        envelope.put("causation_id", causeId);
        envelope.put("schema_version", schemaVersion());

        GenericRecord claim = new GenericData.Record(claimSchema);
        claim.put("envelope", envelope);
        claim.put("claimed_event_id", causeId);
        claim.put("claimed_event_type", cause.getSchema().getName());
        claim.put("mode", new GenericData.EnumSymbol(claimSchema.getField("mode").schema(), mode.name()));
        claim.put("claimed_by", party);
        claim.put("officer", officer == null ? null : officer(officer));
        claim.put("claimed_at", at.toEpochMilli());
        claim.put("note", mode == Mode.INTEGRATED ? INTEGRATED_NOTE : null);
        return claim;
    }

    /** The schema's own {@code "version"} property: what {@code envelope.schema_version} says. */
    public int schemaVersion() {
        Object version = claimSchema.getObjectProp("version");
        return version instanceof Number n ? n.intValue() : 1;
    }

    /** A W3C traceparent for the claim, in the claimed event's trace when it has a valid one. */
    public static String traceparent(String parent, UUID claimId) {
        String hex = claimId.toString().replace("-", "");
        String span = hex.substring(0, 16);
        if (parent != null && parent.matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
                && !parent.substring(3, 35).equals("0".repeat(32))) {
            return "00-" + parent.substring(3, 35) + "-" + span + "-" + parent.substring(53);
        }
        return "00-" + hex + "-" + span + "-01";
    }

    private GenericRecord officer(String name) {
        Schema union = claimSchema.getField("officer").schema();
        Schema contact = union.getTypes().stream()
                .filter(s -> s.getType() == Schema.Type.RECORD).findFirst().orElseThrow();
        GenericRecord person = new GenericData.Record(contact);
        for (Schema.Field field : contact.getFields()) {
            if (field.hasDefaultValue()) {
                person.put(field.name(), GenericData.get().getDefaultValue(field));
            }
        }
        person.put("name", name);
        return person;
    }

    private static UUID uuid5(UUID namespace, String name) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            ByteBuffer ns = ByteBuffer.allocate(16);
            ns.putLong(namespace.getMostSignificantBits()).putLong(namespace.getLeastSignificantBits());
            sha1.update(ns.array());
            sha1.update(name.getBytes(StandardCharsets.UTF_8));
            byte[] hash = sha1.digest();
            hash[6] = (byte) ((hash[6] & 0x0f) | 0x50); // version 5
            hash[8] = (byte) ((hash[8] & 0x3f) | 0x80); // IETF variant
            ByteBuffer bytes = ByteBuffer.wrap(hash, 0, 16);
            return new UUID(bytes.getLong(), bytes.getLong());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
