"""``sgbus digest send`` against a real SMTP server (aiosmtpd, with a login) and a local HTTP
SMS gateway: exactly what each recipient got — the officers' and the oversight office's
digests, and a department head's breach notice — and nothing more on a second run."""

from __future__ import annotations

import email
import email.policy
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from tests.fixtures.digest_seed import CIVIL, add_item, add_officer, week_store

pytestmark = pytest.mark.integration  # runs an SMTP server, an HTTP server and the CLI

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Mailbox:
    """What the SMTP server accepted: (recipient, subject, body)."""

    mails: list[tuple[str, str, str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        mail = email.message_from_bytes(raw, policy=email.policy.default)
        body = mail.get_body()
        assert body is not None
        for to in envelope.rcpt_tos:
            text = body.get_content().replace("\r\n", "\n").strip()  # CRLF on the wire
            self.mails.append((to, str(mail["Subject"]), text))
        return "250 OK"


def _login(
    server: Any, session: Session, envelope: Envelope, mechanism: str, auth: Any
) -> AuthResult:
    ok = isinstance(auth, LoginPassword) and (auth.login, auth.password) == (b"digest", b"pw")
    return AuthResult(success=ok)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), _free_port()
    controller = Controller(
        box, hostname="127.0.0.1", port=port, authenticator=_login, auth_require_tls=False
    )
    controller.start()
    yield box, port
    controller.stop()


@dataclass
class Gateway:
    """An SMS gateway that answers 503 to its first request, then 200."""

    received: list[dict[str, str]] = field(default_factory=list)
    requests: int = 0
    keys: list[str] = field(default_factory=list)


@pytest.fixture
def gateway() -> Iterator[tuple[Gateway, int]]:
    state = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests += 1
            state.keys.append(self.headers.get("X-Api-Key", ""))
            status = 503 if state.requests == 1 else 200
            if status == 200:
                state.received.append(json.loads(body))
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, server.server_address[1]
    server.shutdown()
    server.server_close()


def _send(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("SGBUS_")}
    full.update(PYTHONPATH=str(ROOT), SGBUS_STACK_DIR=str(tmp_path / "stack"), **env)
    argv = [sys.executable, "-m", "sgbus", "digest", "send", "--at", "2026-10-09T08:30:00+08:00"]
    return subprocess.run(argv, env=full, capture_output=True, text=True, timeout=120, check=False)


def test_each_recipient_gets_exactly_their_digest_once(
    tmp_path: Path, smtp: tuple[Mailbox, int], gateway: tuple[Gateway, int]
) -> None:
    store = week_store(tmp_path / "console.db")
    # 民政局's head, and a claim of 民政局 breached in the first seconds of Friday.
    add_officer(store, "sun.head", CIVIL, "head", email="sun@civil.example", phone="13900000009")
    breached = "2026-10-09T00:00:05+08:00"
    add_item(
        store,
        CIVIL,
        "WH-2026-0009",
        "养老机构备案",
        "2026-10-09T00:00:00+08:00",
        breached_at=breached,
    )
    (box, smtp_port), (gw, gw_port) = smtp, gateway
    env = {
        "SGBUS_DIGEST_STORE": str(store.url),
        "SGBUS_DIGEST_SMTP_HOST": "127.0.0.1",
        "SGBUS_DIGEST_SMTP_PORT": str(smtp_port),
        "SGBUS_DIGEST_SMTP_USER": "digest",
        "SGBUS_DIGEST_SMTP_PASSWORD": "pw",
        "SGBUS_DIGEST_SMTP_FROM": "digest@bus.example",
        "SGBUS_DIGEST_SMS_URL": f"http://127.0.0.1:{gw_port}/send",
        "SGBUS_DIGEST_SMS_TEMPLATE": '{"mobile": "{phone}", "content": "{text}"}',
        "SGBUS_DIGEST_SMS_HEADERS": '{"X-Api-Key": "k1"}',
        "SGBUS_DIGEST_SMS_BACKOFF_S": "0.05",
    }
    done = _send(tmp_path, env)
    assert done.returncode == 0, done.stderr
    assert "6 sent, 0 failed, 0 already sent today" in done.stdout

    civil = (
        "【审管联动】威海市民政局 2026-10-09 待办提醒",
        "待认领 2 件,其中今日到期 1 件;已逾期 2 件。\n"
        "最紧急的事项:\n"
        "- WH-2026-0001 养老机构备案 期限 2026-10-08 24:00(已逾期)\n"
        "- WH-2026-0009 养老机构备案 期限 2026-10-08 24:00(已逾期)\n"
        "- WH-2026-0002 民办非企业单位成立登记 期限 2026-10-09 24:00\n"
        "- WH-2026-0003 养老机构备案 期限 2026-10-12 24:00\n"
        "详情请登录审管联动平台查看。",
    )
    oversight = (
        "【审管联动】2026-10-09 各部门待办汇总",
        "威海市民政局:待认领 2,今日到期 1,已逾期 2\n"
        "威海市住房和城乡建设局:待认领 1,今日到期 0,已逾期 0\n"
        "合计:待认领 3,今日到期 1,已逾期 2",
    )
    head = (
        "【审管联动】威海市民政局 逾期未办理提醒",
        "事项 WH-2026-0009(养老机构备案)的审批结果认领,期限 2026-10-08 24:00,"
        "逾期未办理,已记录在案。请督促尽快办理。\n"
        "详情请登录审管联动平台查看。",
    )
    housing = (
        "【审管联动】威海市住房和城乡建设局 2026-10-09 待办提醒\n"
        "待认领 1 件,其中今日到期 0 件;已逾期 0 件。\n"
        "最紧急的事项:\n"
        "- WH-2026-0101 建筑工程施工许可 期限 2026-10-10 24:00\n"
        "详情请登录审管联动平台查看。"
    )
    assert sorted(box.mails) == [
        ("li@civil.example", *civil),
        ("sun@civil.example", *head),
        ("zhao@oversight.example", *oversight),
    ]
    # The first SMS met a 503 and was retried: each phone got its digest once.
    assert gw.requests == 4 and set(gw.keys) == {"k1"}
    assert sorted((r["mobile"], r["content"]) for r in gw.received) == [
        ("13800000001", "\n".join(civil)),
        ("13800000002", housing),
        ("13900000009", "\n".join(head)),
    ]

    again = _send(tmp_path, env)
    assert again.returncode == 0, again.stderr
    assert "0 sent, 0 failed, 6 already sent today" in again.stdout
    assert len(box.mails) == 3 and gw.requests == 4
