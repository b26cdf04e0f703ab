"""Fixtures every test may use: an organization with an admin and a member, and an outsider's organization.

Every test also runs behind `network_guard`: a socket to anything but loopback (or a name other than localhost
being looked up) fails the test, naming the address, even if the code under test swallows the error.
"""

from __future__ import annotations

import contextlib
import gc
import ipaddress
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django.core.cache import caches
from django.test import Client

from accounts.models import Membership, Organization, User
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytest_plugins = ["tests.emulator_fixture", "tests.browser_fixtures"]


def pytest_configure(config: pytest.Config) -> None:
    """`OVERLAP_TEST_NOW=2027-03-14T09:00:00Z pytest …` runs the tests with the clock moved to that instant (and
    ticking), the in-process emulator's clock included: CI runs the date-sensitive tests on the days that bite."""
    moment = os.environ.get("OVERLAP_TEST_NOW")
    if moment:
        import time_machine

        time_machine.travel(datetime.fromisoformat(moment), tick=True).start()


def pytest_collection_finish(session: pytest.Session) -> None:
    """What exists once the tests are collected (Django, the apps, every test module) lives for the whole run: the
    garbage collector stops walking it (`gc.freeze`), and looks for cycles after 50,000 new objects instead of 700.
    `pytest tests/booking -m "not browser"` took 195 s instead of 231 s on a 2-core machine."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 10)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[None]:
    """SQLite's test database in a file when a test of this run starts a real worker: the live server's threads
    and the worker's then wait for one another's writes, where a shared in-memory database fails at once with
    "database table is locked". Otherwise in memory, which is quicker."""
    from django.conf import settings

    database: dict[str, Any] = settings.DATABASES["default"]
    threads = {"real_worker", "threads_share_the_database"}
    workers = any(threads & set(getattr(item, "fixturenames", ())) for item in request.session.items)
    if workers and str(database["ENGINE"]).endswith("sqlite3"):
        memory = Path("/dev/shm")  # a file in memory where the system has one
        folder = Path(tempfile.mkdtemp(dir=memory)) if memory.is_dir() else tmp_path_factory.mktemp("database")
        database.setdefault("TEST", {})["NAME"] = str(folder / "test.sqlite3")
        # A throwaway file: no waiting for the disk; readers go on while one connection writes.
        database.setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"
        yield
        shutil.rmtree(folder, ignore_errors=True)
    else:
        yield


@pytest.fixture
def real_worker() -> Iterator[None]:
    """A real Celery worker (in a thread) for the test; tasks stop running eagerly meanwhile. Its broker is Redis
    when REDIS_URL is set, else Celery's in-process memory broker (the worker shares this process)."""
    from celery.contrib.testing.worker import start_worker
    from django.conf import settings

    from config.celery_app import app as celery_app

    options = celery_app.conf.broker_transport_options
    if str(celery_app.conf.broker_url or "").startswith("memory://"):
        celery_app.conf.broker_transport_options = {**options, "polling_interval": 0.05}  # not once a second
    else:
        require_service("Redis", settings.REDIS_URL or "")
    celery_app.conf.task_always_eager = False
    try:
        with start_worker(celery_app, perform_ping_check=False, shutdown_timeout=30):
            yield
    finally:
        celery_app.conf.task_always_eager = True
        celery_app.conf.broker_transport_options = options


@pytest.fixture(autouse=True)
def _fresh_limits() -> Iterator[None]:
    """Rate-limit counts (Overlap's and allauth's) live in the cache, keyed by user id or client address; ids are
    reused after a test's rollback and every test client is 127.0.0.1, so each test starts with none counted."""
    forget_limits()
    caches["shared"].clear()  # a heartbeat, "Microsoft 365 not answering": what one test's processes told another
    yield


