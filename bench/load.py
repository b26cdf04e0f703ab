"""The suggestions page and the booking POST under load, served the production way on this machine.

    python -m bench.load [--clients 32] [--seconds 60] [--latencies 0 150] [--drain 60] [--rate 160 | --rate 0]
        [--phases baseline suggestions booking] [--kept-world]
        [--database-url postgres://…/overlap_bench] [--redis-url redis://…/12]

Starts what `make prod` starts (config/runprod.py: the Procfile's release, web = gunicorn, worker = Celery, beat)
against PostgreSQL and Redis, with a fresh Microsoft 365 emulator as Microsoft; connects the demo organization
domain-wide and adds one organizer and one colleague per client, each pair with an empty calendar in the
emulator, so that every client books real, distinct meetings. Each client is a thread with its own
`Browser`, signed in by a session made for it in the database (as a password sign-in would). Then:

- baseline: `GET /robots.txt` (a Django view touching no database, cache or session), `--seconds`;
- for each Graph latency (emulator `/latency`): the booking page's search as its form sends it (htmx: the
  results part of the page), suggestions for the pair over a 14-day range of free calendars (every quarter
  hour of their working days, the most times a search can show); each client searches `--windows` ranges
  in turn, moving to the next one every `--seconds / --windows` at moments spread over the clients, so the
  free/busy cache misses once per range and pair (those searches are also shown on their own), then hits;
- then for each latency the booking POST (a new hour each time; 302 is booked, 409 refused as a conflict,
  anything else an error). After each booking run the worker is given `--drain` seconds to confirm what the
  web accepted; confirmed, failed and still pending are counted from the database four times a second. It
  prints what the worker confirmed during the run, how long after the load stopped the last booking left
  PENDING (the queue drained) and the bookings confirmed per second meanwhile (the drain rate); Graph's 429
  answers and the most calls one mailbox had in flight at once (the emulator refuses a fifth, as Outlook does).

The baseline and the searches are offered at a steady `--rate` (160 a second by default, the goal: each client
its share, each request timed from when it was due, so a late answer counts against those it held up), as 32
people who search, read and search again do. With `--rate 0` the clients send back to back: 32 clients then keep
32 requests in the server, so the mean wait is 32 / throughput (Little's law) and a p95 of 50 ms would need over
640 requests a second; the baseline's line then says what this machine serves. The booking POSTs are always sent
back to back: they measure how fast the worker confirms what the web accepts.

`--phases` picks the runs. The emulator keeps no world on disk (`--kept-world`: as `make prod` runs it, writing its
whole world after every change, which holds every Graph call meanwhile). The worker is the Procfile's:
CELERY_POOL and CELERY_CONCURRENCY from the environment reach it.

Prints for each run: requests, throughput, median, p95, errors, and the ratio of the median to the baseline's;
the free/busy cache's hit rate (searches that made no getSchedule call, from the emulator's request log); the
Graph calls each booking cost; the milliseconds of CPU a request cost the web, the worker, the emulator, the
bench's clients and the rest of the machine (PostgreSQL, Redis, the kernel), and how many cores were busy (Linux:
/proc): a run that leaves cores idle is held up by something other than CPU; and the largest resident memory
(VmRSS) of each gunicorn and Celery process seen during the runs. The database named is dropped and made afresh;
the Redis database is emptied.
"""

from __future__ import annotations

import argparse
import os
import runpy
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import urllib3

from config import runprod
from config.rundemo import read_announcement
from m365_emulator.testing import EmulatorProcess

DOMAIN = "contoso.onmicrosoft.com"
WORKING_HOURS = range(9, 17)  # UTC; a new emulator mailbox works 08:00-17:00 in UTC
PHASES = ("baseline", "suggestions", "booking")


@dataclass
class Run:
    """One load run: each request's seconds and outcome."""

    name: str
    seconds: float = 0.0
    timings: list[float] = field(default_factory=list)
    # The searches that were their client's first of a date range in the run: their free/busy was not cached.
    first_of_range: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    problems: Counter[str] = field(default_factory=Counter)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds during the timed part, by `Cpu`'s parts

    def median(self) -> float:
        return statistics.median(self.timings) if self.timings else float("nan")

    def p95(self) -> float:
        return _p95(self.timings)


def _p95(timings: list[float]) -> float:
    if len(timings) < 2:
        return statistics.median(timings) if timings else float("nan")
    return statistics.quantiles(timings, n=100)[94]


