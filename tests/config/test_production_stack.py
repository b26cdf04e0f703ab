"""Smoke test of `make prod` on the PostgreSQL/Redis pass: the runner starts the Procfile's processes with
production settings, serves /healthz, signs a seeded admin in, who grants consent at the emulator and books a
meeting that the stack's own Celery worker confirms with the emulator, and stops on Ctrl-C.

It runs `python -m config.runprod` itself, as `make prod` does, on a database and a Redis database of its own.
"""

from __future__ import annotations

import html
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from celery import Celery

from m365_emulator.testing import EmulatorProcess
from tests.conftest import require_service
from tests.integrations.helpers import CONTOSO, MicrosoftBrowser

ROOT = Path(__file__).resolve().parent.parent.parent
ADELE = "adele.vance@contoso.onmicrosoft.com"
READY_SECONDS = 60.0

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="runs on the PostgreSQL/Redis pass",
    ),
]


@dataclass
class Stack:
    base_url: str
    redis_url: str
    process: subprocess.Popen[str]
    output: Path
    run_dir: Path

    def lines(self) -> str:
        return self.output.read_text(errors="replace")


def _smoke_database(url: str) -> str:
    """The pass's own server, a database of the smoke test's own (made afresh, as on a new machine)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'overlap'}_prod_smoke"
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    return parts._replace(path=f"/{name}").geturl()


def _smoke_redis(url: str) -> str:
    """The next Redis database after the pass's own, emptied: the smoke stack's worker must not take the
    tasks of the tests' own workers, nor they its."""
    parts = urlsplit(url)
    number = (int(parts.path.lstrip("/") or 0) + 1) % 16
    smoke = parts._replace(path=f"/{number}").geturl()
    import redis

    redis.Redis.from_url(smoke).flushdb()
    return smoke


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_ready(stack: Stack) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while "Press Ctrl-C to stop." not in stack.lines():
        if stack.process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"`make prod` did not come up:\n{stack.lines()[-4000:]}")
        time.sleep(0.3)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    database_url, redis_url = os.environ["DATABASE_URL"], os.environ["REDIS_URL"]
    require_service("PostgreSQL", database_url)
    require_service("Redis", redis_url)
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _smoke_database(database_url),
        "REDIS_URL": _smoke_redis(redis_url),
        "PORT": str(port),
        "OVERLAP_RUN_DIR": str(tmp_path / "run"),
        "OVERLAP_PROD_EMULATOR_PORT": "0",
        "OVERLAP_PROD_EMULATOR_HTTP_PORT": "0",
        "WEB_CONCURRENCY": "2",
        "CELERY_CONCURRENCY": "2",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the runner chooses production itself
    output = tmp_path / "prod.log"
    with output.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "config.runprod"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    running = Stack(f"http://127.0.0.1:{port}", env["REDIS_URL"], process, output, tmp_path / "run")
    try:
        _wait_until_ready(running)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=45)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def _browser() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def visit(session: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
    """A browser's request over plain http to 127.0.0.1: redirects followed, Secure cookies sent back (as
    browsers do for http://localhost; `requests` would keep them for https)."""
    response = session.request(method, url, allow_redirects=False, timeout=10, **kwargs)
    for _ in range(5):
        for cookie in session.cookies:
            cookie.secure = False
        if response.status_code not in (301, 302, 303) or not response.headers.get("Location"):
            return response
        response = session.get(urljoin(response.url, response.headers["Location"]), allow_redirects=False, timeout=10)
    return response


def sign_in(session: requests.Session, base_url: str, email: str) -> str:
    """Sign in with the demo password; the organization's code from the page the person lands on."""
    page = visit(session, "GET", f"{base_url}/accounts/login/")
    assert page.status_code == 200
    form = {"login": email, "password": "overlap-demo", "csrfmiddlewaretoken": session.cookies["csrftoken"]}
    landed = visit(session, "POST", f"{base_url}/accounts/login/", data=form)
    assert landed.status_code == 200, re.sub(r"<[^>]+>|\s+", " ", landed.text)[-1500:]
    found = re.search(r"/orgs/([0-9a-f-]{36})/", landed.url)
    assert found, f"signed in, but landed on {landed.url}"
    assert "Adele" in landed.text
    return found.group(1)


def step(session: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
    """One request, redirects not followed, Secure cookies kept for plain http (as `visit` does)."""
    response = session.request(method, url, allow_redirects=False, timeout=30, **kwargs)
    for cookie in session.cookies:
        cookie.secure = False
    return response


def stack_emulator(stack: Stack, run_dir: Path) -> EmulatorProcess:
    """The stack's emulator, from the addresses its banner printed and the CA it wrote."""
    found = re.search(r"Microsoft 365 emulator: (\S+) \(sign-in pages at (\S+)\)", stack.lines())
    assert found, stack.lines()[-2000:]
    info = dict.fromkeys(("tenant_id", "client_id", "client_secret"), "")
    info |= {"base_url": found.group(1), "browser_url": found.group(2), "tenant_domain": CONTOSO}
    return EmulatorProcess._from({**info, "ca_file": str(run_dir / "prod-m365-emulator-ca.pem")})


def consent_as_adele(session: requests.Session, stack: Stack, emulator: EmulatorProcess, code: str) -> None:
    """Grant admin consent as an admin does: the settings page's button, Adele's sign-in and consent at
    Microsoft (the emulator's pages), and back to Overlap."""
    csrf = {"csrfmiddlewaretoken": session.cookies["csrftoken"]}
    started = step(session, "POST", f"{stack.base_url}/orgs/{code}/integrations/microsoft/consent", data=csrf)
    microsoft = MicrosoftBrowser(emulator)
    signed_in = microsoft.sign_in(microsoft.open(started.headers["Location"]), ADELE)
    if signed_in.status_code == 200 and "decision" in signed_in.text:  # her first sign-in to the app
        signed_in = microsoft.decide(signed_in, "accept")
    onward = step(session, "GET", signed_in.headers["Location"])  # Overlap sends her on to admin consent
    consented = microsoft.decide(microsoft.open(onward.headers["Location"]), "accept")
    settings_page = visit(session, "GET", consented.headers["Location"])
    assert settings_page.status_code == 200
    assert "Active" in settings_page.text, re.sub(r"<[^>]+>|\s+", " ", settings_page.text)[-1500:]


def first_free_time(session: requests.Session, stack: Stack, code: str, colleague: str) -> dict[str, str]:
    """The booking page's first suggested time with the colleague: the confirm link's fields."""
    start = date.today() + timedelta(days=1)
    search = {"minutes": "30", "start_date": str(start), "end_date": str(start + timedelta(days=13))}
    page = visit(session, "GET", f"{stack.base_url}/orgs/{code}/book/", params={**search, "required": colleague})
    link = re.search(r'class="button pick" href="([^"]+)"', page.text)
    assert link, re.sub(r"<[^>]+>|\s+", " ", page.text)[-1500:]
    return {key: values[0] for key, values in parse_qs(urlsplit(html.unescape(link.group(1))).query).items()}


def book_through_the_worker(session: requests.Session, stack: Stack, code: str) -> None:
    """Adele grants admin consent through the emulator's pages, books Alex at the first suggested time, and the
    stack's own Celery worker confirms it: the meeting page says Confirmed, and the emulator created the event in
    Adele's mailbox with the booking request's id as Graph's client-request-id."""
    emulator = stack_emulator(stack, stack.run_dir)
    consent_as_adele(session, stack, emulator, code)
    people = visit(session, "GET", f"{stack.base_url}/orgs/{code}/book/people", params={"q": "Alex Wilber"})
    alex = re.search(r'data-add="required" data-uuid="([0-9a-f-]{36})"', people.text)
    assert alex, people.text[:1500]
    fields = first_free_time(session, stack, code, alex.group(1))
    asked = str(uuid.uuid4())
    booked = step(
        session,
        "POST",
        f"{stack.base_url}/orgs/{code}/book/create",
        data={**fields, "subject": "Smoke test", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"X-Request-ID": asked},
    )
    assert booked.status_code == 302, re.sub(r"<[^>]+>|\s+", " ", booked.text)[-1500:]
    meeting = urljoin(stack.base_url, booked.headers["Location"])
    deadline = time.monotonic() + READY_SECONDS
    while "Confirmed" not in (status := visit(session, "GET", meeting, params={"part": "status"}).text):
        assert "Creating" in status and time.monotonic() < deadline, re.sub(r"<[^>]+>|\s+", " ", status)[-1500:]
        time.sleep(0.5)
    creates = [
        entry
        for entry in emulator.log()
        # Adele's mailbox named by her object id, never by an address
        if entry["method"] == "POST" and entry["path"] == f"/v1.0/users/{emulator.user_id(ADELE)}/events"
    ]
    assert [(entry["status"], entry["client_request_id"]) for entry in creates] == [(201, asked)]


def test_make_prod_serves_health_and_static_signs_in_books_through_its_worker_and_stops_cleanly(stack: Stack) -> None:
    browser = _browser()
    asked = str(uuid.uuid4())
    health = browser.get(f"{stack.base_url}/healthz", headers={"X-Request-ID": asked}, timeout=10)
    assert health.status_code == 200
    assert health.json() == {
        "status": "ok",
        "checks": {"database": {"ok": True}, "cache": {"ok": True}, "broker": {"ok": True}, "beat": {"ok": True}},
    }
    assert health.headers["X-Request-ID"] == asked
    assert health.headers["Server"] == "gunicorn"

    static = browser.get(f"{stack.base_url}/static/{_a_static_file()}", timeout=10)
    assert static.status_code == 200  # collected at start, served by whitenoise
    # Behind the proxy, its X-Forwarded-Proto says the request came over HTTPS: HSTS is sent then only.
    proxied = browser.get(f"{stack.base_url}/healthz", headers={"X-Forwarded-Proto": "https"}, timeout=10)
    assert proxied.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in health.headers

    code = sign_in(browser, stack.base_url, ADELE)
    book_through_the_worker(browser, stack, code)

    workers = Celery(broker=stack.redis_url).control.ping(timeout=5)
    assert workers, "no Celery worker answered on the stack's Redis"

    stack.process.send_signal(signal.SIGINT)
    assert stack.process.wait(timeout=45) == 0
    lines = stack.lines()
    assert f'"request_id": "{asked}"' in lines  # the access line, in JSON, with the id we sent
    assert "Shutting down: Master" in lines  # gunicorn stopped gracefully
    assert "Warm shutdown" in lines  # the worker finished what it had in hand
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{stack.base_url}/healthz", timeout=2)


def _a_static_file() -> str:
    found = next(path for path in (ROOT / "static").rglob("*") if path.is_file())
    return str(found.relative_to(ROOT / "static"))
