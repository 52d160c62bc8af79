"""The router: outboxes → inboxes and the audit log, in Kafka transactions."""