@dataclass
class Pair:
    """A client's organizer (signed in) and the colleague it books, with the hours it has not booked yet."""

    index: int  # the client's number, from 0
    organizer_email: str
    colleague_uuid: str
    session_key: str
    hours: Iterator[datetime]


@dataclass
class Stack:
    base_url: str
    code: str
    emulator: EmulatorProcess
    processes: dict[str, Any]
    cookie_name: str
    emulator_pid: int


# -- the stack -----------------------------------------------------------------------------------------------


def fresh_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(parts.path.lstrip("/")))
        )
    runprod.ensure_database(url)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def production_stack(
    database_url: str, redis_url: str, log: Path, *, kept_world: bool = False
) -> Iterator[tuple[dict[str, str], Stack]]:
    """`make prod`'s processes on free ports, their output in `log`; stopped (gracefully) on the way out.

    The emulator keeps no world on disk unless `kept_world`: `make prod` has it write its whole world after every
    change (so that the demo survives a restart), and that write waits for every call in flight and holds every
    new one, a cost of the stand-in that Microsoft does not have and that would be measured as Overlap's."""
    import redis

    fresh_database(database_url)
    redis.Redis.from_url(redis_url).flushdb()
    run_dir = Path(tempfile.mkdtemp(prefix="overlap-load-"))
    settings = runprod.Settings(database_url, redis_url, free_port(), run_dir, 0, 0)
    commands = runprod.procfile()
    sink = log.open("w")
    emulator_command = runprod.prod_emulator_command(settings, "load-bench-secret")
    if not kept_world:
        emulator_command = _without_option(emulator_command, "--state-file")
    emulator_process = runprod.start(emulator_command, stdout=subprocess.PIPE, stderr=sink)
    running: dict[str, Any] = {}
    try:
        announcement = read_announcement(emulator_process.stdout)
        env = runprod.stack_environment(settings, announcement)
        # The bench measures throughput: each client searches and books far faster than a person may.
        env |= {"RATE_LIMIT_SEARCHES": "1000000/m", "RATE_LIMIT_BOOKINGS": "1000000/h"}
        runprod.release(commands, env, stdout=sink, stderr=sink)
        running.update({n: runprod.start(commands[n], env, stdout=sink, stderr=sink) for n in runprod.SERVICES})
        base_url = f"http://127.0.0.1:{settings.port}"
        runprod.wait_until_healthy(f"{base_url}/healthz", running)
        emulator = EmulatorProcess._from(announcement)
        yield env, Stack(base_url, "", emulator, running, "sessionid", emulator_process.pid)
    finally:
        runprod.stop(running, emulator_process)
        sink.close()


def _without_option(command: list[str], option: str) -> list[str]:
    """`command` without `option` and the value that follows it."""
    at = command.index(option)
    return command[:at] + command[at + 2 :]


# -- the world: the demo organization connected, a pair of people per client ---------------------------------


def prepare(stack: Stack, env: dict[str, str], clients: int) -> list[Pair]:
    """Connect Contoso domain-wide and give each client an organizer, a colleague and a signed-in session."""
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings

    stack.emulator.grant_admin_consent()
    people = [_emulator_person(stack.emulator, n, role) for n in range(clients) for role in ("organizer", "colleague")]
    code = _connect(stack.emulator.tenant_id)
    stack.code, stack.cookie_name = code, settings.SESSION_COOKIE_NAME
    members = [_member(code, address, name, object_id) for address, name, object_id in people]
    first = _first_weekday(datetime.now(UTC).date() + timedelta(days=2))
    return [
        Pair(n, organizer.email, str(colleague.uuid), _session_for(organizer), _hours(first))
        for n, (organizer, colleague) in enumerate(zip(members[::2], members[1::2], strict=True))
    ]


def _emulator_person(emulator: EmulatorProcess, n: int, role: str) -> tuple[str, str, str]:
    address = f"load.{role}{n:03d}@{DOMAIN}"
    body = {"userPrincipalName": address, "displayName": f"Load {role.title()} {n:03d}"}
    made = emulator.control("POST", f"/tenants/{emulator.tenant_id}/users", body)["user"]
    return address, body["displayName"], str(made["id"])


