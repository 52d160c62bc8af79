"""The 审管互动平台: the web console of liaison officers and the oversight office.

``readmodel`` projects the audit log into the console's SQL tables; ``web`` serves the pages;
``actions`` turns an officer's click into an event published as the officer's party.
"""
