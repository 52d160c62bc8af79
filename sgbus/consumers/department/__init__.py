"""The department service: a party's inbox stored in SQL, and its claims (认领/签收)."""