def _connect(tenant_id: str) -> str:
    """The demo organization's connection made active, as Adele's consent would (the smoke test does it by the
    pages); the organization's code."""
    from integrations.models import Connection

    connection = Connection.objects.select_related("organization").get(tenant_guid=tenant_id)
    connection.mode = Connection.Mode.DOMAIN_WIDE
    connection.save(update_fields=["mode"])
    if not connection.is_active:
        connection.mark_active(actor=None, detail="load bench")
    return str(connection.organization.code)


def _member(code: str, address: str, name: str, object_id: str) -> Any:
    from django.utils import timezone

    from accounts import services as accounts
    from accounts.models import Organization
    from integrations.models import DirectoryEntry

    organization = Organization.objects.get(code=code)
    user = accounts.user_create(email=address, name=name)
    membership, _ = accounts.membership_ensure(user=user, organization=organization)
    DirectoryEntry.objects.create(
        organization=organization,
        membership=membership,
        object_id=object_id,
        user_principal_name=address,
        synced_at=timezone.now(),
    )
    return user


def _session_for(user: Any) -> str:
    """A signed-in session in the session store, as the sign-in page makes one."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


def _first_weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _hours(first: date) -> Iterator[datetime]:
    """Every working hour from `first` on, weekdays only: a client never books the same hour twice."""
    day = first
    while True:
        if day.weekday() < 5:
            for hour in WORKING_HOURS:
                yield datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
        day += timedelta(days=1)


# -- the clients ---------------------------------------------------------------------------------------------


class Browser:
    """One client: a browser signed in as the pair's organizer (plain http: cookies not Secure), with its kept-alive
    connection to the stack, its cookies and its CSRF token. urllib3 alone, not `requests`: the clients run on the
    same two cores as the stack they measure, and a `requests` GET cost about twice urllib3's CPU (1.3 ms against
    0.65 ms for a 33 KB answer, bench/SEARCH_PROFILE.md), all of it taken from the server."""

    def __init__(self, cookies: dict[str, str]) -> None:
        self.pool = urllib3.PoolManager(maxsize=1, retries=False, timeout=30.0)
        self.cookies = dict(cookies)
        self.csrf = ""

    def request(
        self, method: str, url: str, fields: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> urllib3.BaseHTTPResponse:
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        if self.csrf:
            sent["X-CSRFToken"] = self.csrf
        if method == "GET":
            return self.pool.request(method, url, fields=fields, headers=sent, redirect=False)
        return self.pool.request(method, url, fields=fields, headers=sent, redirect=False, encode_multipart=False)


def client_session(stack: Stack, pair: Pair) -> Browser:
    """The pair's browser, its CSRF cookie taken from the booking page as a browser would."""
    browser = Browser({stack.cookie_name: pair.session_key})
    page = browser.request("GET", f"{stack.base_url}/orgs/{stack.code}/book/")
    if page.status != 200:
        raise SystemExit(f"The booking page answered {page.status} to a signed-in client.")
    for header in page.headers.getlist("Set-Cookie"):
        browser.cookies.update((name, morsel.value) for name, morsel in SimpleCookie(header).items())
    browser.csrf = browser.cookies.get("csrftoken", "")
    return browser


# A request of one client: its browser, its pair and the seconds since the run began (-1 for the warm-up); says
# how it went ("ok", "booked", "error: …"), with " (first of its range)" for a search whose range was new.
Request = Callable[[Browser, Pair, float], str]
FIRST = " (first of its range)"


def send(browser: Browser, method: str, url: str, **kwargs: Any) -> tuple[urllib3.BaseHTTPResponse, str]:
    """The request, sent again (up to twice) when the server closed the kept-alive connection under it (as browsers do:
    gunicorn closes its idle connections when it replaces a worker after GUNICORN_MAX_REQUESTS). The second
    word says whether it was sent again; a POST sent again is safe here, since a booking is refused, not made
    twice, when its first copy did arrive."""
    again = ""
    for _ in range(2):  # two kept-alive connections may both have been closed by one worker's restart
        try:
            return browser.request(method, url, **kwargs), again
        except urllib3.exceptions.ProtocolError:
            again = " (sent again)"
    return browser.request(method, url, **kwargs), again


