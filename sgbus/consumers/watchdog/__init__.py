"""The watchdog: obligations from the audit log, deadlines, reminders and expiry actions."""
