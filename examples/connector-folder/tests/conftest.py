"""The conformance suite needs a stack: the plugin starts one for the session."""

pytest_plugins = ["sgbus.connectors.testing.plugin"]
