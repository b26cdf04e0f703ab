"""The proof: Overlap's promises under faults, races, revocation and attack, each ending in a figure.

Run by `make proof` (marked `proof`; left out of the other passes) against PostgreSQL, Redis, the emulator and,
where tasks run, a real Celery worker process. Each test records its figures with `figure(...)`; they are
printed at the end of the run (and appended to the file PROOF_REPORT names, when set), and a failed assertion
names the promise it broke.

The fault table (also marked `own_servers`) runs apart, on a Redis and a PostgreSQL of its own that it kills and
restarts: `python -m tests.proof.servers pytest -m "proof and own_servers" tests/proof` (tests/proof/servers.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.db import connection

from m365_emulator.testing import EmulatorProcess
from tests.conftest import require_service, running_in_ci
from tests.proof.servers import OwnServers, ServerFailed, missing_binaries

ROOT = Path(__file__).resolve().parents[2]
FIGURES: list[str] = []
PROOF_VISIBILITY_TIMEOUT = 12  # seconds; the proof's countdowns (Retry-After) are 1 s


def figure(area: str, text: str) -> None:
    """One line of the final report, e.g. figure("faults", "60 bookings, 0 lost, 0 duplicates")."""
    FIGURES.append(f"{area}: {text}")


def promise(kept: bool, words: str) -> None:
    """Fail naming the promise broken (an assert whose message reads as the promise)."""
    if not kept:
        pytest.fail(f"PROMISE BROKEN: {words}", pytrace=False)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The proof runs only when asked for (`-m proof`, as `make proof` does): it is long and needs every service."""
    if "proof" in (config.option.markexpr or ""):
        return
    kept = [item for item in items if "proof" not in item.keywords]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if "proof" in item.keywords])
        items[:] = kept


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    terminalreporter.section("Overlap's promises, in figures")
    for line in FIGURES:
        terminalreporter.write_line(line)
    report = os.environ.get("PROOF_REPORT")
    if report:
        with Path(report).open("a", encoding="utf-8") as out:  # `make proof` runs two passes into one report
            out.write("\n".join(FIGURES) + "\n")


def own_servers_or_stop() -> OwnServers:
    """The servers the launcher described; without the launcher, or without redis-server and PostgreSQL's
    binaries, a failure under CI (where the proof must run whole) and a skip elsewhere, saying what is missing."""
    servers, missing = OwnServers.from_environment(), missing_binaries()
    problem = ""
    if missing:
        problem = f"{', '.join(missing)} not installed (apt-get install redis-server postgresql)"
    elif servers is None:
        problem = 'run through the launcher: python -m tests.proof.servers pytest -m "proof and own_servers" ...'
    if problem:
        message = f"The fault table plays on servers of its own: {problem}"
        if running_in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    assert servers is not None
    return servers


@pytest.fixture(scope="session")
def own_servers() -> Iterator[OwnServers]:
    """The proof's own Redis and PostgreSQL, started on the ports the launcher (tests/proof/servers.py) put in
    REDIS_URL and DATABASE_URL, before the test database is made there; stopped at the end of the session."""
    servers = own_servers_or_stop()
    try:
        servers.start()
    except ServerFailed as failed:
        servers.stop()
        pytest.fail(f"The proof's own servers did not start: {failed}", pytrace=False)
    try:
        yield servers
    finally:
        servers.stop()


@pytest.fixture(autouse=True)
def _services_required() -> None:
    """The proof is about PostgreSQL and Redis: without them it fails (under CI) or is skipped, never faked."""
    require_service("Redis", settings.REDIS_URL or "")
    if connection.vendor != "postgresql":
        message = "the proof runs on PostgreSQL (set DATABASE_URL=postgres://...)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)


