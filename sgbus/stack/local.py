"""The local stack as one object: ``up``, ``down`` and ``status`` over a :class:`StackConfig`."""

from __future__ import annotations

import base64
import shutil
import subprocess
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from sgbus.identity.keycloak_admin import keycloak_ready, tls_context
from sgbus.stack import render, secure
from sgbus.stack.config import LOOPBACK, StackConfig, mark_mode
from sgbus.stack.errors import PortBusyError, StartError
from sgbus.stack.locks import file_lock
from sgbus.stack.probes import KafkaProbe, registry_ready, wait_until
from sgbus.stack.process import check_ports_free, rss_kib, running_pid, start_detached, stop
from sgbus.stack.provision import check_java, find_java, provision
from sgbus.stack.provision_keycloak import find_java21, provision_keycloak
from sgbus.stack.versions import kafka_version, keycloak_version, registry_version

KAFKA_READY_SECONDS = 90.0
REGISTRY_READY_SECONDS = 180.0
IDENTITY_READY_SECONDS = 240.0
ALREADY_RUNNING_READY_SECONDS = 30.0
ROLES = ("identity", "kafka", "registry")
_READY_SECONDS = {
    "identity": IDENTITY_READY_SECONDS,
    "kafka": KAFKA_READY_SECONDS,
    "registry": REGISTRY_READY_SECONDS,
}


def new_cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding, not starting '-'."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode("ascii")
        if not text.startswith("-"):
            return text


def default_parties() -> list[str]:
    """The example catalogue's parties (the realm and ACLs of a stack started without one)."""
    from sgbus.bus.catalogue import example_catalogue

    return sorted(example_catalogue().parties_by_id)


def log_tail(path: Path, lines: int = 12) -> str:
    """The last lines of a log file, indented, for an error message."""
    try:
        content = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "    (no log written)"
    return "\n".join("    " + ln for ln in content[-lines:])


@dataclass(frozen=True)
class ComponentStatus:
    """One process of the stack as ``status`` reports it."""

    role: str
    version: str
    address: str
    pid: int | None
    answering: bool
    rss_kib: int | None
    log: Path


@dataclass(frozen=True)
class StackInfo:
    """What ``up`` did and where clients connect."""

    bootstrap: str
    schema_registry: str
    started: list[str] = field(default_factory=list)
    downloaded: list[str] = field(default_factory=list)
    #: Where each principal's credentials file is (None on a plaintext stack).
    credentials: Path | None = None


Notify = Callable[[str], None]


def _silent(_: str) -> None:
    return None


