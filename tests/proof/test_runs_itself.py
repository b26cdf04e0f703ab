"""Runs itself: the fault table of issue #28, replayed on a Redis and a PostgreSQL of the proof's own (started on
spare ports by tests/proof/servers.py, never CI's shared ones) with a real worker (prefork, two children) and
beat as the Procfile runs them, and the emulator as Microsoft:

- broker-killed: Redis SIGKILLed while confirmations are under way, bookings made on the page meanwhile, Redis
  back (its append-only file replayed);
- database-restarted: PostgreSQL stopped at once (every connection cut) while confirmations are under way, back
  after the outage;
- worker-killed-after-create: the whole worker (parent and children) SIGKILLed the moment Microsoft made an event,
  before the worker heard its reply; a new worker started;
- two-beats: two beats at once while bookings whose enqueue was lost wait for the sweep;
- microsoft-unreachable: every call to Microsoft dropped (the emulator's /unreachable) for the outage.

Nobody acts: each fault must end with every booking confirmed, or failed with a reason, within 3 minutes of the
fault's end, no meeting lost or made twice, and the admin's health page naming the fault while it lasts. Each
prints one line a script can read: `fault <name>: made N, confirmed N, failed N, stuck 0, lost 0, doubled 0`
(stuck: neither confirmed nor failed 3 minutes after the fault ended; lost: confirmed but with no meeting in the
mailboxes; doubled: two meetings for one booking), and a line on how it went.

The waits are shortened by settings, never slept: the sweep every 2 s for bookings untried for 8 s, retries at most
3 s apart, a 12 s visibility timeout, read-back every 3 s. PROOF_FAULT_SECONDS makes each outage longer (5 s by
default; the retries' cap grows with it), PROOF_FAULT_BOOKINGS changes the bookings per fault (12).
"""

from __future__ import annotations

import math
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from booking import services
from booking.models import Booking, BookingEvent
from config.celery_app import app as celery_app
from config.runprod import procfile
from m365_emulator.testing import EmulatorProcess
from tests.booking.helpers import ADELE, MEGAN, World, form, world_in
from tests.conftest import Org, signed_in
from tests.proof.conftest import (
    PROOF_VISIBILITY_TIMEOUT,
    ROOT,
    WorkerProcess,
    _start_worker,
    _worker_environment,
    figure,
    promise,
)
from tests.proof.servers import OwnServers
from tests.proof.world import meetings_by_subject, pending, quiet_slots, wait_until

pytestmark = [
    pytest.mark.proof,
    pytest.mark.own_servers,
    pytest.mark.usefixtures("own_servers"),  # a session fixture: the servers run before the test database is made
    pytest.mark.django_db(transaction=True),
]

OUTAGE = float(os.environ.get("PROOF_FAULT_SECONDS", "5"))
BOOKINGS = int(os.environ.get("PROOF_FAULT_BOOKINGS", "12"))
SETTLE_SECONDS = 180  # after the fault's end: a booking neither confirmed nor failed by then is stuck
SWEEP_EVERY, SWEEP_AFTER = 2, 8
RETRY_MAX = max(3, math.ceil(OUTAGE / 3))  # eight tries, each at most this far apart, outlast the outage
VISIBILITY = max(PROOF_VISIBILITY_TIMEOUT, 2 * RETRY_MAX + 6)  # longer than any countdown the tasks set
READ_BACK_EVERY = 3
DURING = max(2, BOOKINGS // 3)  # of the bookings, those made while the fault lasts (where one can be made)


@dataclass
class Stack:
    """Overlap as production runs it, each part a process of its own started by its Procfile line (the worker
    with two children), on the proof's own servers; the web is this process (Django's test client)."""

    world: World
    servers: OwnServers
    folder: Path
    environment: dict[str, str]
    worker: WorkerProcess
    beats: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def emulator(self) -> EmulatorProcess:
        return self.world.emulator

    def start_beat(self, name: str) -> None:
        """The Procfile's `beat` line, with a schedule file of its own, as on a machine of its own. It names no
        scheduler: the settings' OneBeatScheduler is the one it must run."""
        environment = {**self.environment, "CELERY_BEAT_SCHEDULE_FILE": str(self.folder / f"beat-{name}.schedule")}
        with (self.folder / f"beat-{name}.log").open("ab") as out:
            self.beats[name] = subprocess.Popen(
                procfile_line("beat"), cwd=ROOT, env=environment, stdout=out, stderr=out, start_new_session=True
            )
        started = wait_until(lambda: "beat: Starting" in self.beat_log(name), timeout=60, every=0.2)
        promise(started, f"beat {name} starts:\n{self.beat_log(name)[-2000:]}")
        promise("scheduler -> config.celery_app.OneBeatScheduler" in self.beat_log(name), "beat runs OneBeatScheduler")

    def beat_log(self, name: str) -> str:
        return (self.folder / f"beat-{name}.log").read_text(errors="replace")

    def worker_log(self) -> str:
        return self.worker.log.read_text(errors="replace")

    def stop(self) -> None:
        for beat in self.beats.values():
            if beat.poll() is None:
                beat.send_signal(signal.SIGTERM)
                try:
                    beat.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    beat.kill()
                    beat.wait(timeout=5)
        worker = self.worker.process
        if worker.poll() is None:  # every booking is settled: nothing to finish, so no long warm shutdown
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=5)


