"""Start, find and stop the stack's java processes by pid file."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from sgbus.stack.errors import PortBusyError

STOP_GRACE_SECONDS = 30.0


def read_pid(pid_file: Path) -> int | None:
    """The pid recorded in ``pid_file``, or None when there is none."""
    try:
        return int(pid_file.read_text(encoding="ascii").strip())
    except (FileNotFoundError, ValueError):
        return None


def _cmdline(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return None


def is_ours(pid: int, marker: str) -> bool:
    """True if ``pid`` is alive and (where /proc exists) its command line carries ``marker``."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    if not Path("/proc/self").exists():
        return True
    cmdline = _cmdline(pid)
    return cmdline is not None and marker in cmdline and not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def running_pid(pid_file: Path, marker: str) -> int | None:
    """The live pid of our process named in ``pid_file``; a stale file is removed."""
    pid = read_pid(pid_file)
    if pid is None:
        return None
    if is_ours(pid, marker):
        return pid
    pid_file.unlink(missing_ok=True)
    return None


def start_detached(
    argv: list[str], pid_file: Path, console_log: Path, cwd: Path, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in its own session so it outlives the command that started it."""
    console_log.parent.mkdir(parents=True, exist_ok=True)
    with console_log.open("ab") as sink:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # Topics, schemas and the identity provider's database hold personal data and
            # secrets: what the process writes is readable by its owner only.
            umask=0o077,
        )
    pid_file.write_text(f"{proc.pid}\n", encoding="ascii")
    return proc


def rss_kib(pid: int) -> int | None:
    """Resident memory of ``pid`` in KiB (Linux), or None when unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def stop(pid: int, marker: str, grace: float = STOP_GRACE_SECONDS) -> bool:
    """SIGTERM, wait up to ``grace`` seconds, then SIGKILL. True if it had to be killed."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _reap(pid)
        if not is_ours(pid, marker):
            return False
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    for _ in range(50):
        _reap(pid)
        if not is_ours(pid, marker):
            break
        time.sleep(0.1)
    return True


def _reap(pid: int) -> None:
    # Only a child of this process can be reaped; for others this is a no-op.
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def port_is_free(host: str, port: int) -> bool:
    """True if nothing listens on ``host:port`` (checked by binding, which is instant)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def check_ports_free(host: str, ports: dict[str, int]) -> None:
    """Raise :class:`PortBusyError` naming each busy port and the setting that moves it."""
    busy = [(name, port) for name, port in ports.items() if not port_is_free(host, port)]
    if busy:
        listed = ", ".join(f"{port} ({name})" for name, port in busy)
        raise PortBusyError(
            f"port already in use on {host}: {listed}. Another program (or a stack started"
            " from another SGBUS_HOME) holds it: stop it, or choose free ports with the"
            " setting(s) named."
        )
