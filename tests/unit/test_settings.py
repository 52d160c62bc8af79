import pytest

from sgbus.bus.settings import Settings, SettingsError, get_settings


def test_env_prefix_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SGBUS_KAFKA_PORT", "29092")
    assert Settings().kafka_port == 29092


def test_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SGBUS_KAFKA_PORT", "not-a-port")
    get_settings.cache_clear()
    with pytest.raises(SettingsError, match="SGBUS_KAFKA_PORT"):
        get_settings()
    get_settings.cache_clear()


def test_operator_client_tuning_is_applied_last(monkeypatch: pytest.MonkeyPatch) -> None:
    from sgbus.bus.kafka_clients import consumer_config, producer_config

    monkeypatch.setenv("SGBUS_KAFKA_PRODUCER", '{"linger.ms": 25, "batch.size": 262144}')
    monkeypatch.setenv("SGBUS_KAFKA_CONSUMER", '{"fetch.min.bytes": 65536}')
    s = Settings()
    prod = producer_config(s, "tx-1", **{"linger.ms": 2})
    assert prod["linger.ms"] == 25 and prod["batch.size"] == 262144
    assert prod["enable.idempotence"] is True and prod["acks"] == "all"
    assert prod["transactional.id"] == "tx-1"
    cons = consumer_config(s, "g")
    assert cons["fetch.min.bytes"] == 65536 and cons["isolation.level"] == "read_committed"


@pytest.mark.parametrize(
    ("variable", "key"),
    [("SGBUS_KAFKA_PRODUCER", "acks"), ("SGBUS_KAFKA_CONSUMER", "isolation.level")],
)
def test_client_tuning_cannot_weaken_guarantees(
    monkeypatch: pytest.MonkeyPatch, variable: str, key: str
) -> None:
    monkeypatch.setenv(variable, f'{{"{key}": "1"}}')
    get_settings.cache_clear()
    with pytest.raises(SettingsError, match=f"{variable}.*{key} cannot be changed"):
        get_settings()
    get_settings.cache_clear()
