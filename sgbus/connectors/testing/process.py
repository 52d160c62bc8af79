"""A service as its own process (``sgbus connector run``, ``sgbus gateway run``), to kill,
stop and measure."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import yaml


class ServiceProcess:
    """``python -m sgbus <args>`` with ``env``, its output in ``<workdir>/<name>.log``."""

    def __init__(self, name: str, args: list[str], workdir: Path, env: dict[str, str]) -> None:
        self.name = name
        self.args = args
        self.workdir = workdir
        self.env = {**os.environ, **env}
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.starts = 0

    def command(self, *args: str) -> list[str]:
        """The command line (with other ``args`` than the service's own if given)."""
        return [sys.executable, "-m", "sgbus", *(args or self.args)]

    def start(self) -> None:
        """Start the service (its log appended to ``<name>.log``)."""
        self.starts += 1
        self._log = (self.workdir / f"{self.name}.log").open("ab")
        self.proc = subprocess.Popen(
            self.command(), env=self.env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        self._close_log()

    def terminate(self, timeout_s: float = 30.0) -> int:
        """SIGTERM and wait; the exit status."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout_s)
        finally:
            self._close_log()
        return code

    def alive(self) -> bool:
        """Whether the process still runs."""
        return self.proc is not None and self.proc.poll() is None

    def peak_rss_mib(self) -> float:
        """The process's peak resident memory so far (Linux ``VmHWM``)."""
        assert self.proc is not None
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024

    def log_text(self) -> str:
        """Everything the connector logged so far."""
        path = self.workdir / f"{self.name}.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def run_to_end(self, *args: str, timeout_s: float = 120.0) -> subprocess.CompletedProcess[str]:
        """Run ``sgbus <args>`` to completion in the same environment."""
        return subprocess.run(
            self.command(*args), env=self.env, capture_output=True, text=True, timeout=timeout_s
        )

    def stop(self) -> None:
        """Make sure it is gone (end of a test)."""
        if self.alive():
            try:
                self.terminate(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


class ConnectorProcess(ServiceProcess):
    """``sgbus connector run NAME --config FILE``, the configuration written as YAML."""

    def __init__(
        self, name: str, config: dict[str, Any], workdir: Path, env: dict[str, str]
    ) -> None:
        self.name = name
        self.config = config
        self.config_file = workdir / f"{name}.yaml"
        self.config_file.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        super().__init__(name, self.verb_args("run"), workdir, env)

    def verb_args(self, verb: str) -> list[str]:
        """Arguments of ``sgbus connector <verb>`` for this connector and configuration."""
        return ["connector", verb, self.name, "--config", str(self.config_file)]

    def run_verb(self, verb: str, timeout_s: float = 120.0) -> subprocess.CompletedProcess[str]:
        """Run ``sgbus connector <verb>`` (check, replay) to completion."""
        return self.run_to_end(*self.verb_args(verb), timeout_s=timeout_s)


def wait_for(condition: object, timeout_s: float, what: str, interval_s: float = 0.2) -> None:
    """Poll ``condition()`` until true; AssertionError naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(interval_s)


def quick_settings(workdir: Path, metrics_port: int) -> dict[str, Any]:
    """Settings every connector takes, tuned for tests: its own state and metrics port, fast
    retries and polls."""
    return {
        "metrics_port": metrics_port,
        "state_db": f"sqlite:///{workdir / 'state.db'}",
        "poll_interval_s": 0.2,
        "retry_backoff_s": 0.2,
        "max_backoff_s": 2.0,
    }
