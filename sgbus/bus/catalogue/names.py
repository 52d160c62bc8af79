"""Names people read: a party's official Chinese name, with its id beside it where useful.

Pure lookups over an id → name mapping (a catalogue's :attr:`~Catalogue.names`). A party the
mapping does not know (a store holding parties of an earlier catalogue, a typo) is shown by its
id, never hidden: the reader can still tell who it is.
"""

from __future__ import annotations

from collections.abc import Mapping

from sgbus.bus.parties import WATCHDOG_PARTY

#: The bus's own services that appear as parties (senders of reminders, breaches, escalations).
BUS_NAMES: Mapping[str, str] = {WATCHDOG_PARTY: "审管联动平台时限监控"}


def display_name(names: Mapping[str, str], party_id: str) -> str:
    """``威海市住房和城乡建设局`` for ``weihai-housing``; the id itself when no name is known."""
    return names.get(party_id) or BUS_NAMES.get(party_id) or party_id


def labelled(names: Mapping[str, str], party_id: str) -> str:
    """``威海市住房和城乡建设局 (weihai-housing)``; just the id when no name is known."""
    name = display_name(names, party_id)
    return party_id if name == party_id else f"{name} ({party_id})"
