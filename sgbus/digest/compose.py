"""Who gets which digest, and its text. Pure: no clock, no store, no network.

The text holds case keys, matter names, department names, counts and deadlines only — never
a licensee's name, credit code, document number or anything else of the item's payload.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from sgbus.bus.calendar import CHINA_TZ
from sgbus.bus.catalogue.names import display_name
from sgbus.console.labels import flow_label

TITLE = "【审管联动】"
LOGIN_HINT = "详情请登录审管联动平台查看。"


class Kind(StrEnum):
    """What a digest is about (a column of the sent-log)."""

    OFFICER = "officer"  # a liaison officer's own party's work
    OVERSIGHT = "oversight"  # the oversight office's per-department counts
    BREACH = "breach"  # a department head's notice of one breach (天津's escalation)


@dataclass(frozen=True)
class Entry:
    """One open item in an officer's short list."""

    case_key: str
    matter: str | None
    due_at: datetime | None
    overdue: bool


@dataclass(frozen=True)
class PartyWork:
    """A party's open work on the digest's day."""

    party: str
    name: str
    to_claim: int
    """Items waiting for the party (待认领/待办) whose deadline has not passed."""
    due_today: int
    """Of those, the ones whose deadline ends today."""
    overdue: int
    entries: tuple[Entry, ...] = ()
    """The items to list, overdue first, then by deadline."""

    @property
    def empty(self) -> bool:
        """Nothing open."""
        return self.to_claim == 0 and self.overdue == 0


@dataclass(frozen=True)
class Recipient:
    """A directory entry that may receive a digest (its contacts are personal data)."""

    username: str
    party: str
    role: str
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Message:
    """One digest for one recipient."""

    recipient: Recipient
    kind: Kind
    subject: str
    body: str
    about: str | None = None
    """What one message of its kind is about (a breach notice: the obligation's id), so that
    each breach is notified once and a day's digest once."""

    @property
    def text(self) -> str:
        """The whole message as one text (the SMS)."""
        return f"{self.subject}\n{self.body}"

    @property
    def log_kind(self) -> str:
        """The sent-log's kind: the kind, and what the message is about if it says."""
        return f"{self.kind.value}:{self.about}" if self.about else self.kind.value


@dataclass(frozen=True)
class Breach:
    """An obligation whose deadline passed unanswered, as its department head reads it."""

    obligation_id: str
    party: str
    name: str
    flow: str
    case_key: str
    matter: str | None
    due_at: datetime
    breached_at: datetime


def plan(
    day: date,
    work: Mapping[str, PartyWork],
    recipients: Iterable[Recipient],
    *,
    send_empty: bool = False,
    names: Mapping[str, str] | None = None,
) -> list[Message]:
    """The day's digests: one per liaison officer of a party with open work (or every officer
    with ``send_empty``), and one per oversight officer with every department's counts.
    ``names`` names a party that has no work (and so no :class:`PartyWork`) in its digest."""
    out: list[Message] = []
    overview = oversight_message_parts(day, work.values())
    for r in recipients:
        if r.role == "oversight":
            out.append(Message(r, Kind.OVERSIGHT, *overview))
        elif r.role == "officer":
            mine = work.get(r.party) or PartyWork(
                r.party, display_name(names or {}, r.party), 0, 0, 0
            )
            if send_empty or not mine.empty:
                out.append(Message(r, Kind.OFFICER, *officer_message_parts(day, mine)))
    return out


def breach_messages(breaches: Iterable[Breach], recipients: Iterable[Recipient]) -> list[Message]:
    """One notice per breach to each head (负责人) of the department in breach; a department
    with no head in the directory gets none (its officers still see it in the digest)."""
    heads: dict[str, list[Recipient]] = {}
    for r in recipients:
        if r.role == "head":
            heads.setdefault(r.party, []).append(r)
    return [
        Message(r, Kind.BREACH, *breach_message_parts(b), about=b.obligation_id)
        for b in breaches
        for r in heads.get(b.party, ())
    ]


def breach_message_parts(b: Breach) -> tuple[str, str]:
    """Subject and body of a department head's breach notice."""
    matter = f"({b.matter})" if b.matter else ""
    subject = f"{TITLE}{b.name} 逾期未办理提醒"
    body = (
        f"事项 {b.case_key}{matter}的{flow_label(b.flow)},期限 {deadline_text(b.due_at)},"
        f"逾期未办理,已记录在案。请督促尽快办理。\n{LOGIN_HINT}"
    )
    return subject, body


def officer_message_parts(day: date, work: PartyWork) -> tuple[str, str]:
    """Subject and body of a liaison officer's digest."""
    subject = f"{TITLE}{work.name} {day.isoformat()} 待办提醒"
    lines = [
        f"待认领 {work.to_claim} 件,其中今日到期 {work.due_today} 件;已逾期 {work.overdue} 件。"
    ]
    if work.entries:
        lines.append("最紧急的事项:")
        lines.extend(_entry_line(e) for e in work.entries)
        hidden = work.to_claim + work.overdue - len(work.entries)
        if hidden > 0:
            lines.append(f"另有 {hidden} 件未列出。")
    lines.append(LOGIN_HINT)
    return subject, "\n".join(lines)


def oversight_message_parts(day: date, work: Iterable[PartyWork]) -> tuple[str, str]:
    """Subject and body of the oversight office's digest: one line per department with open
    work, most overdue first, then the totals."""
    subject = f"{TITLE}{day.isoformat()} 各部门待办汇总"
    busy = sorted((w for w in work if not w.empty), key=lambda w: (-w.overdue, -w.to_claim, w.name))
    if not busy:
        return subject, "各部门均无待认领或逾期事项。"
    lines = [f"{w.name}:{_counts(w.to_claim, w.due_today, w.overdue)}" for w in busy]
    totals = (sum(w.to_claim for w in busy), sum(w.due_today for w in busy))
    lines.append(f"合计:{_counts(*totals, sum(w.overdue for w in busy))}")
    return subject, "\n".join(lines)


def _counts(to_claim: int, due_today: int, overdue: int) -> str:
    return f"待认领 {to_claim},今日到期 {due_today},已逾期 {overdue}"


def _entry_line(e: Entry) -> str:
    matter = f" {e.matter}" if e.matter else ""
    deadline = f" 期限 {deadline_text(e.due_at)}" if e.due_at else ""
    flag = "(已逾期)" if e.overdue else ""
    return f"- {e.case_key}{matter}{deadline}{flag}"


def deadline_text(due_at: datetime) -> str:
    """A deadline as officers read it: an exclusive 00:00 deadline is the previous day's
    24:00 (``2026-10-09 24:00``), any other one its local minute."""
    local = due_at.astimezone(CHINA_TZ)
    if local.time() == time(0):
        return f"{(local.date() - timedelta(days=1)).isoformat()} 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


def pick_entries(
    overdue: Sequence[Entry], pending: Sequence[Entry], size: int
) -> tuple[Entry, ...]:
    """The items an officer's digest lists: overdue first, then the pending ones, at most
    ``size`` (each list already earliest deadline first)."""
    return tuple([*overdue, *pending][:size])
