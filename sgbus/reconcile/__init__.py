"""Reconciliation: the approval bureau's decision register against what reached the bus.

``register`` reads the register (CSV, XLSX or a SQL query), ``busfacts`` reads the console's
read model, ``compare`` (pure) turns both into findings, ``output`` renders them.
"""
