"""The demo scenario and the synthetic (but valid) events it publishes."""
