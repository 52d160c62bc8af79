"""A department system that has nothing but its database: it finds an item in ``sgbus_inbox``,
claims it with one UPDATE and sees the claim go out. The statements are the SQL the
department's own system would run; Python's ``sqlite3`` only stands in for that system here.

    python examples/sql_department.py weihai-drc.db EVENT_ID

The connectors ``sql-inbox`` and ``sql-claims`` must be running on that database (see
docs/how-to/sql-bridge.md).
"""

from __future__ import annotations

import sqlite3
import sys
import time
from typing import Any

WAIT_S = 180


def wait_for(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...], what: str) -> Any:
    """Run ``sql`` every half second until it returns a row; that row."""
    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            row = conn.execute(sql, args).fetchone()
        except sqlite3.OperationalError:  # the table is not there yet
            row = None
        if row is not None:
            return row
        if time.monotonic() > deadline:
            sys.exit(f"no {what} after {WAIT_S} s")
        time.sleep(0.5)


def main() -> None:
    """Wait for the item, claim it, wait for the claim's event id."""
    db, event_id = sys.argv[1], sys.argv[2]
    conn = sqlite3.connect(db, isolation_level=None)  # each statement commits, as a system's
    case_key, matter, deadline = wait_for(
        conn,
        "SELECT case_key, matter_code, claim_deadline FROM sgbus_inbox WHERE event_id = ?",
        (event_id,),
        "item",
    )
    print(f"received {case_key} ({matter}), to claim by {deadline} UTC")
    conn.execute(
        "UPDATE sgbus_inbox SET claimed_at = datetime('now'), claimed_by = '王五'"
        " WHERE event_id = ?",
        (event_id,),
    )
    (claim,) = wait_for(
        conn,
        "SELECT claim_event_id FROM sgbus_inbox WHERE event_id = ? AND claim_event_id IS NOT NULL",
        (event_id,),
        "claim on the bus",
    )
    print(f"claimed by 王五: claim {claim} is on the bus")


if __name__ == "__main__":
    main()
