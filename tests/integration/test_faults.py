"""Faults under load: registry down, broker SIGKILLed, PostgreSQL restarted, a schema deleted,
a sender's clock skewed. Nothing is lost, misfiled, doubled or wrongly dead-lettered.

Every test runs a stream of 5,000+ approval results of the 威海 bureau through the router, two
department services that claim on receipt (one on SQLite, one on PostgreSQL), and the
watchdog, all as separate ``sgbus`` processes on the module's own stack, which the tests break.
Each test has its own two departments (so inboxes and groups are fresh), its own stores and
its own watchdog group, and ends with the history check of :mod:`fault_harness`:

- every result in exactly its intended inboxes and department stores, once;
- every claim in the bureau's inbox, and every result and claim on the audit log, once;
- every obligation opened once and discharged once, by the right answer;
- the dead-letter topic holding exactly the records the test meant to be bad.

The schema-deletion test runs last: it leaves the ApprovalResult subject with another id.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import func, select

from sgbus.bus import headers as h
from sgbus.bus.claims import build_claim
from sgbus.bus.events import ApprovalResult, Claim
from sgbus.bus.obligations.model import obligation_id
from sgbus.bus.parties import AUDIT_TOPIC, DEAD_LETTER_TOPIC, inbox_topic
from sgbus.bus.policy import load_policy
from sgbus.bus.serde import serde_for
from sgbus.bus.settings import Settings
from sgbus.bus.store import make_engine
from sgbus.bus.store.tables import obligations, outbox
from tests.integration.fault_harness import (
    HISTORY_TOPICS,
    BreakableStack,
    Expected,
    Feeder,
    History,
    Outgoing,
    Postgres,
    Services,
    bad_record,
    check_history,
    cli,
    delete_subject,
    discharged_count,
    encoded,
    end_offsets,
    interleave,
    make_results,
    read_since,
    registry_answers,
    registry_export,
    registry_http,
    registry_import,
    schema_id_answers,
    service_env,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.postgres]

STREAM = 5_000
# SGBUS_TEST_FAULTS_DRY_RUN=1 runs every stream and check without breaking anything: a
# failure then is the harness's (or the bus's even without faults), not the fault's.
INJECT = os.environ.get("SGBUS_TEST_FAULTS_DRY_RUN") != "1"
SETTLE_S = 240.0


@dataclass
class Kit:
    """The module's stack, database server and service environment."""

    stack: BreakableStack
    pg: Postgres
    env: dict[str, str]
    base: Path


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kit]:
    base = tmp_path_factory.mktemp("faults")
    stack = BreakableStack(base / "stack")
    pg = Postgres(Path(tempfile.mkdtemp(prefix="sgbus-faults-pg-")))  # postgres must reach it
    # This module's own clients (feeders, readers) act as this stack's test inspector.
    own = pytest.MonkeyPatch()
    try:
        stack.up()
        for name, value in stack.environment().items():
            own.setenv(name, value)
        pg.init()
        env = service_env(stack.bootstrap, stack.registry_url, base / "home", stack.credentials)
        cli(env, base, "topics", "apply")
        # As at deployment: the schemas are registered before the services start. (Several
        # services registering one new subject at once can get HTTP 409 from Apicurio.)
        cli(env, base, "schemas", "register")
        yield Kit(stack, pg, env, base)
    finally:
        own.undo()
        stack.down()
        pg.remove()


