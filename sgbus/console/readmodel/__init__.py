"""The console's read model: the audit log projected into SQL tables officers can query.

``project`` (pure) says what one audit record adds; ``write`` applies a batch in one
transaction with its offsets; ``service`` runs it on the shared service runtime; ``queries``
reads it back for the pages.
"""
