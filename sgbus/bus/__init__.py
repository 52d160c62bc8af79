"""Core library shared by every service: settings, envelope, serde, topics, calendar, policies."""