def load(
    name: str,
    sessions: list[tuple[Browser, Pair]],
    seconds: float,
    request: Request,
    rate: float = 0.0,
    cpu: Cpu | None = None,
) -> Run:
    """Every client sends `request` for `seconds` (after one untimed warm-up request each): back to back, or with
    `rate` (requests a second from all clients together) at its share of that rate, each request timed from when it
    was due, so that a late answer also counts against the requests it held up (no coordinated omission). `cpu`
    reads what each process spent during the timed part (after the warm-ups) into `run.cpu`."""
    run = Run(name)
    lock = threading.Lock()
    every = len(sessions) / rate if rate else 0.0

    def client(index: int, session: Browser, pair: Pair) -> None:
        _outcome(request, session, pair, -1.0)  # warm-up: connections, templates, tokens
        barrier.wait()
        n, begun = 1, time.perf_counter()
        stop_at = time.monotonic() + seconds
        while time.monotonic() < stop_at:
            due = begun + (n - 1 + index / len(sessions)) * every if every else time.perf_counter()
            time.sleep(max(0.0, due - time.perf_counter()))
            started = min(due, time.perf_counter())
            outcome = _outcome(request, session, pair, started - begun)
            elapsed = time.perf_counter() - started
            with lock:
                run.timings.append(elapsed)
                if outcome.endswith(FIRST):
                    outcome = outcome.removesuffix(FIRST)
                    run.first_of_range.append(elapsed)
                run.outcomes[outcome.split(":")[0].removesuffix(" (sent again)")] += 1
                run.outcomes["sent again"] += outcome.endswith("(sent again)")
                if outcome.startswith("error"):
                    run.problems[outcome] += 1
            n += 1

    barrier = threading.Barrier(len(sessions) + 1)
    with ThreadPoolExecutor(len(sessions)) as pool:
        futures = [pool.submit(client, i, s, p) for i, (s, p) in enumerate(sessions)]
        barrier.wait()
        started, spent = time.monotonic(), cpu.read() if cpu else {}
        for future in futures:
            future.result()
        run.seconds = time.monotonic() - started
        if cpu:
            run.cpu = {part: seconds - spent[part] for part, seconds in cpu.read().items()}
    return run


def _outcome(request: Request, session: Browser, pair: Pair, at: float) -> str:
    try:
        return request(session, pair, at)
    except urllib3.exceptions.HTTPError as error:
        return f"error: {type(error).__name__}"


def trivial(base_url: str) -> Request:
    def get(session: Browser, pair: Pair, at: float) -> str:
        response, again = send(session, "GET", f"{base_url}/robots.txt")
        ok = response.status == 200 and b"Disallow" in response.data
        return f"ok{again}" if ok else f"error: {response.status}"

    return get


def suggestions(stack: Stack, windows: int, offset: int, seconds: float, clients: int) -> Request:
    """The booking page's search for the pair over 14 days, starting `offset` days on. Each client searches
    `windows` ranges in turn (one day apart), a new one every `seconds / windows`, and the clients move on at
    moments spread evenly over that time: as people who open new weeks now and then, not all in the same second.
    The warm-up search is the first range's; the first search of each other range asks Microsoft."""
    first = _first_weekday(datetime.now(UTC).date() + timedelta(days=1))
    period = seconds / windows
    seen: dict[int, set[int]] = {}

    def get(session: Browser, pair: Pair, at: float) -> str:
        turn = int((max(at, 0.0) + period * pair.index / clients) // period) % windows
        new = turn not in seen.setdefault(pair.index, set())
        seen[pair.index].add(turn)
        start = first + timedelta(days=offset + turn)
        query = {
            "minutes": "30",
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=13)).isoformat(),
            "required": pair.colleague_uuid,
        }
        url = f"{stack.base_url}/orgs/{stack.code}/book/"
        response, again = send(session, "GET", url, fields=query, headers={"HX-Request": "true"})  # as its form
        if response.status == 200 and b"Pick this time" in response.data:
            return f"ok{again}{FIRST if new and at >= 0 else ''}"
        return f"error: {response.status} {'no times shown' if response.status == 200 else ''}".strip()

    return get


def booking(stack: Stack, subject: str) -> Request:
    """The confirm page's POST for the pair's next free hour: 302 booked, 409 refused as a conflict."""

    def post(session: Browser, pair: Pair, at: float) -> str:
        fields = {
            "start": next(pair.hours).isoformat().replace("+00:00", "Z"),
            "minutes": "30",
            "required": pair.colleague_uuid,
            "subject": subject,
            "agenda": "Load test",
            "teams": "on",
            "csrfmiddlewaretoken": session.csrf,
        }
        url = f"{stack.base_url}/orgs/{stack.code}/book/create"
        response, again = send(session, "POST", url, fields=fields)
        if response.status == 302 and "/meetings/" in response.headers.get("Location", ""):
            return f"booked{again}"
        return f"conflict{again}" if response.status == 409 else f"error: {response.status}"

    return post