class Run:
    """One fault test: its departments, stores, services, stream and history."""

    def __init__(
        self, kit: Kit, tmp: Path, tag: str, parties: tuple[str, str], *, watchdog_pg: bool
    ) -> None:
        self.kit, self.tag, self.tmp = kit, tag, tmp
        self.sqlite_party, self.pg_party = parties
        self.dept_dbs = {
            self.sqlite_party: f"sqlite:///{tmp / f'{self.sqlite_party}.db'}",
            self.pg_party: kit.pg.new_database("dept"),
        }
        self.watchdog_db = (
            kit.pg.new_database("watchdog") if watchdog_pg else f"sqlite:///{tmp / 'watchdog.db'}"
        )
        self.services = Services(kit.env, tmp / "logs")
        self.start = end_offsets(kit.stack.bootstrap, HISTORY_TOPICS)
        self.expected = Expected(claimers=set(parties))
        self.serde = serde_for(Settings(schema_registry=kit.stack.registry_url))

    # -- services ------------------------------------------------------------------------

    def start_router(self, name: str = "router") -> None:
        self.services.start(name, "router", "run", "--instance", f"faults-{self.tag}")

    def start_department(self, party: str) -> None:
        self.services.start(
            party,
            *("department", "run", "--party", party, "--db", self.dept_dbs[party]),
            *("--claim-on-receipt", "--instance-id", f"faults-{party}"),
        )

    def start_watchdog(self, *extra: str) -> None:
        self.services.start(
            "watchdog",
            *("watchdog", "run", "--db", self.watchdog_db),
            *(
                "--group",
                f"sgbus-watchdog-faults-{self.tag}",
                "--instance-id",
                f"faults-wd-{self.tag}",
            ),
            *(extra or ("--policy", "weihai")),
        )

    def start_all(self, *watchdog_args: str) -> None:
        self.start_router()
        for party in self.dept_dbs:
            self.start_department(party)
        self.start_watchdog(*watchdog_args)

    # -- the stream ----------------------------------------------------------------------

    def records(
        self, n: int, seed: int, bad: int = 0, bad_between: tuple[float, float] = (0.1, 0.9)
    ) -> list[Outgoing]:
        """``n`` results for this run's departments with ``bad`` undecodable records placed
        at random between the given fractions of the stream."""
        results = make_results((self.sqlite_party, self.pg_party), n, seed)
        return self.encode(results, bad, bad_between, seed)

    def encode(
        self,
        results: list[ApprovalResult],
        bad: int = 0,
        bad_between: tuple[float, float] = (0.1, 0.9),
        seed: int = 0,
    ) -> list[Outgoing]:
        self.expected.results += results
        good = [encoded(self.serde, e) for e in results]
        lo, hi = (int(f * len(good)) for f in bad_between)
        out = good[:lo] + interleave(good[lo:hi], [bad_record(i) for i in range(bad)], seed)
        return out + good[hi:]

    def claim_by_hand(
        self, party: str, results: list[ApprovalResult], skews_s: list[float] | None = None
    ) -> tuple[list[Claim], dt.datetime]:
        """``party``'s claims of ``results``, published through its outbox as its own system
        would (occurred now, or skewed by ``skews_s``); the claims and when they were sent."""
        now = dt.datetime.now(dt.UTC)
        skews = skews_s or [0.0] * len(results)
        claims = [
            build_claim(e, party, now + dt.timedelta(seconds=s), integrated=True)
            for e, s in zip(results, skews, strict=True)
        ]
        self.expected.extra_claims |= {str(c.envelope.event_id): party for c in claims}
        sent_at = dt.datetime.now(dt.UTC)
        records = [encoded(self.serde, c) for c in claims]
        Feeder(self.kit.stack.bootstrap, records, 500).start().finish()
        return claims, sent_at

    def wait_in_inbox(self, party: str, results: list[ApprovalResult]) -> None:
        wanted = {str(e.envelope.event_id) for e in results}
        wait_until(
            f"{party}'s results in its inbox",
            lambda: _in_inbox(self, party) >= wanted,
            180,
            self.services,
            every=2,
        )

    def feed(self, records: list[Outgoing], rate: float) -> Feeder:
        return Feeder(self.kit.stack.bootstrap, records, rate).start()

    def done_feeding(self, feeder: Feeder) -> None:
        feeder.finish()
        self.expected.bad |= feeder.bad_positions()

    # -- the end -------------------------------------------------------------------------

    def settle(self, timeout: float = SETTLE_S) -> tuple[bool, float]:
        """Until every wanted obligation is discharged (then a few quiet seconds more, so that
        a late duplicate would show); whether it got there, and how long it took."""
        wanted = set(self.expected.obligations())
        t0 = time.monotonic()
        while discharged_count(self.watchdog_db, wanted) < len(wanted):
            self.services.assert_all_up("while settling")
            if time.monotonic() - t0 > timeout:
                return False, time.monotonic() - t0
            time.sleep(2)
        took = time.monotonic() - t0
        time.sleep(5)
        return True, took

    def history(self) -> History:
        return check_history(
            self.kit.stack.bootstrap, self.start, self.expected, self.dept_dbs, self.watchdog_db
        )

    def finish(self, label: str, settled: tuple[bool, float]) -> History:
        """History check, then SIGTERM every service: each exits 0 within 20 s."""
        self.services.assert_all_up("before the history check")
        history = self.history()
        stopped = self.services.terminate_all()
        print(f"\n[{label}] settled {settled[0]} after {settled[1]:.0f} s; history:\n{history}")
        print(
            f"[{label}] SIGTERM: "
            + ", ".join(f"{n} rc={rc} in {t:.1f} s" for n, (rc, t) in stopped.items())
        )
        assert settled[0], f"not every obligation discharged within {SETTLE_S:.0f} s"
        assert not history.problems, "history check failed:\n" + "\n".join(history.problems)
        slow = {n: v for n, v in stopped.items() if v[0] != 0}
        assert not slow, f"SIGTERM: not every service exited 0 within 20 s: {slow}"
        return history


