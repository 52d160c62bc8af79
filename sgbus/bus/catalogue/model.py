"""The matter catalogue: which departments supervise each transferred licensing matter.

The catalogue (清单, 营口 第七–八条) decides who receives an approval result: the router sends it
to :meth:`Catalogue.supervisors_of` the matter. Each matter also records how its technical step
(现场勘验, 专家评审…) is handled, following 威海's four annexes:

* ``alone``     the approval bureau handles the step itself (附件1);
* ``joint``     the bureau and the department handle it together (附件2);
* ``entrusted`` the bureau entrusts the department with it (附件3);
* ``opinion``   the department must give its opinion (附件4).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from enum import StrEnum
from functools import cached_property
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sgbus.bus.catalogue.names import display_name, labelled
from sgbus.bus.parties import PARTY_ID_PATTERN

MATTER_CODE_PATTERN = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$"
REGION_PATTERN = r"^\d{6}$"


class StepMode(StrEnum):
    """How a matter's technical step is handled (威海 三(一), 附件1–4)."""

    ALONE = "alone"
    JOINT = "joint"
    ENTRUSTED = "entrusted"
    OPINION = "opinion"


class PartyKind(StrEnum):
    """What a party is, for display and for routing defaults."""

    APPROVAL = "approval"
    DEPARTMENT = "department"
    OVERSIGHT = "oversight"
    UTILITY = "utility"  # e.g. a power supply company named as a joint inspector


class Party(BaseModel):
    """A participant with its own inbox and outbox."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=PARTY_ID_PATTERN)
    name: str = Field(min_length=1, description="official Chinese name")
    region: str = Field(pattern=REGION_PATTERN, description="administrative division code")
    kind: PartyKind = PartyKind.DEPARTMENT
    note: str | None = None


class Matter(BaseModel):
    """A transferred licensing matter and the departments that supervise it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=MATTER_CODE_PATTERN)
    name: str = Field(min_length=1)
    mode: StepMode
    departments: list[str] = Field(min_length=1)
    per_region: bool = Field(
        default=False,
        description="the departments are regional: only the one of the case's region supervises",
    )
    source: str | None = None


class UnknownMatter(LookupError):
    """A matter code the catalogue does not list."""

    def __str__(self) -> str:
        return str(self.args[0])


class UnknownParty(LookupError):
    """A party id the catalogue does not list."""

    def __str__(self) -> str:
        return str(self.args[0])


class Catalogue(BaseModel):
    """Parties and matters of one catalogue, with lookups that fail loudly."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=PARTY_ID_PATTERN)
    title: str = Field(min_length=1)
    region: str = Field(pattern=REGION_PATTERN)
    approval: str | None = Field(default=None, description="party id of the approval bureau")
    oversight: str | None = Field(default=None, description="party id of the oversight office")
    source: str | None = None
    sample: bool = Field(
        default=False,
        description="made up for demonstrations, not taken from the region's documents",
    )
    parties: list[Party] = Field(min_length=1)
    matters: list[Matter] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> Self:
        ids = _unique([p.id for p in self.parties], "party id")
        _unique([m.code for m in self.matters], "matter code")
        for role in ("approval", "oversight"):
            value = getattr(self, role)
            if value is not None and value not in ids:
                raise ValueError(f"{role} party {value!r} is not in parties")
        for matter in self.matters:
            for dept in matter.departments:
                if dept not in ids:
                    raise ValueError(f"matter {matter.code}: department {dept!r} is not in parties")
        return self

    def matter(self, code: str) -> Matter:
        """The matter with ``code``; unknown codes raise :class:`UnknownMatter`."""
        found = self.matters_by_code.get(code)
        if found is None:
            raise UnknownMatter(
                f"unknown matter {code!r} in catalogue {self.name!r}"
                f"{_suggest(code, self.matters_by_code)} ({len(self.matters)} matters)"
            )
        return found

    def party(self, party_id: str) -> Party:
        """The party with ``party_id``; unknown ids raise :class:`UnknownParty`."""
        found = self.parties_by_id.get(party_id)
        if found is None:
            raise UnknownParty(
                f"unknown party {party_id!r} in catalogue {self.name!r}"
                f"{_suggest(party_id, self.parties_by_id)}"
            )
        return found

    def display_name(self, party_id: str) -> str:
        """The party's Chinese name for people to read; its id when the catalogue lacks it."""
        return display_name(self.names, party_id)

    def labelled(self, party_id: str) -> str:
        """``威海市住房和城乡建设局 (weihai-housing)``: the name with the id beside it."""
        return labelled(self.names, party_id)

    def supervisors_of(self, matter_code: str, region: str | None = None) -> list[Party]:
        """The parties that supervise ``matter_code``; they receive its approval results.

        For a ``per_region`` matter, giving the case's ``region`` narrows the list to the
        department of that region (all of them if none matches, so nothing is lost).
        """
        matter = self.matter(matter_code)
        parties = [self.party(p) for p in matter.departments]
        if matter.per_region and region is not None:
            local = [p for p in parties if p.region == region]
            return local or parties
        return parties

    def matters_of(self, party_id: str) -> list[Matter]:
        """Matters that ``party_id`` supervises."""
        self.party(party_id)
        return [m for m in self.matters if party_id in m.departments]

    # Indexes as cached properties (instance __dict__), cheap to read per routed event.
    @cached_property
    def matters_by_code(self) -> dict[str, Matter]:
        """Matters indexed by code."""
        return {m.code: m for m in self.matters}

    @cached_property
    def parties_by_id(self) -> dict[str, Party]:
        """Parties indexed by id."""
        return {p.id: p for p in self.parties}

    @cached_property
    def names(self) -> dict[str, str]:
        """Official names by party id (for :mod:`sgbus.bus.catalogue.names`)."""
        return {p.id: p.name for p in self.parties}


def _unique(values: list[str], what: str) -> set[str]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value!r} appears more than once")
        seen.add(value)
    return seen


def _suggest(key: str, known: Mapping[str, object]) -> str:
    close = difflib.get_close_matches(key, list(known), n=3, cutoff=0.6)
    return f"; did you mean {', '.join(close)}?" if close else ""