@pytest.fixture
def stack(
    org: Org, emulator_settings: EmulatorProcess, own_servers: OwnServers, tmp_path: Path, settings: Any
) -> Iterator[Stack]:
    settings.RATE_LIMIT_BOOKINGS = "1000/h"  # the proof books more through the page than a person would in an hour
    world = world_in(org, emulator_settings, "domain_wide")
    environment = {
        **_worker_environment(emulator_settings),
        "LOG_LEVEL": "INFO",  # the worker's log names each task it ran: the proof counts the periodic ones
        "BOOKING_SWEEP_SECONDS": str(SWEEP_EVERY),
        "BOOKING_SWEEP_AFTER_SECONDS": str(SWEEP_AFTER),
        "BOOKING_RETRY_MAX_SECONDS": str(RETRY_MAX),
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY),
        "READ_BACK_ROUND_SECONDS": str(READ_BACK_EVERY),
        "CELERY_CONCURRENCY": "2",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",  # the Procfile's `celery`
    }
    celery_app.control.purge()
    log, command = tmp_path / "worker.log", procfile_line("worker")
    worker = WorkerProcess(_start_worker(log, environment, command=command), log, environment, command=command)
    made = Stack(world, own_servers, tmp_path, environment, worker)
    try:
        worker.wait_for_children()
        made.start_beat("first")
        celery_app.conf.task_always_eager = False  # bookings made here go to the worker through Redis
        yield made
    finally:
        celery_app.conf.task_always_eager = True
        made.stop()
        own_servers.ensure_running()
        connection.close()
        celery_app.control.purge()


def procfile_line(process: str) -> list[str]:
    """The Procfile's line for this process type, run as a platform runs it (`sh -c`); DJANGO_SETTINGS_MODULE
    in the environment (the tests' settings) stands in for production's."""
    return ["sh", "-c", procfile()[process]]


# -- booking, and counting what came of it -------------------------------------------------------------------


SLOTS = quiet_slots(3 * BOOKINGS)


def book(stack: Stack, index: int, name: str) -> Booking:
    """A booking as the booking page makes it, straight through the service (its enqueue goes to Redis)."""
    return services.booking_create(
        organizer=stack.world.megan,
        required=[stack.world.adele],
        optional=[],
        slot=SLOTS[index],
        subject=f"Fault {name} {index:02d}",
    )


def book_on_the_page(stack: Stack, member: Client, index: int, name: str) -> tuple[int, str]:
    """Megan books on the booking page (the web, in this process); the status and where it sent her."""
    subject = f"Fault {name} {index:02d}"
    url = reverse("booking_create", kwargs={"code": stack.world.org.organization.code})
    response = member.post(url, form(SLOTS[index].start, required=[stack.world.adele], subject=subject))
    return response.status_code, response.get("Location", "")