@pytest.fixture
def run_factory(kit: Kit, tmp_path: Path) -> Iterator[type[Run]]:
    runs: list[Run] = []

    class _Run(Run):
        def __init__(self, tag: str, parties: tuple[str, str], *, watchdog_pg: bool) -> None:
            super().__init__(kit, tmp_path, tag, parties, watchdog_pg=watchdog_pg)
            runs.append(self)

    try:
        yield _Run  # type: ignore[misc]
    finally:
        for r in runs:
            r.services.kill_all()


def _logs_on_failure(run: Run) -> str:
    return run.services.tails(lines=50)


# ------------------------------------------------------------------------------ 1. registry


def test_registry_down_60s_mid_stream(kit: Kit, run_factory: type[Run]) -> None:
    run = run_factory("registry", ("weihai-drc", "weihai-housing"), watchdog_pg=False)
    records = run.records(STREAM, seed=101, bad=5, bad_between=(0.3, 0.6))
    run.start_all()
    feeder = run.feed(records, rate=100)
    try:
        feeder.wait_sent(1_000)
        if INJECT:
            kit.stack.stop_registry()
            assert not registry_answers(kit.stack.registry_url)
            time.sleep(60)
            kit.stack.up()
        sent_during = feeder.sent
        run.services.assert_all_up("the registry down for 60 s")
        run.done_feeding(feeder)
        settled = run.settle()
        run.services.assert_all_up("after the registry came back")
        history = run.finish("registry down 60 s", settled)
        skipped = run.services.grep("skipped")
        print(f"[registry] {sent_during} records sent when it came back; 'skipped' lines {skipped}")
        assert not any(skipped.values()), f"audit records skipped: {skipped}"
        assert history.counts["dead letters"] == 5
    except BaseException:
        print(_logs_on_failure(run))
        raise
    finally:
        feeder.close()
        kit.stack.up()


# ------------------------------------------------------------------------------ 2. broker


def test_broker_sigkilled_twice_mid_stream(kit: Kit, run_factory: type[Run]) -> None:
    run = run_factory("broker", ("weihai-transport", "weihai-health"), watchdog_pg=True)
    records = run.records(STREAM, seed=202, bad=4)
    run.start_all()
    feeder = run.feed(records, rate=120)
    try:
        for at in (1_500, 3_500):
            feeder.wait_sent(at)
            if INJECT:
                kit.stack.kill_broker()
                time.sleep(3)  # clients notice; transactions stay open on the dead broker
                kit.stack.up()
            run.services.assert_all_up(f"the broker SIGKILLed at record {at} and restarted")
        run.done_feeding(feeder)
        settled = run.settle()
        run.finish("broker SIGKILLed twice", settled)
    except BaseException:
        print(_logs_on_failure(run))
        raise
    finally:
        feeder.close()
        kit.stack.up()


