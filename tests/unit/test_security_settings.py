"""Where every client's security settings come from (no broker needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sgbus.bus.security import (
    CredentialsError,
    credentials_for,
    kafka_client_config,
    registry_client_config,
)
from sgbus.bus.settings import INSECURE_MARKER, Settings
from sgbus.identity.files import write_json_private

DOC = {
    "kafka": {
        "bootstrap.servers": "10.0.0.5:9093",
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "OAUTHBEARER",
        "sasl.oauthbearer.client.secret": "s3cret",
    },
    "schema_registry": {"url": "https://10.0.0.6/apis/ccompat/v7", "basic.auth.user.info": "a:b"},
}


@pytest.fixture(autouse=True)
def _secured_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SGBUS_INSECURE", "SGBUS_PRINCIPAL", "SGBUS_CREDENTIALS", "SGBUS_BOOTSTRAP"):
        monkeypatch.delenv(name, raising=False)


def settings(tmp_path: Path, **kwargs: object) -> Settings:
    return Settings(stack_dir=tmp_path / "stack", **kwargs)  # type: ignore[arg-type]


def test_an_explicit_credentials_file_wins(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    write_json_private(path, DOC)
    s = settings(tmp_path, credentials=path, principal="weihai-health")
    conf = kafka_client_config(s)
    assert conf["bootstrap.servers"] == "10.0.0.5:9093"  # the file names the brokers
    assert conf["security.protocol"] == "SASL_SSL"
    assert registry_client_config(s)["url"] == DOC["schema_registry"]["url"]


def test_bootstrap_and_registry_settings_override_the_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    write_json_private(path, DOC)
    s = settings(tmp_path, credentials=path, bootstrap="b:1", schema_registry="https://r/x")
    assert kafka_client_config(s)["bootstrap.servers"] == "b:1"
    assert kafka_client_config(s)["sasl.mechanism"] == "OAUTHBEARER"
    assert registry_client_config(s)["url"] == "https://r/x"


def test_a_service_finds_its_own_file_in_the_stack(tmp_path: Path) -> None:
    s = settings(tmp_path).acting_as("sgbus-router")
    write_json_private(s.credentials_folder() / "sgbus-router.json", DOC)
    creds = credentials_for(s)
    assert creds is not None and creds.source.name == "sgbus-router.json"


def test_no_credentials_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match="SGBUS_CREDENTIALS"):
        credentials_for(settings(tmp_path))
    with pytest.raises(CredentialsError, match=r"'weihai-health'.*sgbus stack up"):
        credentials_for(settings(tmp_path).acting_as("weihai-health"))


def test_a_broken_file_names_what_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    write_json_private(path, {"kafka": {}})
    with pytest.raises(CredentialsError, match="'schema_registry'"):
        credentials_for(settings(tmp_path, credentials=path))
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CredentialsError, match="not readable JSON"):
        credentials_for(settings(tmp_path, credentials=path))


def test_plaintext_only_when_asked_or_marked(tmp_path: Path) -> None:
    s = settings(tmp_path)
    assert not s.plaintext()
    assert s.registry_url().startswith("https://")
    (tmp_path / "stack").mkdir()
    (tmp_path / "stack" / INSECURE_MARKER).write_text("x", encoding="utf-8")
    assert s.plaintext()
    assert s.registry_url().startswith("http://")
    assert credentials_for(s.acting_as("sgbus-router")) is None
    assert kafka_client_config(s) == {"bootstrap.servers": "127.0.0.1:19092"}
    assert settings(tmp_path / "other", insecure=True).plaintext()


def test_sqlite_stores_are_created_private(tmp_path: Path) -> None:
    import stat as st

    from sqlalchemy import text

    from sgbus.bus.store.engine import make_engine

    path = tmp_path / "stores" / "x.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("create table t (a int)"))
    for f in tmp_path.joinpath("stores").iterdir():
        assert st.S_IMODE(f.stat().st_mode) == 0o600, f
    engine.dispose()
    loose = tmp_path / "old.db"
    loose.write_bytes(b"")
    loose.chmod(0o644)
    make_engine(f"sqlite:///{loose}").dispose()
    assert st.S_IMODE(loose.stat().st_mode) == 0o600
