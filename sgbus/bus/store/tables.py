"""Table definitions. Alembic migrations in ``migrations/`` create them; keep both in step."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

from sgbus.bus.store.types import UTCDateTime

metadata = MetaData()

# Next offset to read per (consumer group, topic, partition), written in the same transaction
# as the state the consumed records produced: the store, not Kafka, is the source of truth.
consumer_offsets = Table(
    "consumer_offsets",
    metadata,
    Column("group_id", String(200), primary_key=True),
    Column("topic", String(249), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("next_offset", BigInteger, nullable=False),
)

# Events to publish, written with the state change that caused them and relayed afterwards.
outbox = Table(
    "outbox",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("topic", String(249), nullable=False),
    Column("key", LargeBinary, nullable=True),
    Column("value", LargeBinary, nullable=False),
    Column("headers", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime(), nullable=True),
    # The relay that holds an unsent row, and until when (see sgbus.producers.relay).
    Column("relay_owner", String(100), nullable=True),
    Column("lease_until", UTCDateTime(), nullable=True),
)
Index("ix_outbox_unsent", outbox.c.sent_at, outbox.c.seq)

# A party's received items, one row per event id.
inbox_items = Table(
    "inbox_items",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("party", String(48), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("case_key", String(200), nullable=False),
    Column("sender", String(48), nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("source_topic", String(249), nullable=False),
    Column("source_partition", Integer, nullable=False),
    Column("source_offset", BigInteger, nullable=False),
    Column("value", LargeBinary, nullable=False),
    Column("claim_state", String(16), nullable=False),
    Column("claimed_at", UTCDateTime(), nullable=True),
    Column("claim_mode", String(16), nullable=True),
    Column("claimed_by", String(100), nullable=True),
    Column("claim_event_id", String(36), nullable=True),
)
Index("ix_inbox_party_state", inbox_items.c.party, inbox_items.c.claim_state)
Index("ix_inbox_case", inbox_items.c.case_key)

# Inbox records a department service could not decode: where they are and why, not their
# bytes (they may hold personal data and stay readable on the topic for the retention period).
rejected_items = Table(
    "rejected_items",
    metadata,
    Column("topic", String(249), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("offset", BigInteger, primary_key=True),
    Column("party", String(48), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("size", Integer, nullable=False),
    Column("rejected_at", UTCDateTime(), nullable=False),
)
Index("ix_rejected_party", rejected_items.c.party)

# The watchdog's obligations. ``next_check_at`` is the earliest instant the sweep must look
# at the row again (reminder or due time); NULL once the obligation is final. One index on
# it keeps the sweep a range scan however many obligations are open.
obligations = Table(
    "obligations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("flow", String(32), nullable=False),
    Column("request_event_id", String(36), nullable=False),
    Column("request_event_type", String(64), nullable=False),
    Column("debtor", String(48), nullable=False),
    Column("creditor", String(48), nullable=False),
    Column("case_key", String(200), nullable=False),
    Column("region", String(6), nullable=False),
    Column("opened_at", UTCDateTime(), nullable=False),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("anchor_at", UTCDateTime(), nullable=True),
    Column("remind_at", UTCDateTime(), nullable=True),
    Column("provisional", Boolean, nullable=False),
    Column("action", String(32), nullable=False),
    Column("escalate_to", String(48), nullable=True),
    Column("source", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("reminded_at", UTCDateTime(), nullable=True),
    Column("closed_at", UTCDateTime(), nullable=True),
    Column("answer_event_id", String(36), nullable=True),
    Column("answered_at", UTCDateTime(), nullable=True),
    Column("transitions", Text, nullable=False),
    Column("next_check_at", UTCDateTime(), nullable=True),
    # Officers' actions (migration 0009): a handed-over obligation keeps the first deadline and
    # the debtor it came from; a disputed one when its clock stopped; urgings as JSON.
    Column("original_due_at", UTCDateTime(), nullable=True),
    Column("handed_over_from", String(48), nullable=True),
    Column("suspended_at", UTCDateTime(), nullable=True),
    Column("urgings", Text, nullable=True),
)
Index("ix_obligations_next_check", obligations.c.next_check_at)
Index("ix_obligations_debtor_state", obligations.c.debtor, obligations.c.state)
Index("ix_obligations_case", obligations.c.case_key)

# Answers seen before their request: applied when the request opens the obligation.
early_answers = Table(
    "early_answers",
    metadata,
    Column("obligation_id", String(36), primary_key=True),
    Column("answer_event_id", String(36), nullable=False),
    Column("answered_at", UTCDateTime(), nullable=False),
)

# -- The console's read model (sgbus.console.readmodel): a projection of sg.audit. -------------
# The console keeps the watchdog's obligations tables too (same code, same policy), so its
# deadlines are the watchdog's; these tables add what officers look at.

# One row per item a party received: (event, party). Key columns for filtering, the event as
# JSON for the detail page (it may hold personal data: shown only to the item's own parties).
console_items = Table(
    "console_items",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("party", String(48), primary_key=True),
    Column("event_type", String(64), nullable=False),
    Column("case_key", String(200), nullable=False),
    Column("sender", String(48), nullable=False),
    Column("region", String(6), nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("matter_code", String(64), nullable=True),
    Column("matter_name", String(200), nullable=True),
    Column("licensee_name", String(200), nullable=True),
    Column("credit_code", String(32), nullable=True),
    Column("document_number", String(200), nullable=True),
    Column("decision_date", Date, nullable=True),
    Column("claimable", Boolean, nullable=False),
    Column("pooled", Boolean, nullable=False),
    Column("obligation_id", String(36), nullable=True),
    Column("payload", Text, nullable=False),
    # The bytes exactly as published, kept for pooled results only: an assignment must carry
    # them (the router checks them against what it pooled).
    Column("raw_value", LargeBinary, nullable=True),
)
Index("ix_console_items_party_time", console_items.c.party, console_items.c.occurred_at)
Index("ix_console_items_case", console_items.c.case_key)
Index("ix_console_items_obligation", console_items.c.obligation_id)

# The first answer a party gave to an item (claim, reply, result, assignment, or the
# watchdog's auto-claim / deemed consent on its behalf); kept even when it arrives first.
console_answers = Table(
    "console_answers",
    metadata,
    Column("answered_event_id", String(36), primary_key=True),
    Column("party", String(48), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("answer_event_id", String(36), nullable=False),
    Column("answer_type", String(64), nullable=False),
    Column("mode", String(16), nullable=True),
    Column("officer", String(100), nullable=True),
    Column("answered_at", UTCDateTime(), nullable=False),
)

# Every audit event of a case, without personal data: who did what, when (全程留痕).
console_history = Table(
    "console_history",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("case_key", String(200), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("sender", String(48), nullable=False),
    Column("delivered_to", Text, nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("summary", Text, nullable=False),
)
Index("ix_console_history_case", console_history.c.case_key, console_history.c.occurred_at)

# What each party received, in audit-log order: the pull delivery of the HTTP gateway. One row
# per (party, audit position); the cursor of a pull is the last position per partition.
deliveries = Table(
    "deliveries",
    metadata,
    Column("party", String(48), primary_key=True),
    Column("audit_partition", Integer, primary_key=True),
    Column("audit_offset", BigInteger, primary_key=True),
    Column("event_id", String(36), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("case_key", String(200), nullable=False),
    Column("payload", Text, nullable=False),
)
Index("ix_deliveries_party_event", deliveries.c.party, deliveries.c.event_id)

# The HTTP gateway's receipts: a resent event id is answered with the first receipt.
gateway_receipts = Table(
    "gateway_receipts",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("party", String(48), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("topic", String(249), nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("accepted_at", UTCDateTime(), nullable=False),
)

# The liaison-officer directory (联络员名录). Phone and e-mail are personal data.
console_officers = Table(
    "console_officers",
    metadata,
    Column("username", String(100), primary_key=True),
    Column("party", String(48), nullable=False),
    Column("name", String(100), nullable=False),
    Column("role", String(16), nullable=False),
    Column("phone", String(32), nullable=True),
    Column("email", String(200), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
)
Index("ix_console_officers_party", console_officers.c.party)

# A connector's own state: where each source stream stands (stored once the broker has the
# events), and the records it dead-lettered (to replay from the inbox once the target is fixed).
connector_positions = Table(
    "connector_positions",
    metadata,
    Column("connector", String(40), primary_key=True),
    Column("stream", String(200), primary_key=True),
    Column("position", Text, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

connector_errants = Table(
    "connector_errants",
    metadata,
    Column("dead_letter_id", String(36), primary_key=True),
    Column("connector", String(40), nullable=False),
    Column("topic", String(249), nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("event_id", String(36), nullable=True),
    Column("reason_code", String(32), nullable=False),
    Column("reason", Text, nullable=False),
    Column("reported_at", UTCDateTime(), nullable=False),
    Column("replayed_at", UTCDateTime(), nullable=True),
)
Index("ix_connector_errants_connector", connector_errants.c.connector)

# The notification digest's sent-log: a row is written (state "sending") before the message
# goes out, so a restart never sends a day's digest twice to one recipient on one channel.
# ``recipient`` is a directory username; ``detail`` never holds an address or a phone.
digest_log = Table(
    "digest_log",
    metadata,
    Column("day", Date, primary_key=True),
    Column("recipient", String(100), primary_key=True),
    Column("kind", String(64), primary_key=True),
    Column("channel", String(8), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=True),
    Column("detail", Text, nullable=True),
)