# ------------------------------------------------------------------------------ 3. PostgreSQL


def test_postgres_restarted_under_watchdog_and_department(kit: Kit, run_factory: type[Run]) -> None:
    run = run_factory("postgres", ("weihai-water", "weihai-civil-defence"), watchdog_pg=True)
    records = run.records(STREAM, seed=303, bad=3)
    # A party without a department service: its obligations stay open until claimed by hand
    # at the end, so the watchdog has reminders to sweep and relay when it catches up.
    unclaimed = make_results((UNCLAIMED,), 500, seed=304)
    records = interleave(records, run.encode(unclaimed), seed=305)
    run.start_all(*_reminding_watchdog(run))
    feeder = run.feed(records, rate=120)
    try:
        for at, mode in ((1_500, "fast"), (3_500, "immediate")):
            feeder.wait_sent(at)
            if INJECT:
                kit.pg.stop(mode)
                time.sleep(8)
                kit.pg.start()
            run.services.assert_all_up(f"PostgreSQL stopped ({mode}) for 8 s at record {at}")
        run.done_feeding(feeder)
        # The third restart as soon as the first reminders are written: the rest of the
        # sweep (20 obligations a transaction) and the relay meet the outage.
        wait_until("the first reminders", lambda: _outcomes(run) > 0, 180, run.services, 0.1)
        before = _outcomes(run)
        if INJECT:
            kit.pg.stop("fast")
            time.sleep(8)
            kit.pg.start()
        run.services.assert_all_up("PostgreSQL stopped (fast) for 8 s during a sweep")
        wait_until(
            "every unclaimed obligation reminded",
            lambda: _outcomes(run) >= len(unclaimed),
            180,
            run.services,
        )
        print(f"[postgres] reminders written when the third stop began: {before} of 500+")
        run.wait_in_inbox(UNCLAIMED, unclaimed)
        run.claim_by_hand(UNCLAIMED, unclaimed)
        settled = run.settle()
        history = run.finish("PostgreSQL restarted three times", settled)
        assert history.counts["obligations reminded before their answer"] >= len(unclaimed)
    except BaseException:
        print(_logs_on_failure(run))
        raise
    finally:
        feeder.close()
        kit.pg.start() if not _pg_up(kit) else None


UNCLAIMED = "weihai-agriculture"


def _reminding_watchdog(run: Run) -> tuple[str, ...]:
    """Watchdog arguments that give it outcomes to sweep and relay while the database goes:
    the weihai policy with a reminder 2 working days before a claim is due, and a clock set
    between the reminder and the deadline of every result in the stream (they occur within
    seconds), so an obligation still open at a sweep is reminded and none is breached."""
    text = resources.files("sgbus.bus.policy").joinpath("presets", "weihai.yaml").read_text("utf-8")
    doc = yaml.safe_load(text)
    for rule in doc["rules"]:
        if rule["flow"] == "claim":
            rule["remind_before_working_days"] = 2
    path = run.tmp / "weihai-reminding.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    policy = load_policy(str(path))
    occurred = {e.envelope.occurred_at for e in run.expected.results}
    reminders = [policy.reminder("claim", at) for at in occurred]
    last_reminder = max(r.due_at for r in reminders if r is not None)
    first_due = min(policy.deadline("claim", at).due_at for at in occurred)
    assert last_reminder < first_due
    now = last_reminder + (first_due - last_reminder) / 2
    return ("--policy", str(path), "--now", now.isoformat(), "--sweep-batch", "20")


def _outcomes(run: Run) -> int:
    """Outcome rows in the watchdog's store so far (-1 while it cannot be asked)."""
    engine = make_engine(run.watchdog_db)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(outbox)).scalar_one())
    except Exception:
        return -1
    finally:
        engine.dispose()


