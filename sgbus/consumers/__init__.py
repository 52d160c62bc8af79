"""Long-running services: router, department service, watchdog."""