def member_client(stack: Stack) -> Client:
    """Megan's browser: what a server answers (an error page too), not the exception behind it."""
    client = signed_in(stack.world.megan.user)
    client.raise_request_exception = False
    return client


def admin_client(stack: Stack) -> Client:
    client = signed_in(stack.world.org.admin)
    client.raise_request_exception = False
    return client


def health_page(stack: Stack, client: Client) -> tuple[int, str]:
    response = client.get(reverse("organization_health", kwargs={"code": stack.world.org.code}))
    return response.status_code, response.content.decode()


def failing_parts(page: str) -> list[str]:
    """Overlap's own parts the health page marks failing (database, cache, broker, beat)."""
    return re.findall(r'<dd id="part-(\w+)"><span class="badge bad">', page)


def counted(count: int, thing: str) -> str:
    return f"{count} {thing}{'' if count == 1 else 's'}"


def ours(name: str) -> list[Booking]:
    return list(Booking.objects.filter(subject__startswith=f"Fault {name} ").order_by("pk"))


def confirmed(bookings: list[Booking]) -> int:
    states = Booking.objects.filter(pk__in=[b.pk for b in bookings]).values_list("state", flat=True)
    return sum(state == Booking.State.CONFIRMED for state in states)


def creates(emulator: EmulatorProcess, since: int) -> list[dict[str, Any]]:
    """Event creates Microsoft carried out (201), since `since`."""
    return [
        e
        for e in emulator.log(since)
        if e["method"] == "POST" and re.search(r"/events/?$", e["path"]) and e["status"] == 201
    ]


@dataclass(frozen=True)
class Outcome:
    made: int
    confirmed: int
    failed: int
    stuck: int
    lost: int
    doubled: int
    unexplained: int  # failed without a reason
    left_behind: int  # failed, yet a meeting stands
    settled_in: float  # seconds from the fault's end until no booking was pending
    reasons: tuple[str, ...]

    @property
    def line(self) -> str:
        return (
            f"made {self.made}, confirmed {self.confirmed}, failed {self.failed}, stuck {self.stuck}, "
            f"lost {self.lost}, doubled {self.doubled}"
        )


def settle(stack: Stack, name: str, ended: float) -> Outcome:
    """Wait, nobody acting, until no booking of this fault is pending (at most SETTLE_SECONDS after the fault
    ended), then count what the database and the mailboxes hold."""
    bookings = ours(name)
    deadline = ended + SETTLE_SECONDS
    wait_until(lambda: pending(bookings) == 0, timeout=max(deadline - time.monotonic(), 0), every=0.5)
    settled_in = time.monotonic() - ended
    time.sleep(1)  # a task sent twice and still running finds the booking settled, and makes nothing
    states = list(Booking.objects.filter(pk__in=[b.pk for b in bookings]))
    organizer, attendee = meetings_by_subject(stack.emulator, MEGAN), meetings_by_subject(stack.emulator, ADELE)
    count = Counter(b.state for b in states)
    done = [b for b in states if b.state == Booking.State.CONFIRMED]
    failed = [b for b in states if b.state == Booking.State.FAILED]
    return Outcome(
        made=len(states),
        confirmed=len(done),
        failed=len(failed),
        stuck=count[Booking.State.PENDING],
        lost=sum(1 for b in done if not organizer[b.subject] or not attendee[b.subject]),
        doubled=sum(1 for b in states if organizer[b.subject] > 1 or attendee[b.subject] > 1),
        unexplained=sum(1 for b in failed if not b.failure_reason),
        left_behind=sum(1 for b in failed if organizer[b.subject] or attendee[b.subject]),
        settled_in=settled_in,
        reasons=tuple(sorted({b.failure_reason[:100] for b in failed})),
    )


