"""The proof's own Redis and PostgreSQL, on spare ports, for the fault table (tests/proof/test_runs_itself.py),
which kills and restarts them: never the servers CI shares (5432, 6379), which other runs are using.

`python -m tests.proof.servers COMMAND...` (as `make proof` runs it) picks two free ports and a folder, runs
COMMAND with DATABASE_URL and REDIS_URL naming them, PROOF_OWN_SERVERS naming the folder, and
TEST_SHARED_CACHE=redis (the test's processes tell one another what they know through Redis, as in
production); then it stops whatever is left running there and removes the folder. Its exit status is COMMAND's.

The servers themselves are started by the tests' session (`own_servers` in tests/proof/conftest.py, before the
test database is made), on those ports, and killed and restarted by the tests:
- Redis: `redis-server` with an append-only file (`appendonly yes`, fsynced each second), as production runs
  it, so a Redis killed and started again keeps its queue;
- PostgreSQL: `initdb` and `pg_ctl` (from PATH or /usr/lib/postgresql/*/bin) in the folder, trust
  authentication on 127.0.0.1, without fsync (a throwaway cluster). Run as root, they run as the `postgres`
  user, which owns the cluster's folder.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

SHARED_PORTS = {5432, 6379}  # CI's PostgreSQL and Redis: the proof never kills or restarts these
READY_SECONDS = 30.0


class ServerFailed(Exception):
    """A server that did not start (or stop) as asked; the message carries the end of its log."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def postgres_bin(name: str) -> str | None:
    """initdb, pg_ctl… on PATH, else from the newest /usr/lib/postgresql/<version>/bin (Debian keeps them there)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return candidates[-1] if candidates else None


def missing_binaries() -> list[str]:
    """What this machine lacks to run the proof's own servers."""
    missing = [] if shutil.which("redis-server") else ["redis-server"]
    return missing + [name for name in ("initdb", "pg_ctl") if postgres_bin(name) is None]


def _refuse_shared(port: int) -> int:
    if port in SHARED_PORTS:
        raise ServerFailed(f"port {port} is a shared server's: the proof kills only servers it started itself")
    return port


@dataclass
class OwnRedis:
    """A Redis on a spare port with an append-only file in `folder`; `kill()` is SIGKILL, `start()` again replays
    the file (the queue comes back, up to its last second)."""

    port: int
    folder: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        _refuse_shared(self.port)
        self.folder.mkdir(parents=True, exist_ok=True)
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(self.folder)]
        command += ["--pidfile", str(self.folder / "redis.pid"), "--logfile", str(self.folder / "redis.log")]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline and self.process.poll() is None:
            if self.ping():
                return
            time.sleep(0.05)
        raise ServerFailed(f"Redis did not start on port {self.port}:\n{_tail(self.folder / 'redis.log')}")

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1).ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        """SIGKILL, as the kernel's OOM killer or a lost machine stops it: no goodbye to its clients."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class OwnPostgres:
    """A throwaway PostgreSQL cluster in `folder` on a spare port; `crash()` stops it at once (pg_ctl's immediate
    mode: every connection cut, recovery on the next start), `start()` brings it back with all its data."""

    port: int
    folder: Path
    owner: str | None = field(default=None)  # the user the cluster runs as (`postgres` when we are root)

    def __post_init__(self) -> None:
        if self.owner is None and os.geteuid() == 0:
            self.owner = "postgres"

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, name: str, *args: str, timeout: float = 60) -> None:
        binary = postgres_bin(name)
        if binary is None:
            raise ServerFailed(f"{name} is not installed (PostgreSQL's server binaries)")
        command = [binary, *args]
        if self.owner:
            command = ["runuser", "-u", self.owner, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode:
            log = _tail(self.folder / "postgres.log")
            raise ServerFailed(f"{name} {' '.join(args)} failed: {done.stdout}{done.stderr}\n{log}")

    def initialize(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.owner:
            entry = pwd.getpwnam(self.owner)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        if not (self.data / "PG_VERSION").exists():
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        _refuse_shared(self.port)
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        options += " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        log = str(self.folder / "postgres.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "-t", "60", "start", timeout=90)

    def crash(self) -> None:
        """Stop at once: every connection is cut; the next start recovers from the write-ahead log."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(ServerFailed, subprocess.TimeoutExpired):
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop")


@dataclass
class OwnServers:
    """The pair the fault table plays on, as the launcher below described them in the environment."""

    redis: OwnRedis
    postgres: OwnPostgres

    @classmethod
    def from_environment(cls) -> OwnServers | None:
        folder = os.environ.get("PROOF_OWN_SERVERS")
        if not folder:
            return None
        redis_port = urlparse(os.environ["REDIS_URL"]).port
        database_port = urlparse(os.environ["DATABASE_URL"]).port
        if not redis_port or not database_port:
            raise ServerFailed("REDIS_URL and DATABASE_URL must name the ports the launcher picked")
        return cls(OwnRedis(redis_port, Path(folder) / "redis"), OwnPostgres(database_port, Path(folder) / "postgres"))

    def start(self) -> None:
        self.redis.start()
        self.postgres.initialize()
        self.postgres.start()

    def stop(self) -> None:
        self.redis.stop()
        self.postgres.stop()

    def ensure_running(self) -> None:
        """Both up again (a test that failed in the middle of an outage leaves the next one its servers)."""
        if not self.redis.ping():
            self.redis.kill()
            self.redis.start()
        if not answers(self.postgres.port):
            self.postgres.start()


def _tail(path: Path, size: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-size:]
    except OSError:
        return ""


def _leftovers(folder: Path) -> None:
    """Whatever the tests left running in the folder (a run interrupted): Redis by its pid file, PostgreSQL by
    pg_ctl."""
    pidfile = folder / "redis" / "redis.pid"
    with contextlib.suppress(OSError, ValueError):
        os.kill(int(pidfile.read_text().strip()), signal.SIGKILL)
    OwnPostgres(0, folder / "postgres").stop()


def main(command: list[str]) -> int:
    if not command:
        print("usage: python -m tests.proof.servers COMMAND [ARG...]", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="overlap-proof-servers-"))
    folder.chmod(0o755)  # the postgres user walks into its cluster's folder
    redis_port, database_port = free_port(), free_port()
    while database_port == redis_port:
        database_port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{database_port}/overlap_faults",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "PROOF_OWN_SERVERS": str(folder),
        "TEST_SHARED_CACHE": "redis",
    }
    print(f"[proof] own servers: PostgreSQL on {database_port}, Redis on {redis_port}, in {folder}", flush=True)
    try:
        return subprocess.call(command, env=environment)
    finally:
        _leftovers(folder)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] if sys.argv[1:2] != ["--"] else sys.argv[2:]))