def _pg_up(kit: Kit) -> bool:
    import psycopg

    try:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{kit.pg.port}/postgres"):
            return True
    except psycopg.Error:
        return False


# ------------------------------------------------------------------------------ 5. clock skew

SKEWED = "weihai-highway"  # no department service: its claims are made by hand, skewed
TOLERANCE_S = 300  # SGBUS_CLOCK_SKEW_TOLERANCE_S's default
SKEWS_S = (7_200, -7_200, 900, -900, 60, -60)  # the last two lie within the tolerance


def test_sender_clock_skew_timed_at_append(kit: Kit, run_factory: type[Run]) -> None:
    run = run_factory("skew", ("weihai-hrss", "weihai-justice"), watchdog_pg=False)
    records = run.records(STREAM, seed=505, bad=2)
    skewed = make_results((SKEWED,), len(SKEWS_S), seed=506)
    records += run.encode(skewed)
    run.start_all()
    feeder = run.feed(records, rate=250)
    try:
        run.done_feeding(feeder)
        run.wait_in_inbox(SKEWED, skewed)
        claims, sent_at = run.claim_by_hand(SKEWED, skewed, list(SKEWS_S))
        settled = run.settle()
        lines, wrong = _answer_times(run, claims, sent_at)
        print("[skew] " + "\n[skew] ".join(lines))
        run.finish("sender clock skew", settled)
        assert not wrong, "answers not timed as they should be:\n" + "\n".join(wrong)
    except BaseException:
        print(_logs_on_failure(run))
        raise
    finally:
        feeder.close()


def _in_inbox(run: Run, party: str) -> set[str | None]:
    topic = inbox_topic(party)
    start = {tp: o for tp, o in run.start.items() if tp[0] == topic}
    return {r.headers.get(h.EVENT_ID) for r in read_since(run.kit.stack.bootstrap, start)}


def _answer_times(
    run: Run, claims: list[Claim], sent_at: dt.datetime
) -> tuple[list[str], list[str]]:
    """Per skewed claim: how the watchdog timed it, and the ones timed wrongly. Beyond the
    tolerance the answer counts at the broker's append time: after the claim was sent and
    no later than its audit copy was appended; within it, at the claim's own occurred_at."""
    audit_start = {tp: o for tp, o in run.start.items() if tp[0] == AUDIT_TOPIC}
    appended = {
        r.headers.get(h.EVENT_ID): dt.datetime.fromtimestamp(r.timestamp_ms / 1000, dt.UTC)
        for r in read_since(run.kit.stack.bootstrap, audit_start)
        if r.headers.get(h.EVENT_ID) in run.expected.extra_claims
    }
    lines, wrong = [], []
    with make_engine(run.watchdog_db).connect() as conn:
        for skew, claim in zip(SKEWS_S, claims, strict=True):
            oid = obligation_id("claim", str(claim.claimed_event_id), SKEWED)
            row = conn.execute(
                select(obligations.c.answered_at, obligations.c.state).where(
                    obligations.c.id == oid
                )
            ).one_or_none()
            at = appended.get(str(claim.envelope.event_id))
            occurred = claim.envelope.occurred_at
            answered = row.answered_at if row else None
            lines.append(
                f"skew {skew:+} s: occurred {occurred:%H:%M:%S}, answered"
                f" {answered and f'{answered:%H:%M:%S.%f}'}, audit append"
                f" {at and f'{at:%H:%M:%S.%f}'}, {row.state if row else 'no obligation'}"
            )
            if answered is None or at is None or row is None or row.state != "discharged":
                ok = False
            elif abs(skew) > TOLERANCE_S:
                ok = sent_at - dt.timedelta(seconds=1) <= answered <= at + dt.timedelta(seconds=1)
            else:
                ok = answered == occurred
            if not ok:
                wrong.append(lines[-1])
    return lines, wrong


# ------------------------------------------------------------------------------ 4. schema

HELD_BACK = 40