def report(name: str, outcome: Outcome, how: str) -> None:
    """The fault's line (for scripts), how it went (for people), then the promises every fault keeps."""
    figure(f"fault {name}", outcome.line)
    reasons = f"; failure reasons: {list(outcome.reasons)}" if outcome.reasons else ""
    figure(
        f"how {name} went", f"{how}; every booking settled {outcome.settled_in:.0f} s after the fault ended{reasons}"
    )
    promise(outcome.made > 0, f"{name}: bookings were made")
    promise(
        outcome.stuck == 0,
        f"{name}: every booking is confirmed or failed within {SETTLE_SECONDS} s of the fault's end, nobody acting "
        f"({outcome.stuck} still pending)",
    )
    promise(outcome.lost == 0, f"{name}: a confirmed booking has its meeting ({outcome.lost} without)")
    promise(outcome.doubled == 0, f"{name}: no meeting is made twice ({outcome.doubled} bookings with two)")
    promise(outcome.unexplained == 0, f"{name}: a failed booking says why ({outcome.unexplained} do not)")
    promise(outcome.left_behind == 0, f"{name}: a failed booking leaves no meeting behind ({outcome.left_behind})")


def queued() -> int:
    """Tasks in Redis: waiting in the queue, or taken by a worker and not acknowledged."""
    import redis
    from django.conf import settings

    broker = redis.Redis.from_url(settings.REDIS_URL or "")
    try:
        return int(broker.llen("celery")) + int(broker.zcard("unacked_index"))  # type: ignore[arg-type]
    finally:
        broker.close()


# -- the faults ----------------------------------------------------------------------------------------------


def test_redis_killed_and_back_every_booking_ends_and_the_member_never_sees_an_error(stack: Stack) -> None:
    name = "broker-killed"
    stack.emulator.control("POST", "/latency", {"ms": 150})  # confirmations take a while: some are under way
    before = [book(stack, i, name) for i in range(BOOKINGS - DURING)]
    wait_until(lambda: confirmed(before) >= 1, timeout=30, every=0.1)
    in_redis, under_way = queued(), pending(before)
    member, admin = member_client(stack), admin_client(stack)

    stack.servers.redis.kill()
    down = time.monotonic()
    answers = [book_on_the_page(stack, member, i, name) for i in range(BOOKINGS - DURING, BOOKINGS)]
    pages = [member.get(location) for _, location in answers if location]
    health_status, health = health_page(stack, admin)
    time.sleep(max(OUTAGE - (time.monotonic() - down), 0))
    stack.servers.redis.start()
    ended = time.monotonic()

    outcome = settle(stack, name, ended)
    after = failing_parts(health_page(stack, admin)[1])
    refused = [status for status, location in answers if status != 302 or "/meetings/" not in location]
    creating = sum(1 for page in pages if page.status_code == 200 and "Creating your meeting" in page.content.decode())
    report(
        name,
        outcome,
        f"Redis SIGKILLed with {in_redis} tasks in it and {under_way} of {len(before)} bookings pending; down "
        f"{ended - down:.0f} s, during which {len(answers)} bookings were made on the page "
        f'(answers {dict(Counter(s for s, _ in answers))}, {creating} meeting pages reading "Creating your '
        f"meeting…\") and the admin's health page answered {health_status}; Redis back from its append-only file",
    )
    promise(not refused, f"{name}: a booking made while Redis is down is saved and shown, never an error: {refused}")
    promise(creating == len(answers), f'{name}: the member reads "Creating your meeting…" ({creating})')
    failing = failing_parts(health)
    promise(
        health_status == 200 and "The task queue does not answer" in health and failing == ["cache", "broker", "beat"],
        f"{name}: the admin's health page names the queue and Redis while they are down ({health_status}, {failing})",
    )
    promise(not after, f"{name}: once Redis is back the health page reads every part working ({after} failing)")


