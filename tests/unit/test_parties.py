import pytest

from sgbus.bus.parties import BadPartyId, check_party_id, inbox_topic, outbox_topic


def test_topic_names() -> None:
    assert outbox_topic("weihai-market") == "sg.weihai-market.outbox"
    assert inbox_topic("weihai-market") == "sg.weihai-market.inbox"


@pytest.mark.parametrize("bad", ["", "a", "Market", "1abc", "a.b", "a_b", "x" * 49, "中文"])
def test_bad_ids_are_rejected(bad: str) -> None:
    with pytest.raises(BadPartyId, match="bad party id"):
        check_party_id(bad)


def test_the_party_of_a_topic() -> None:
    from sgbus.bus.parties import party_of_topic

    assert party_of_topic("sg.weihai-housing.outbox") == "weihai-housing"
    assert party_of_topic("sg.weihai-housing.inbox") == "weihai-housing"
    assert party_of_topic("sg.weihai-housing.deadletter") == "weihai-housing"
    assert party_of_topic("sg.deadletter") is None and party_of_topic("sg.audit") is None
    assert party_of_topic("sg.router.replayed") is None
