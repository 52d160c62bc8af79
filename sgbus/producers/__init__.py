"""Publisher SDK that department and approval systems call, and the outbox relay."""