def test_postgresql_restarted_every_booking_ends_and_pages_say_the_database_does_not_answer(stack: Stack) -> None:
    name = "database-restarted"
    stack.emulator.control("POST", "/latency", {"ms": 150})
    bookings = [book(stack, i, name) for i in range(BOOKINGS)]
    wait_until(lambda: confirmed(bookings) >= 1, timeout=30, every=0.1)
    under_way = pending(bookings)
    member, admin = member_client(stack), admin_client(stack)

    stack.servers.postgres.crash()
    down = time.monotonic()
    status, _ = book_on_the_page(stack, member, BOOKINGS, name)
    page = member.get(reverse("meetings", kwargs={"code": stack.world.org.code}))
    health_status, health = health_page(stack, admin)
    time.sleep(max(OUTAGE - (time.monotonic() - down), 0))
    stack.servers.postgres.start()
    ended = time.monotonic()
    connection.close()  # this process's connection was cut with the others

    outcome = settle(stack, name, ended)
    after = failing_parts(health_page(stack, admin)[1])
    report(
        name,
        outcome,
        f"PostgreSQL stopped at once (every connection cut) with {under_way} of {len(bookings)} bookings pending, "
        f"down {ended - down:.0f} s; meanwhile a booking on the page answered {status}, My meetings "
        f"{page.status_code} and the admin's health page {health_status}, each saying the database does not answer",
    )
    says = "database does not answer"
    promise(
        status == 503 and page.status_code == 503 and says in page.content.decode(),
        f"{name}: while the database is down a page answers 503 and says so, never a 500 ({status}, "
        f"{page.status_code})",
    )
    promise(health_status == 503 and says in health, f"{name}: the admin reads that the database does not answer")
    promise(not after, f"{name}: once it is back the health page reads every part working ({after} failing)")
    promise(outcome.made == len(bookings), f"{name}: nothing is saved while the database is down")


def test_the_whole_worker_killed_after_microsoft_made_the_event_leaves_one_meeting(stack: Stack) -> None:
    name = "worker-killed-after-create"
    since = stack.emulator.last_seq()
    stack.emulator.control("POST", "/latency", {"reply_ms": 2000})  # an event stands before its reply comes
    bookings = [book(stack, i, name) for i in range(BOOKINGS)]
    made_one = wait_until(lambda: bool(creates(stack.emulator, since)), timeout=60, every=0.02)

    stack.worker.kill_whole()  # parent and children at once, while they wait for Microsoft's replies
    killed = time.monotonic()
    events = {e["body"].get("subject") for e in creates(stack.emulator, since) if isinstance(e.get("body"), dict)}
    caught = [b for b in Booking.objects.filter(pk__in=[b.pk for b in bookings]) if b.subject in events]
    caught_pending = [b for b in caught if b.state == Booking.State.PENDING]
    stack.emulator.control("POST", "/latency", {"reply_ms": 0})
    stack.worker.replace()  # as a platform restarts a worker

    outcome = settle(stack, name, killed)
    report(
        name,
        outcome,
        f"the whole worker SIGKILLed the moment Microsoft made an event: {counted(len(caught_pending), 'booking')} "
        f"whose meeting stood, unheard of, {stack.worker.orphaned} tasks taken and not acknowledged; a new worker "
        f"started at once (the sweep sends again after {SWEEP_AFTER} s, Redis gives back after "
        f"{VISIBILITY} s)",
    )
    promise(made_one and bool(caught_pending), f"{name}: the worker was killed after an event was made, unheard of")


