"""The digest's settings: readable errors naming the variable, never echoing a secret."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from sgbus.bus.settings import SettingsError
from sgbus.digest.settings import load_digest_settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    s = load_digest_settings()
    assert s.send_at == time(8, 30)
    assert s.channels() == []
    monkeypatch.setenv("SGBUS_DIGEST_SEND_AT", "07:05")
    monkeypatch.setenv("SGBUS_DIGEST_SMS_URL", "http://sms.example/send")
    assert load_digest_settings().send_at == time(7, 5)
    assert load_digest_settings().channels() == ["sms"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SGBUS_DIGEST_SEND_AT": "8h30"}, "SGBUS_DIGEST_SEND_AT: use HH:MM"),
        ({"SGBUS_DIGEST_SEND_AT": "25:00"}, "SGBUS_DIGEST_SEND_AT: use HH:MM"),
        ({"SGBUS_DIGEST_SMS_URL": "ftp://x"}, "SGBUS_DIGEST_SMS_URL: must be an http"),
        ({"SGBUS_DIGEST_SMS_TEMPLATE": '{"to": "{phone}"}'}, "must contain {text}"),
        ({"SGBUS_DIGEST_LIST_SIZE": "11"}, "SGBUS_DIGEST_LIST_SIZE:"),
        ({"SGBUS_DIGEST_SMTP_HOST": "mail"}, "SGBUS_DIGEST_SMTP_FROM is needed"),
        (
            {"SGBUS_DIGEST_SMTP_PASSWORD": "hunter2-secret"},
            "set SGBUS_DIGEST_SMTP_USER and SGBUS_DIGEST_SMTP_PASSWORD together",
        ),
    ],
)
def test_bad_settings_are_named(
    env: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(SettingsError) as raised:
        load_digest_settings()
    assert message in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_the_settings_file_is_read_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / "digest.env"
    env.write_text("SGBUS_DIGEST_SEND_AT=07:45\nSGBUS_LOG_LEVEL=INFO\n", encoding="utf-8")
    monkeypatch.setenv("SGBUS_ENV_FILE", str(env))
    assert load_digest_settings().send_at == time(7, 45)
