"""Generated reference pages of the documentation (``docs/reference/``).

Each page is built from the code it documents — the ``Settings`` classes, the metrics module,
the ``sgbus`` command tree, the Avro contracts — so it cannot drift: ``sgbus docs reference``
writes them and a unit test fails when a committed page differs from what the code gives.
"""