# -- what the stack did: Graph calls, bookings, memory -------------------------------------------------------


def graph_calls(entries: list[dict[str, Any]]) -> Counter[str]:
    """Graph calls by method and path, object ids shown as {id} (`POST users/{id}/events`)."""
    calls: Counter[str] = Counter()
    for entry in entries:
        path = entry["path"]
        if path.startswith("/v1.0"):
            segments = ["{id}" if len(s) >= 32 else s for s in path.removeprefix("/v1.0/").split("/")]
            calls["getSchedule" if path.endswith("/getSchedule") else f"{entry['method']} {'/'.join(segments)}"] += 1
    return calls


@dataclass
class Drain:
    """What the worker did with one booking run's bookings: by state when the load stopped and at the end, and
    how long after the load stopped the last pending one left PENDING (`seconds`, or the deadline)."""

    at_stop: Counter[str]
    states: Counter[str]
    seconds: float

    def emptied(self) -> bool:
        return not self.states.get("pending")

    def confirmed_in_drain(self) -> int:
        return self.states.get("confirmed", 0) - self.at_stop.get("confirmed", 0)

    def rate(self) -> float:
        """Bookings confirmed per second from the load stopping to the queue being empty."""
        return self.confirmed_in_drain() / self.seconds if self.seconds else float("nan")


def booking_states(subject: str) -> Counter[str]:
    from django.db import connection
    from django.db.models import Count

    from booking.models import Booking

    rows = Booking.objects.filter(subject=subject).values("state").annotate(n=Count("pk"))
    states = Counter({str(row["state"]): int(row["n"]) for row in rows})
    connection.close()
    return states


def drained(subject: str, seconds: float) -> Drain:
    """Waits (polling four times a second) until none of the bookings with this subject is pending, or `seconds`."""
    started, at_stop = time.monotonic(), booking_states(subject)
    states = at_stop
    while states.get("pending") and time.monotonic() - started < seconds:
        time.sleep(0.25)
        states = booking_states(subject)
    return Drain(at_stop, states, time.monotonic() - started)


def drain_lines(run: Run, drain: Drain) -> list[str]:
    confirmed_in_run = drain.at_stop.get("confirmed", 0)
    emptied = "emptied" if drain.emptied() else "NOT emptied"
    done = ", ".join(f"{n} {state}" for state, n in sorted(drain.states.items()))
    return [
        f"    the worker: {confirmed_in_run} confirmed during the {run.seconds:.0f} s run "
        f"({confirmed_in_run / run.seconds:.1f}/s); {drain.at_stop.get('pending', 0)} pending when the load stopped",
        f"    drain: {emptied} {drain.seconds:.1f} s after the load stopped, {drain.confirmed_in_drain()} confirmed "
        f"meanwhile, {drain.rate():.1f} bookings confirmed/s; in the end {done}",
    ]


def mailbox_lines(emulator: EmulatorProcess, entries: list[dict[str, Any]]) -> list[str]:
    """Graph's answers that refused a call as throttled, and the most calls one mailbox had in flight at once."""
    throttled = sum(1 for entry in entries if entry.get("status") == 429)
    peaks = emulator.control("GET", "/throttle")["peak_in_flight"]
    most = max(peaks.values(), default=0)
    return [f"    429 answers from Graph: {throttled}; most calls in flight to one mailbox at once: {most} (limit 4)"]