@dataclass
class WorkerProcess:
    """`celery worker` in its own process (prefork, two children), on the test database and the emulator."""

    process: subprocess.Popen[bytes]
    log: Path
    environment: dict[str, str]
    killed: list[int] = field(default_factory=list)
    level: str = "WARNING"  # the worker's log level (INFO logs every task it runs)
    command: list[str] | None = None  # what starts it, when not the proof's own line (e.g. the Procfile's)
    replaced: int = 0
    orphaned: int = 0  # tasks the worker killed whole had taken and not acknowledged

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def kill_a_child(self) -> int | None:
        """SIGKILL one pool process (as the OOM killer would) while it runs a task; the parent redelivers it."""
        children = self.children()
        if not children:
            return None
        victim = children[0]
        os.kill(victim, signal.SIGKILL)
        self.killed.append(victim)
        return victim

    def kill_whole_and_replace(self, wait: float) -> None:
        """SIGKILL the parent and its children at once (as a machine that dies), then start a new worker.

        The tasks the dead worker had taken and not acknowledged come back from Redis once they are older than
        the visibility timeout, swept when a worker starts; `wait` seconds pass before the replacement starts.
        """
        self.kill_whole()
        time.sleep(wait)
        self.replace()

    def kill_whole(self) -> None:
        """SIGKILL the parent and its children at once; count the tasks it had taken and not acknowledged."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        broker = redis.Redis.from_url(self.environment["REDIS_URL"])
        taken: Any = broker.zcard("unacked_index")  # kombu's index of the messages taken and not acknowledged
        self.orphaned += int(taken)
        broker.close()

    def replace(self) -> None:
        """A new worker where the killed one was, as a platform restarts one."""
        self.replaced += 1
        self.process = _start_worker(self.log, self.environment, self.level, command=self.command)
        self.wait_for_children()

    def wait_for_children(self) -> None:
        """Until the worker takes tasks: its two pool processes (prefork), or, for the Procfile's pool of threads,
        its "ready" line (the log is appended to, one line per start)."""
        deadline = time.monotonic() + 60
        while not self._ready() and time.monotonic() < deadline and self.process.poll() is None:
            time.sleep(0.2)
        if not self._ready():
            self.stop()
            pytest.fail(f"The Celery worker did not start:\n{self.log.read_text(errors='replace')[-3000:]}")

    def _ready(self) -> bool:
        said = self.log.read_text(errors="replace").count(" ready.") if self.log.exists() else 0
        return len(self.children()) >= 2 or said > self.replaced

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _worker_environment(emulator: EmulatorProcess) -> dict[str, str]:
    database = settings.DATABASES["default"]
    host, port = database.get("HOST") or "127.0.0.1", database.get("PORT") or 5432
    user, password = database.get("USER") or "postgres", database.get("PASSWORD") or ""
    credentials = f"{user}:{password}@" if password else f"{user}@"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{credentials}{host}:{port}/{database['NAME']}",
        "REDIS_URL": settings.REDIS_URL or "",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MICROSOFT_LOGIN_URL": emulator.base_url,
        "MICROSOFT_GRAPH_URL": emulator.base_url,
        "MICROSOFT_LOGIN_BROWSER_URL": emulator.browser_url,
        "MICROSOFT_CA_BUNDLE": emulator.ca_file,
        "MICROSOFT_CLIENT_ID": emulator.client_id,
        "MICROSOFT_CLIENT_SECRET": emulator.client_secret,
        "LOG_LEVEL": "WARNING",
        # Tasks taken by a worker killed whole come back this soon (longer than the proof's own countdowns).
        "CELERY_VISIBILITY_TIMEOUT": str(PROOF_VISIBILITY_TIMEOUT),
    }


def _start_worker(
    log: Path, environment: dict[str, str], level: str = "WARNING", *, command: list[str] | None = None
) -> subprocess.Popen[bytes]:
    """In a session of its own, so that its whole process group can be killed at once."""
    if command is None:
        command = [sys.executable, "-m", "celery", "-A", "config.celery_app", "worker", "--pool=prefork"]
        command += ["--concurrency=2", "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", level]
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=ROOT, env=environment, stdout=out, stderr=out, start_new_session=True)


@pytest.fixture
def worker_process(emulator_settings: EmulatorProcess, tmp_path: Path) -> Iterator[WorkerProcess]:
    """A real worker process; tasks the test enqueues go to it through Redis (eager mode is off meanwhile)."""
    from config.celery_app import app as celery_app

    celery_app.control.purge()
    log = tmp_path / "worker.log"
    environment = _worker_environment(emulator_settings)
    worker = WorkerProcess(_start_worker(log, environment), log, environment)
    worker.wait_for_children()
    celery_app.conf.task_always_eager = False
    try:
        yield worker
    finally:
        celery_app.conf.task_always_eager = True
        worker.stop()
        celery_app.control.purge()
