"""Every command checks parties, store URLs and settings before it touches anything."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sgbus.bus.settings import Settings, SettingsError, get_settings
from sgbus.bus.store import make_engine, migrate
from sgbus.cli import _register, app
from sgbus.runtime.startup import StartupError, check_store_url, known_party

RUN = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
ISOLATED = (
    "SGBUS_STACK_DIR",
    "SGBUS_WATCHDOG_DB",
    "SGBUS_DEPARTMENT_DB",
    "SGBUS_CATALOGUE",
    "SGBUS_ENV_FILE",
    "SGBUS_BOOTSTRAP",
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty SGBUS_HOME and no other store or catalogue setting."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("SGBUS_HOME", str(folder))
    for name in ISOLATED:
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    _register()
    yield folder
    get_settings.cache_clear()


def files_under(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*"))


@pytest.mark.parametrize(
    "args",
    [
        ["department", "run", "--party", "wh-water"],
        ["inbox", "--party", "wh-water"],
        ["claim", "--party", "wh-water", "371000:威审批〔2026〕12号"],
        ["assign", "371000:威审批〔2026〕12号", "--to", "wh-water"],
    ],
)
def test_a_mistyped_party_is_refused_with_a_suggestion_and_nothing_created(
    home: Path, args: list[str]
) -> None:
    result = RUN.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "unknown party 'wh-water'" in result.output
    assert "did you mean weihai-water?" in result.output
    assert files_under(home) == []


def test_a_party_with_nothing_close_points_at_the_list(home: Path) -> None:
    result = RUN.invoke(app, ["department", "run", "--party", "wh-market"])
    assert result.exit_code == 2
    assert "unknown party 'wh-market'" in result.output
    assert "sgbus catalogue show --parties" in result.output
    assert files_under(home) == []


def test_the_configured_catalogue_decides_which_parties_exist(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.watchdog_kit import catalogue_text

    cat = tmp_path / "anqiu.yaml"
    cat.write_text(catalogue_text("anqiu"), encoding="utf-8")
    monkeypatch.setenv("SGBUS_CATALOGUE", str(cat))
    get_settings.cache_clear()
    result = RUN.invoke(app, ["inbox", "--party", "anqiu-markt"])
    assert result.exit_code == 2
    assert "in catalogue 'anqiu'; did you mean anqiu-market?" in result.output


BAD_URLS = [
    ("not a url", "not a database URL"),
    ("mysql://sgbus:s3cret@db/sgbus", "unsupported database 'mysql'"),
    ("postgresql+nosuchdriver://sgbus:s3cret@db/sgbus", "postgresql+nosuchdriver"),
]
COMMANDS = [
    ["inbox", "--party", "weihai-water"],
    ["claim", "--party", "weihai-water", "case-1"],
    ["obligations"],
    ["report", "--from", "2026-11-01", "--to", "2026-11-30"],
    ["watchdog", "run"],
    ["watchdog", "reload-calendar"],
    ["department", "run", "--party", "weihai-water"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
@pytest.mark.parametrize(("url", "says"), BAD_URLS, ids=["garbage", "mysql", "driver"])
def test_a_bad_database_url_is_one_line_without_traceback(
    home: Path, command: list[str], url: str, says: str
) -> None:
    result = RUN.invoke(app, [*command, "--db", url])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.output
    assert "s3cret" not in result.output
    assert files_under(home) == []


def test_a_bad_url_in_the_environment_is_refused_too(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SGBUS_DEPARTMENT_DB", "oracle://u:s3cret@db/{party}")
    get_settings.cache_clear()
    result = RUN.invoke(app, ["department", "run", "--party", "weihai-water"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "sgbus: SGBUS_DEPARTMENT_DB: unsupported database 'oracle'; stores run on sqlite or"
        " postgresql"
    )


OBLIGATIONS_ON_MYSQL = ["obligations", "--db", "mysql://x@y/z"]


@pytest.mark.integration  # runs the command as a process of its own
def test_no_traceback_from_the_installed_command(home: Path, tmp_path: Path) -> None:
    """The console script itself (not the test runner) prints one line."""
    out = subprocess.run(
        [sys.executable, "-c", "from sgbus.cli import main; main()", *OBLIGATIONS_ON_MYSQL],
        capture_output=True,
        text=True,
        timeout=60,
        env={"SGBUS_HOME": str(home), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert out.returncode == 2
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "command",
    [
        ["inbox", "--party", "weihai-water"],
        ["claim", "--party", "weihai-water", "case-1"],
        ["obligations"],
        ["report", "--from", "2026-11-01", "--to", "2026-11-30"],
        ["watchdog", "reload-calendar"],
    ],
    ids=lambda c: c[0],
)
def test_a_read_command_refuses_a_store_that_does_not_exist(
    home: Path, tmp_path: Path, command: list[str]
) -> None:
    db = tmp_path / "nowhere" / "store.db"
    result = RUN.invoke(app, [*command, "--db", f"sqlite:///{db}"])
    assert result.exit_code == 2
    assert f"no store at {db}" in result.output
    assert not db.parent.exists()
    default = RUN.invoke(app, command)
    assert default.exit_code == 2
    assert "no store at" in default.output and str(home / "stack" / "stores") in default.output
    assert files_under(home) == []


def test_a_database_that_is_not_a_store_is_not_made_one(home: Path, tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    make_engine(f"sqlite:///{db}").connect().close()  # an empty SQLite file
    result = RUN.invoke(app, ["inbox", "--party", "weihai-water", "--db", f"sqlite:///{db}"])
    assert result.exit_code == 2 and "no store in sqlite:///" in result.output


def test_a_store_left_in_the_old_place_is_pointed_at(home: Path) -> None:
    old = home / "stores" / "watchdog.db"
    migrate(make_engine(f"sqlite:///{old}"))
    result = RUN.invoke(app, ["obligations"])
    assert result.exit_code == 2
    assert f"move {old} there" in result.output


def test_obligations_know_the_parties_of_the_store(home: Path, tmp_path: Path) -> None:
    from tests.fixtures.report_seed import seed

    url = f"sqlite:///{tmp_path / 'wd.db'}"
    engine = make_engine(url)
    migrate(engine)
    from datetime import UTC, date, datetime

    seed(engine, date(2026, 11, 1), date(2026, 11, 30), datetime(2026, 12, 1, tzinfo=UTC))
    result = RUN.invoke(app, ["obligations", "--db", url, "--party", "weihai-watr", "--json"])
    assert result.exit_code == 2 and "did you mean weihai-water" in result.output
    listed = RUN.invoke(app, ["obligations", "--db", url, "--party", "weihai-water", "--json"])
    assert listed.exit_code == 0, listed.output
    table = RUN.invoke(app, ["obligations", "--db", url, "--party", "weihai-housing"])
    assert table.exit_code == 0, table.output
    # names people read, with the id beside them (the default catalogue is 威海's)
    assert "威海市住房和城乡建设局 (weihai-housing)" in table.output
    assert "威海市行政审批服务局 (weihai-approval)" in table.output


def test_a_service_store_folder_may_be_created_but_not_under_a_file(tmp_path: Path) -> None:
    check_store_url(f"sqlite:///{tmp_path / 'new' / 'deeper' / 'w.db'}", "--db", existing=False)
    assert not (tmp_path / "new").exists(), "checking creates nothing"
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StartupError, match="not writable"):
        check_store_url(f"sqlite:///{blocker / 'sub' / 'w.db'}", "--db", existing=False)
    with pytest.raises(StartupError, match="is a folder"):
        check_store_url(f"sqlite:///{tmp_path}", "--db", existing=False)


def test_a_postgresql_url_is_checked_without_connecting() -> None:
    # Port 1: nothing listens there. A service waits an unreachable store out; the check
    # only refuses what can never work.
    parsed = check_store_url("postgresql+psycopg://u:pw@127.0.0.1:1/db", "--db", existing=False)
    assert parsed.get_backend_name() == "postgresql"


def test_known_party_suggests_for_an_abbreviated_region() -> None:
    ids = ["weihai-water", "weihai-approval", "rushan-natural-resources"]
    with pytest.raises(StartupError, match="did you mean weihai-water"):
        known_party("wh-water", ids, "catalogue 'x'")
    with pytest.raises(StartupError, match="known parties: rushan-natural-resources, weihai"):
        known_party("zz-zzz", ids, "catalogue 'x'")
    with pytest.raises(StartupError, match="bad party id"):
        known_party("Bad Party", ids, "catalogue 'x'")
    assert known_party("weihai-water", ids, "catalogue 'x'") == "weihai-water"


def test_two_stacks_have_their_own_default_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SGBUS_STACK_DIR", raising=False)  # the default is what is tested
    one = Settings(home=tmp_path, stack_dir=tmp_path / "one")
    two = Settings(home=tmp_path, stack_dir=tmp_path / "two")
    assert one.watchdog_db_url() != two.watchdog_db_url()
    assert one.department_db_url("weihai-water") == (
        f"sqlite:///{tmp_path / 'one' / 'stores' / 'weihai-water.db'}"
    )
    assert Settings(home=tmp_path).stores_dir() == tmp_path / "stack" / "stores"
    from sgbus.stack import StackConfig

    assert StackConfig.from_settings(two).stores == two.stores_dir()


def test_no_env_file_is_read_implicitly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SGBUS_ENV_FILE", raising=False)
    monkeypatch.delenv("SGBUS_KAFKA_PORT", raising=False)
    monkeypatch.delenv("SGBUS_POLICY", raising=False)
    (tmp_path / ".env").write_text("SGBUS_KAFKA_PORT=1234\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert Settings().kafka_port == 19092


def test_a_settings_file_is_read_when_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SGBUS_KAFKA_PORT", raising=False)
    file = tmp_path / "sgbus.env"
    file.write_text("SGBUS_KAFKA_PORT=1234\nSGBUS_POLICY=weihai\nOTHER=x\n", encoding="utf-8")
    monkeypatch.setenv("SGBUS_ENV_FILE", str(file))
    monkeypatch.setenv("SGBUS_POLICY", "zichuan")
    settings = Settings()
    assert settings.kafka_port == 1234
    assert settings.policy == "zichuan", "the environment wins over the file"
    monkeypatch.setenv("SGBUS_ENV_FILE", str(tmp_path / "missing.env"))
    with pytest.raises(SettingsError, match="SGBUS_ENV_FILE: no settings file at"):
        Settings()


def test_bad_settings_are_one_line_and_exit_2(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SGBUS_KAFKA_PORT", "not-a-port")
    get_settings.cache_clear()
    result = RUN.invoke(app, ["inbox", "--party", "weihai-water"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "SGBUS_KAFKA_PORT" in result.output