def forget_limits() -> None:
    """Drop every rate-limit count from the cache (local memory, or the tests' Redis database), nothing else."""
    import fnmatch

    import redis
    from django.core.cache import cache

    patterns = [cache.make_key("rl:*"), cache.make_key("allauth:rl:*")]
    store = getattr(cache, "_cache", None)
    if isinstance(store, dict):  # local memory
        for key in [k for k in store if any(fnmatch.fnmatchcase(k, p) for p in patterns)]:
            cache.delete(key.split(":", 2)[2])
        return
    with contextlib.suppress(redis.RedisError):  # no Redis on this machine: nothing was counted there either
        client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
        for pattern in patterns:
            for key in client.scan_iter(match=pattern, count=1000):
                client.delete(key)


@pytest.fixture
def threads_share_the_database(transactional_db: None) -> None:
    """A test whose threads write the database at once (two sweeps, two plans): committed data, and SQLite in a
    file (django_db_modify_db_settings), where a shared in-memory database fails with "table is locked"."""


def running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_service(name: str, url: str) -> None:
    """Skip when a service is missing on a developer's machine; fail under CI, where it must be there."""
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 0), timeout=2):
            return
    except OSError as exc:
        message = f"{name} does not answer at {parsed.hostname}:{parsed.port} ({exc})"
        if running_in_ci():
            pytest.fail(f"{message}; CI must provide it.")
        pytest.skip(message)


_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _is_loopback(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return False
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _is_address(host: Any) -> bool:
    text = host.decode(errors="replace") if isinstance(host, bytes) else str(host)
    try:
        ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return False
    return True


@dataclass
class NetworkGuard:
    """What the tests tried to reach beyond loopback; `refuse` fails the test at once and again at teardown."""

    attempts: list[str] = field(default_factory=list)

    def check(self, family: Any, address: Any) -> None:
        if family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
            return  # Unix sockets and the like stay on this machine
        if not _is_loopback(address[0]):
            self.refuse(f"{address[0]}:{address[1]}")

    def resolve(self, host: Any, port: Any) -> None:
        """A name lookup: only localhost; an address literal is judged when it is connected to."""
        if host is not None and not _is_loopback(host) and not _is_address(host):
            self.refuse(f"{host}:{port} (a name lookup)")

    def refuse(self, where: str) -> None:
        self.attempts.append(where)
        pytest.fail(f"A test tried to reach {where}: tests may only talk to loopback (the emulator, services).")


@pytest.fixture(autouse=True)
def network_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkGuard]:
    """Refuse sockets and name lookups beyond loopback; `pytest.fail` is not an Exception, so no caller swallows it."""
    guard = NetworkGuard()
    connect, connect_ex, getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def guarded_connect(sock: socket.socket, address: Any) -> None:
        guard.check(sock.family, address)
        connect(sock, address)

    def guarded_connect_ex(sock: socket.socket, address: Any) -> int:
        guard.check(sock.family, address)
        return connect_ex(sock, address)

    def guarded_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        guard.resolve(host, port)
        return getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    yield guard
    if guard.attempts:  # also catches an attempt made in another thread, where pytest.fail went unseen
        pytest.fail(f"A test tried to reach beyond loopback: {', '.join(guard.attempts)}.")


@dataclass
class Org:
    organization: Organization
    admin: User
    member: User

    @property
    def code(self) -> str:
        return str(self.organization.code)


def _org(name: str, domain: str) -> Org:
    organization = OrganizationFactory.create(name=name)
    admin = UserFactory.create(email=f"admin@{domain}", name=f"{name} Admin")
    member = UserFactory.create(email=f"member@{domain}", name=f"{name} Member")
    MembershipFactory.create(user=admin, organization=organization, role=Membership.Role.ADMIN)
    MembershipFactory.create(user=member, organization=organization, role=Membership.Role.MEMBER)
    return Org(organization, admin, member)


@pytest.fixture
def org(db: None) -> Org:
    """Our organization: one admin, one member."""
    return _org("Contoso", "contoso.example")


@pytest.fixture
def other_org(db: None) -> Org:
    """An outsider's organization, which our people must never see."""
    return _org("Fabrikam", "fabrikam.example")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(org: Org) -> Client:
    return signed_in(org.admin)


@pytest.fixture
def member_client(org: Org) -> Client:
    return signed_in(org.member)


@pytest.fixture
def outsider_client(other_org: Org) -> Client:
    return signed_in(other_org.admin)