def test_two_beats_send_each_periodic_job_once_a_round(stack: Stack, settings: Any) -> None:
    from tests.booking.test_nothing_stuck import broker_down

    name = "two-beats"
    stack.start_beat("second")
    worker_from = len(stack.worker_log())
    beats_from = {n: len(stack.beat_log(n)) for n in stack.beats}
    both_from = time.monotonic()
    with broker_down():  # their enqueue is lost: only the sweep, which both beats schedule, sends them
        made = [book(stack, i, name) for i in range(BOOKINGS)]
    made_at = time.monotonic()
    outcome = settle(stack, name, made_at)
    time.sleep(max(6 * SWEEP_EVERY - (time.monotonic() - both_from), 0))  # a few rounds at least
    both_for = time.monotonic() - both_from
    admin = admin_client(stack)
    _, health = health_page(stack, admin)

    ran = stack.worker_log()[worker_from:]
    sweeps = len(re.findall(r"booking\.tasks\.sweep_pending\[[^\]]+\] succeeded", ran))
    read_backs = len(re.findall(r"booking\.tasks\.read_back_due\[[^\]]+\] succeeded", ran))
    logs = {n: stack.beat_log(n)[beats_from[n] :] for n in stack.beats}
    sent = {n: log.count("Sending due task booking-sweep") for n, log in logs.items()}
    skipped = {n: log.count("booking-sweep was sent by another beat") for n, log in logs.items()}
    retried = BookingEvent.objects.filter(booking__in=made, kind="retried")  # each send by the sweep is recorded
    resent = Counter(retried.values_list("booking_id", flat=True))

    settings.BEAT_HEARTBEAT_STALE_SECONDS = 3  # what the page calls stale, shortened as the beats' waits are
    for beat in stack.beats.values():
        beat.kill()  # both beats stop, as when their machine is lost
    time.sleep(4)
    _, stopped = health_page(stack, admin)
    stale = failing_parts(stopped) == ["beat"] and "No heartbeat for" in stopped

    sweep_rounds, read_back_rounds = both_for / SWEEP_EVERY, both_for / READ_BACK_EVERY
    report(
        name,
        outcome,
        f"two beats for {both_for:.0f} s: the sweep ran {sweeps} times ({sweep_rounds:.0f} rounds of "
        f"{SWEEP_EVERY} s), the read-back {read_backs} times ({read_back_rounds:.0f} rounds of {READ_BACK_EVERY} s); "
        f"the sweep sent by each beat {sent}, left to the other {skipped}; {len(made)} bookings whose enqueue was "
        f"lost, each sent again by the sweep {sorted(set(resent.values()))} time(s); then both beats killed, and the "
        f"health page said beat's heartbeat was stale",
    )
    promise(
        sweep_rounds / 2 <= sweeps <= sweep_rounds + 2 and read_back_rounds / 2 <= read_backs <= read_back_rounds + 2,
        f"{name}: each periodic job runs once a round, not once per beat (sweep {sweeps} in {sweep_rounds:.1f} "
        f"rounds, read-back {read_backs} in {read_back_rounds:.1f})",
    )
    promise(
        len(resent) == len(made) and set(resent.values()) == {1},
        f"{name}: each booking is sent again once: {dict(Counter(resent.values()))}",
    )
    promise(sum(skipped.values()) > 0, f"{name}: both beats ran, one leaving each round to the other: {skipped}")
    promise(not failing_parts(health), f"{name}: the health page reads every part working, beat's heartbeat too")
    promise(stale, f"{name}: once no beat runs, the health page says beat's heartbeat is stale")


def test_microsoft_unreachable_every_booking_ends_and_everyone_is_told_meanwhile(stack: Stack) -> None:
    name = "microsoft-unreachable"
    stack.emulator.control("POST", "/latency", {"ms": 100})
    before = [book(stack, i, name) for i in range(BOOKINGS - DURING)]
    wait_until(lambda: confirmed(before) >= 1, timeout=30, every=0.1)
    member, admin = member_client(stack), admin_client(stack)

    stack.emulator.control("POST", "/unreachable", {"seconds": OUTAGE})
    down = time.monotonic()
    during = [book(stack, i, name) for i in range(BOOKINGS - DURING, BOOKINGS)]
    meeting = reverse("meeting_detail", kwargs={"code": stack.world.org.code, "booking": during[0].code})

    def told() -> bool:
        return "Microsoft 365 is not answering" in health_page(stack, admin)[
            1
        ] and "Microsoft 365 is not answering" in (member.get(meeting).content.decode())

    told_in_time = wait_until(told, timeout=max(OUTAGE - 0.5, 1), every=0.25)
    told_after = time.monotonic() - down
    wait_until(lambda: not stack.emulator.control("GET", "/unreachable")["unreachable"], timeout=OUTAGE + 5)
    ended = time.monotonic()
    dropped = stack.emulator.control("GET", "/unreachable")["dropped"]

    outcome = settle(stack, name, ended)
    report(
        name,
        outcome,
        f"Microsoft unreachable for {ended - down:.0f} s ({dropped} calls dropped unanswered), {len(during)} bookings "
        f"made meanwhile; the member's meeting page and the admin's health page said Microsoft 365 is not answering "
        f"{told_after:.0f} s into it",
    )
    promise(dropped > 0, f"{name}: Microsoft was called, and did not answer, during the outage")
    promise(told_in_time, f"{name}: while Microsoft does not answer, the member and the admin are told")
