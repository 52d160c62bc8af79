"""Metric definitions and the periodic status report (通报)."""