class Memory:
    """The largest VmRSS seen of each process under the web and worker processes, sampled every second."""

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots, self._stop = roots, threading.Event()
        self.peak: dict[tuple[str, int], int] = {}
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> Memory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(1.0):
            for name, pid in self.roots.items():
                for found in [pid, *_descendants(pid)]:
                    kb = _rss_kb(found)
                    self.peak[(name, found)] = max(self.peak.get((name, found), 0), kb)

    def lines(self) -> list[str]:
        out = []
        for name, root in self.roots.items():
            children = [kb for (n, pid), kb in sorted(self.peak.items()) if n == name and pid != root and kb]
            listed = ", ".join(f"{kb / 1024:.0f}" for kb in children)
            parent = self.peak.get((name, root), 0) / 1024
            out.append(f"  {name:<7} parent {parent:.0f} MiB; {len(children)} children seen, MiB each: {listed}")
        return out


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(children.get(child, []))
    return found


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Cpu:
    """The CPU seconds spent so far (user and system) by each part of the stack, read from /proc (Linux; elsewhere
    nothing is read and no CPU line is printed): the web (gunicorn, its workers, and the workers it has already
    renewed: a parent's cutime holds its reaped children's), the Celery worker, this bench (its client threads),
    the emulator, and the whole machine (/proc/stat), whose remainder is PostgreSQL, Redis and the kernel."""

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = roots
        self.ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def read(self) -> dict[str, float]:
        if not Path("/proc/stat").exists():
            return {}
        spent = {name: self._tree(pid) for name, pid in self.roots.items()}
        own = os.times()
        spent["bench"] = own.user + own.system
        busy = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        spent["machine"] = (sum(busy) - busy[3] - busy[4]) / self.ticks  # all but idle and iowait
        return spent

    def _tree(self, pid: int) -> float:
        total = 0
        for found in [pid, *_descendants(pid)]:
            try:
                fields = Path(f"/proc/{found}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile: its CPU is in its parent's cutime once reaped
            total += sum(int(n) for n in fields[11:15])  # utime, stime, cutime, cstime
        return total / self.ticks


def cpu_line(run: Run) -> list[str]:
    """Milliseconds of CPU a request, by part, and the cores busy: what the run cost, whatever the machine's speed."""
    if not run.cpu or not run.timings:
        return []
    each = {part: seconds * 1000 / len(run.timings) for part, seconds in run.cpu.items()}
    rest = each["machine"] - sum(ms for part, ms in each.items() if part != "machine")
    parts = ", ".join(f"{part} {ms:.1f}" for part, ms in each.items() if part != "machine")
    return [
        f"    CPU a request: {parts}, the rest (PostgreSQL, Redis, kernel) {max(rest, 0.0):.1f}; the machine "
        f"{each['machine']:.1f} ms ({run.cpu['machine'] / run.seconds:.2f} of {os.cpu_count()} cores busy)"
    ]


# -- the report ----------------------------------------------------------------------------------------------


def line(run: Run, baseline: Run | None) -> str:
    ratio = f"{run.median() / baseline.median():6.1f}x" if baseline and baseline.timings else "      "
    outcomes = ", ".join(f"{n} {k}" for k, n in sorted(run.outcomes.items()) if n)
    return (
        f"  {run.name:<28} {len(run.timings):>6} req {len(run.timings) / run.seconds:7.1f}/s  "
        f"median {run.median() * 1000:6.1f} ms  p95 {run.p95() * 1000:6.1f} ms  {ratio}  ({outcomes})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0, help="each run's length")
    parser.add_argument("--latencies", type=int, nargs="+", default=[0, 150], help="Graph latency (ms) per run")
    parser.add_argument("--windows", type=int, default=4, help="date ranges each client cycles through")
    parser.add_argument("--drain", type=float, default=60.0, help="seconds the worker gets after a booking run")
    parser.add_argument(
        "--rate",
        type=float,
        default=160.0,
        help="searches a second offered by all clients together, each client at its share (the baseline too); "
        "0: back to back",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/overlap_bench"),
        help="dropped and made afresh",
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"))
    parser.add_argument(
        "--phases", nargs="+", choices=PHASES, default=list(PHASES), help="which runs (default: all, in this order)"
    )
    parser.add_argument(
        "--kept-world",
        action="store_true",
        help="the emulator writes its world to disk after every change, as under `make prod` (slows every create)",
    )
    args = parser.parse_args()
    log = Path(tempfile.gettempdir()) / f"overlap-load-bench-{os.getpid()}.log"  # two benches at once keep apart
    print(f"Load average before the runs: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    with production_stack(args.database_url, args.redis_url, log, kept_world=args.kept_world) as (env, stack):
        pairs = prepare(stack, env, args.clients)
        sessions = [(client_session(stack, pair), pair) for pair in pairs]
        roots = {"web": stack.processes["web"].pid, "worker": stack.processes["worker"].pid}
        args.cpu = Cpu({**roots, "emulator": stack.emulator_pid})
        workers = len(_descendants(roots["web"]))  # gunicorn's workers, as config/gunicorn.py and the env made them
        threads = runpy.run_path(str(Path(runprod.__file__).with_name("gunicorn.py")))["threads"]
        web_config = f"gunicorn: {workers} workers x {threads} threads"
        print(
            f"Stack up at {stack.base_url} ({web_config}; log: {log}); "
            f"{args.clients} clients, {args.seconds:.0f} s each run"
        )
        with Memory(roots) as memory:
            report = measure(stack, sessions, args)
        print(f"\n{report}\n\nResident memory (VmRSS, largest seen during the runs):")
        print("\n".join(memory.lines()))
        print(f"Load average after the runs: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def measure(stack: Stack, sessions: list[tuple[Browser, Pair]], args: argparse.Namespace) -> str:
    baseline, lines = None, []
    if "baseline" in args.phases:
        baseline = load(
            "trivial view (/robots.txt)", sessions, args.seconds, trivial(stack.base_url), args.rate, args.cpu
        )
        lines += [line(baseline, None), *cpu_line(baseline), *_problems(baseline)]
        lines += _littles_law(baseline, len(sessions), args.rate)
    if "suggestions" in args.phases:
        for phase, latency in enumerate(args.latencies):
            lines += measure_suggestions(stack, sessions, args, baseline, phase, latency)
    if "booking" in args.phases:
        for latency in args.latencies:
            lines += measure_bookings(stack, sessions, args, baseline, latency)
    return "\n".join(lines)


def measure_suggestions(
    stack: Stack,
    sessions: list[tuple[Browser, Pair]],
    args: argparse.Namespace,
    baseline: Run | None,
    phase: int,
    latency: int,
) -> list[str]:
    emulator = stack.emulator
    emulator.control("POST", "/latency", {"ms": latency})
    since = emulator.last_seq()
    run = load(
        f"suggestions, Graph {latency} ms",
        sessions,
        args.seconds,
        suggestions(stack, args.windows, phase * args.windows, args.seconds, len(sessions)),
        args.rate,
        args.cpu,
    )
    searches = len(run.timings) + len(sessions)  # the warm-up search of each client too
    schedule_calls = graph_calls(emulator.log(since))["getSchedule"]
    target = "met" if run.p95() * 1000 <= latency + 50 and not run.outcomes.get("error") else "MISSED"
    firsts = run.first_of_range
    return [
        line(run, baseline),
        f"    of which the first search of a range (its free/busy asked of Microsoft): {len(firsts)}, median "
        f"{statistics.median(firsts) * 1000 if firsts else float('nan'):.1f} ms, p95 {_p95(firsts) * 1000:.1f} ms",
        f"    free/busy cache: {searches} searches, {schedule_calls} getSchedule calls, hit rate "
        f"{1 - schedule_calls / searches:.1%}; target p95 <= {latency + 50} ms with 0 errors: {target}",
        *cpu_line(run),
        *_problems(run),
    ]


def measure_bookings(
    stack: Stack,
    sessions: list[tuple[Browser, Pair]],
    args: argparse.Namespace,
    baseline: Run | None,
    latency: int,
) -> list[str]:
    emulator = stack.emulator
    emulator.control("POST", "/latency", {"ms": latency})
    emulator.control("POST", "/throttle", {"clear": True})  # the peaks in flight start over
    since, subject = emulator.last_seq(), f"Load {latency} ms"
    run = load(f"booking POST, Graph {latency} ms", sessions, args.seconds, booking(stack, subject), cpu=args.cpu)
    drain = drained(subject, args.drain)
    entries = emulator.log(since)
    return [
        line(run, baseline),
        *cpu_line(run),
        *drain_lines(run, drain),
        f"    Graph calls {dict(graph_calls(entries))}",
        *mailbox_lines(emulator, entries),
        *_problems(run),
    ]


def _littles_law(baseline: Run, clients: int, rate: float) -> list[str]:
    """Back to back, n clients keep n requests in the server at all times, so the mean wait is n / throughput
    (Little's law): a p95 of 50 ms needs at least n / 0.05 requests a second. Said beside the baseline, which
    does nothing, so that a target no view can reach on this machine is seen as such."""
    if rate or not baseline.timings:
        return []
    needed, served = clients / 0.05, len(baseline.timings) / baseline.seconds
    return [
        f"    back to back, {clients} clients wait {clients} / throughput on average: a p95 of 50 ms needs "
        f"over {needed:.0f} requests/s, and a view that does nothing serves {served:.0f}/s here (--rate offers a "
        "steady load instead)"
    ]


def _problems(run: Run) -> list[str]:
    return [f"    {n} x {problem}" for problem, n in run.problems.most_common(5)]


if __name__ == "__main__":
    main()
