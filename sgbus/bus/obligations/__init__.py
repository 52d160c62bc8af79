"""The obligation model: who owes whom an answer by when, and what happens at expiry.

Pure: no database, no Kafka. The watchdog feeds it requests, answers and clock ticks and
stores what it returns.
"""
