"""sgbus — the 审管联动 (approval–supervision linkage) integration bus."""

__version__ = "0.1.0"
