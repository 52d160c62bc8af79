"""SQL persistence shared by the stateful services: engine, tables, migrations, offsets, outbox."""

from sgbus.bus.store.engine import make_engine
from sgbus.bus.store.migrate import migrate

__all__ = ["make_engine", "migrate"]
