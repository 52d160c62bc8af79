"""Connector SDK and built-in connectors for legacy systems."""
