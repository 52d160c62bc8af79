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