class LocalStack:
    """A single-node Kafka (KRaft), an Apicurio Registry and (secured) a Keycloak identity
    provider on loopback, run from jars."""

    def __init__(self, cfg: StackConfig) -> None:
        self.cfg = cfg

    @property
    def roles(self) -> tuple[str, ...]:
        """The processes of this stack, in start order."""
        return ROLES if self.cfg.secured else ROLES[1:]

    def marker(self, role: str) -> str:
        """Command-line marker that identifies this stack's process of ``role``."""
        return render.marker(self.cfg, role)

    def pid(self, role: str) -> int | None:
        """Live pid of ``role``, or None."""
        return running_pid(self.cfg.pid_file(role), self.marker(role))

    def up(
        self, fresh: bool = False, notify: Notify = _silent, parties: Sequence[str] = ()
    ) -> StackInfo:
        """Provision if needed and start what is not running; wait until all answer. Secured,
        the realm, credentials and ACLs are brought in line with ``parties`` (default: the
        example catalogue's) and the contracts are registered."""
        cfg = self.cfg
        parties = list(parties) or default_parties()
        with file_lock(cfg.state_dir / ".lock"):
            java = find_java()
            check_java(java)
            java21 = find_java21() if cfg.secured else None
            if fresh:
                self._stop_all(notify)
            # Checked before any download so that a taken port fails in a second, not minutes.
            missing = [role for role in self.roles if self.pid(role) is None]
            check_ports_free(LOOPBACK, self._ports_of(missing))
            downloaded = provision(cfg)
            if java21 is not None and provision_keycloak(cfg.home, java21):
                downloaded.append(cfg.keycloak_dist.name)
            for name in downloaded:
                notify(f"downloaded {name}")
            if fresh:
                self._wipe(notify)
            mark_mode(cfg)
            if cfg.secured:
                secure.prepare_pki(cfg)
            self._start(java, java21, missing, notify, parties)
            self._after_start(parties, notify)
        creds = cfg.credentials_dir if cfg.secured else None
        return StackInfo(cfg.bootstrap, cfg.registry_url, missing, downloaded, creds)

    def _after_start(self, parties: Sequence[str], notify: Notify) -> None:
        cfg = self.cfg
        if cfg.secured:
            notify("applying ACLs")
            secure.apply_acls(cfg, parties, notify)
        try:
            secure.configure_registry(cfg)
        except httpx.HTTPError as exc:
            raise StartError(
                f"the registry did not accept the compatibility setting or the contracts: {exc}."
                f" Log: {cfg.console_log('registry')}"
            ) from None

    def down(self, notify: Notify = _silent) -> list[str]:
        """Stop both processes (SIGTERM, then SIGKILL after a grace period); data is kept."""
        with file_lock(self.cfg.state_dir / ".lock"):
            return self._stop_all(notify)

    def status(self) -> list[ComponentStatus]:
        """Pid, liveness of the service and resident memory of each process."""
        cfg = self.cfg
        checks = self._readiness()
        versions = {
            "identity": keycloak_version,
            "kafka": kafka_version,
            "registry": registry_version,
        }
        addresses = {
            "identity": cfg.identity_url,
            "kafka": cfg.bootstrap,
            "registry": cfg.registry_url,
        }
        rows = []
        for role in self.roles:
            pid = self.pid(role)
            rows.append(
                ComponentStatus(
                    role,
                    versions[role](),
                    addresses[role],
                    pid,
                    pid is not None and checks[role](),
                    rss_kib(pid) if pid else None,
                    self._log_of(role),
                )
            )
        return rows

    def _readiness(self) -> dict[str, Callable[[], bool]]:
        cfg = self.cfg
        ca = cfg.pki_dir / "ca.pem"
        if cfg.secured and not ca.is_file():  # never started: nothing can answer yet
            return dict.fromkeys(ROLES, lambda: False)
        verify = tls_context(ca) if cfg.secured else True
        if cfg.secured:
            probe = KafkaProbe(cfg.internal_bootstrap, secure.superuser_kafka_config(cfg))
        else:
            probe = KafkaProbe(cfg.bootstrap)
        return {
            "identity": lambda: keycloak_ready(cfg.identity_health_url, cfg.pki_dir / "ca.pem"),
            "kafka": probe.ready,
            "registry": lambda: registry_ready(cfg.registry_url, verify=verify),
        }

    # -- internals -------------------------------------------------------------------------

    def _ports_of(self, roles: list[str]) -> dict[str, int]:
        ports = self.cfg.ports()
        wanted = {
            "identity": ("SGBUS_IDENTITY_PORT", "SGBUS_IDENTITY_MANAGEMENT_PORT"),
            "kafka": ("SGBUS_KAFKA_PORT", "SGBUS_CONTROLLER_PORT", "SGBUS_KAFKA_INTERNAL_PORT"),
            "registry": ("SGBUS_REGISTRY_PORT",),
        }
        return {name: ports[name] for role in roles for name in wanted[role] if name in ports}

    def _start(
        self,
        java: str,
        java21: str | None,
        roles: list[str],
        notify: Notify,
        parties: Sequence[str],
    ) -> None:
        cfg = self.cfg
        procs: dict[str, subprocess.Popen[bytes]] = {}
        try:
            if cfg.secured:
                # First: the broker checks tokens against it, and the registry asks it.
                if "identity" in roles:
                    assert java21 is not None
                    procs["identity"] = self._spawn_identity(java21)
                    notify(f"started identity (pid {procs['identity'].pid}), waiting")
                self._wait_ready({r: p for r, p in procs.items() if r == "identity"}, ["identity"])
                notify("provisioning the realm and credentials")
                secure.provision_realm(cfg, parties)
            if "kafka" in roles:
                self._prepare_kafka(java, notify)
                procs["kafka"] = self._spawn("kafka", render.kafka_server_argv(java, cfg), {})
            if "registry" in roles:
                cfg.registry_data.mkdir(parents=True, exist_ok=True)
                argv = render.registry_argv(java, cfg, secure.truststore_password(cfg))
                procs["registry"] = self._spawn("registry", argv, render.registry_env(cfg))
            for role, proc in procs.items():
                if role != "identity":
                    notify(f"started {role} (pid {proc.pid}), waiting until it answers")
            self._wait_ready(procs, ["kafka", "registry"])
        except BaseException:
            for role, proc in procs.items():
                stop(proc.pid, self.marker(role), grace=10.0)
                cfg.pid_file(role).unlink(missing_ok=True)
            raise

    def _spawn_identity(self, java21: str) -> subprocess.Popen[bytes]:
        cfg = self.cfg
        argv, env = secure.identity_command(cfg, java21, render.marker_args(cfg, "identity"))
        return self._spawn("identity", argv, env)

    def _prepare_kafka(self, java: str, notify: Notify) -> None:
        cfg = self.cfg
        cfg.kafka_conf.mkdir(parents=True, exist_ok=True)
        props = render.properties_text(render.server_properties(cfg))
        (cfg.kafka_conf / "server.properties").write_text(props, encoding="utf-8")
        (cfg.kafka_conf / "log4j2.yaml").write_text(render.log4j2_yaml(), encoding="utf-8")
        if (cfg.kafka_data / "meta.properties").is_file():
            return
        notify(f"formatting Kafka storage in {cfg.kafka_data}")
        cfg.kafka_data.mkdir(parents=True, exist_ok=True)
        argv = render.kafka_format_argv(java, cfg, new_cluster_id())
        out = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        if out.returncode != 0:
            shutil.rmtree(cfg.kafka_data, ignore_errors=True)
            raise StartError(f"formatting Kafka storage failed:\n{out.stdout}{out.stderr}")

    def _spawn(self, role: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        cfg = self.cfg
        return start_detached(argv, cfg.pid_file(role), cfg.console_log(role), cfg.state_dir, env)

    def _wait_ready(self, procs: dict[str, subprocess.Popen[bytes]], roles: list[str]) -> None:
        """Wait for ``roles``: those just started, and those found running (which may hang)."""
        checks = self._readiness()
        for role in roles:
            proc = procs.get(role)
            timeout = ALREADY_RUNNING_READY_SECONDS if proc is None else _READY_SECONDS[role]
            outcome = wait_until(checks[role], self._alive_check(role, proc), timeout)
            if outcome != "ready":
                self._explain(role, outcome, proc, timeout)

    def _alive_check(self, role: str, proc: subprocess.Popen[bytes] | None) -> Callable[[], bool]:
        def started_alive() -> bool:
            return proc is not None and proc.poll() is None

        def found_alive() -> bool:
            return self.pid(role) is not None

        return started_alive if proc is not None else found_alive

    def _log_of(self, role: str) -> Path:
        if role == "kafka":
            return self.cfg.logs / "kafka" / "server.log"
        return self.cfg.console_log(role)

    def _explain(
        self, role: str, outcome: str, proc: subprocess.Popen[bytes] | None, timeout: float
    ) -> None:
        log, console = self._log_of(role), self.cfg.console_log(role)
        text = "\n".join(p.read_text(errors="replace") for p in {log, console} if p.is_file())
        if proc is not None and "Address already in use" in text:
            raise PortBusyError(
                f"{role} could not bind its port: another process took it while starting."
                " Choose free ports (SGBUS_KAFKA_PORT, SGBUS_CONTROLLER_PORT,"
                f" SGBUS_REGISTRY_PORT); log: {log}"
            )
        if proc is None:
            what = f"was running but did not answer within {timeout:.0f} s"
            hint = "Try `sgbus stack down` and `sgbus stack up` again."
        elif outcome == "exited":
            what, hint = f"exited with code {proc.returncode}", ""
        else:
            what, hint = f"did not answer within {timeout:.0f} s", ""
        tails = f"Log: {log}\n{log_tail(log)}"
        if console != log:
            tails += f"\nConsole output: {console}\n{log_tail(console)}"
        raise StartError(f"{role} {what}. {hint}\n{tails}".replace(". \n", ".\n"))

    def _stop_all(self, notify: Notify) -> list[str]:
        stopped = []
        for role in reversed(ROLES):  # all roles: a stack restarted --insecure stops identity
            pid = self.pid(role)
            if pid is None:
                continue
            killed = stop(pid, self.marker(role))
            self.cfg.pid_file(role).unlink(missing_ok=True)
            notify(f"stopped {role} (pid {pid}{', killed after grace period' if killed else ''})")
            stopped.append(role)
        return stopped

    def _wipe(self, notify: Notify) -> None:
        # The default stores go too: their offsets point into the topics wiped here.
        cfg = self.cfg
        folders = (cfg.kafka_data, cfg.registry_data, cfg.stores, cfg.identity_data)
        for folder in (*folders, cfg.credentials_dir, cfg.identity_dir):
            if folder.exists():
                shutil.rmtree(folder)
                notify(f"wiped {folder}")