def test_schema_subject_deleted_then_restored_and_replayed(
    kit: Kit, run_factory: type[Run]
) -> None:
    run = run_factory("schema", ("weihai-culture-tourism", "weihai-forestry"), watchdog_pg=False)
    records = run.records(STREAM, seed=404, bad=3)
    held = run.records(HELD_BACK, seed=405)  # encoded now, with the subject's current id
    subject = run.serde.current.get("ApprovalResult").fullname
    old_id = int.from_bytes(held[0].value[1:5], "big")
    run.start_all()
    feeder = run.feed(records, rate=250)
    try:
        run.done_feeding(feeder)
        # Everything so far routed (the router caches the schema id it has seen).
        run.expected.results, later = run.expected.results[:STREAM], run.expected.results[STREAM:]
        settled = run.settle()
        assert settled[0], "the stream before the fault did not settle"
        assert run.services.retire("router") == 0, "the router did not exit 0 on SIGTERM"
        # Records in flight: on the outbox while the router is away, then the subject goes.
        held_feeder = Feeder(kit.stack.bootstrap, held, 200).start()
        held_feeder.finish()
        held_at = {held_feeder.positions[i] for i in range(len(held))}
        if not INJECT:
            run.expected.results += later
            run.start_router("router-2")
            run.finish("schema test, nothing deleted (dry run)", run.settle())
            return
        backup = registry_export(kit.stack.registry_url)  # the operator's backup
        delete_subject(kit.stack.registry_url, subject)
        assert not schema_id_answers(kit.stack.registry_url, old_id), (
            f"schema id {old_id} still answers after the permanent delete: no fault injected"
        )
        run.start_router("router-2")
        dlq_start = {k: v for k, v in run.start.items() if k[0] == DEAD_LETTER_TOPIC}

        def unknown_schema_letters() -> list[dict[str, str]]:
            return [
                r.headers
                for r in read_since(kit.stack.bootstrap, dlq_start)
                if (
                    r.headers.get(h.SOURCE_TOPIC, ""),
                    int(r.headers.get(h.SOURCE_PARTITION, "-1")),
                    int(r.headers.get(h.SOURCE_OFFSET, "-1")),
                )
                in held_at
            ]

        wait_until(
            "held-back records dead-lettered",
            lambda: len(unknown_schema_letters()) >= HELD_BACK,
            120,
            run.services,
            every=2,
        )
        reasons = {str(hd.get(h.DLQ_REASON)).upper() for hd in unknown_schema_letters()}
        print(f"[schema] {HELD_BACK} held-back records dead-lettered with reasons {reasons}")
        assert reasons == {"UNKNOWN_SCHEMA"}, (
            "held-back records not dead-lettered as unknown schema"
        )
        run.expected.bad |= held_at
        run.expected.results += later

        # Restored from the backup with its ids: a bare re-registration after a permanent
        # delete would get a new id, and the dead letters' bytes name the old one.
        registry_import(kit.stack.registry_url, backup)
        cli(kit.env, run.tmp, "schemas", "register")
        new_id = _latest_id(kit.stack.registry_url, subject)
        print(f"[schema] ApprovalResult id before the delete {old_id}, after the restore {new_id}")
        assert schema_id_answers(kit.stack.registry_url, old_id), "old id not restored"
        for attempt in (1, 2):
            replayed = cli(kit.env, run.tmp, "deadletter", "replay", "--reason", "UNKNOWN_SCHEMA")
            print(f"[schema] replay {attempt}: {replayed.strip()[-300:]}")
            if attempt == 1:
                settled = run.settle(120)
        time.sleep(10)  # the second replay's copies have had time to be (wrongly) delivered
        run.finish("schema subject deleted, restored, replayed twice", settled)
    except BaseException:
        print(_logs_on_failure(run))
        raise
    finally:
        feeder.close()


def _latest_id(url: str, subject: str) -> int:
    r = httpx.get(f"{url}/subjects/{subject}/versions/latest", timeout=10, **registry_http())
    return int(r.json()["id"]) if r.status_code == 200 else -1
