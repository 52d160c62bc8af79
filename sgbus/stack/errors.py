"""Errors of the local stack. Each message says what is wrong and how to fix it."""

from __future__ import annotations


class StackError(Exception):
    """The local stack could not be provisioned, started or stopped."""


class ProvisionError(StackError):
    """A prerequisite (Java, Maven, network, disk space) is missing."""


class PortBusyError(StackError):
    """A port the stack needs is taken by another process."""


class StartError(StackError):
    """A stack process exited or did not become ready in time."""
