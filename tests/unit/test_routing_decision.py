from collections.abc import Collection, Sequence

from sgbus.bus.events import DeadLetterReason
from sgbus.consumers.router.decision import (
    Deliver,
    Reject,
    RoutableEvent,
    decide,
)


class FakeDirectory:
    def known_parties(self) -> Collection[str]:
        return {"wh-approval", "wh-market", "wh-health", "wh-oversight"}

    def supervisors_of_matter(self, matter_code: str, region: str | None = None) -> Sequence[str]:
        return {"M1": ["wh-market", "wh-health", "wh-market"]}.get(matter_code, [])

    def unassigned_pool(self, region: str | None = None) -> str:
        return "wh-oversight"

    def region_problem(self, region: str) -> str | None:
        return None if region.startswith("37") else f"region {region} not covered"


def ev(**kw: object) -> RoutableEvent:
    base: dict[str, object] = dict(
        event_id="e1",
        event_type="ApprovalResult",
        sender="wh-approval",
        recipients=None,
        case_key="c1",
        region="371000",
        matter_code="M1",
    )
    base.update(kw)
    return RoutableEvent(**base)  # type: ignore[arg-type]


def route(source: str, e: RoutableEvent) -> Deliver | Reject:
    return decide(source, e, FakeDirectory())


def test_approval_result_goes_to_catalogue_supervisors_once_each() -> None:
    assert route("wh-approval", ev()) == Deliver(("wh-market", "wh-health"))


def test_explicit_recipients_win_over_catalogue() -> None:
    assert route("wh-approval", ev(recipients=["wh-health"])) == Deliver(("wh-health",))


def test_unmapped_matter_goes_to_unassigned_pool() -> None:
    assert route("wh-approval", ev(matter_code="NOPE")) == Deliver(("wh-oversight",), True)


def test_forged_sender_is_rejected() -> None:
    out = route("wh-market", ev())
    assert isinstance(out, Reject) and out.reason is DeadLetterReason.SENDER_NOT_OWNER


def test_unknown_recipient_is_rejected_and_named() -> None:
    out = route("wh-approval", ev(recipients=["wh-health", "ghost"]))
    assert out == Reject(DeadLetterReason.UNKNOWN_PARTY, "unknown recipient(s): ghost")


def test_unknown_sender_party_is_rejected() -> None:
    out = route("ghost", ev(sender="ghost"))
    assert isinstance(out, Reject) and out.reason is DeadLetterReason.UNKNOWN_PARTY


def test_non_catalogue_event_without_recipients_is_rejected() -> None:
    out = route("wh-market", ev(event_type="SupervisionAction", sender="wh-market"))
    assert isinstance(out, Reject) and out.reason is DeadLetterReason.NO_RECIPIENT


def test_event_of_an_uncovered_region_is_rejected_with_the_reason() -> None:
    out = route("wh-approval", ev(region="440300"))
    assert out == Reject(DeadLetterReason.OTHER, "region 440300 not covered")
    # also with explicit recipients: no rules cover the region, so nothing is delivered
    out = route("wh-approval", ev(region="440300", recipients=["wh-health"]))
    assert isinstance(out, Reject) and out.reason is DeadLetterReason.OTHER
