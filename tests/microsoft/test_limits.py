"""Outlook's 4 requests in flight per app and mailbox, kept by Overlap: in one process, and across processes
through Redis, proven against the emulator, which answers 429 past 4 concurrent requests to one mailbox."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any

import pytest
import redis

from integrations.microsoft import auth
from integrations.microsoft.config import MicrosoftConfig
from integrations.microsoft.errors import Throttled
from integrations.microsoft.limits import MAILBOX_CONCURRENCY, LocalLimiter, RedisLimiter, mailbox_slots
from m365_emulator.testing import EmulatorProcess
from tests.conftest import require_service
from tests.microsoft.conftest import ADELE, MEGAN, graph_calls
from tests.microsoft.limit_workers import hammer

APP = "app-id"
ADELE_KEY = f"overlap:graph-mailbox:{APP}:{ADELE}"
PROCESSES, THREADS, CALLS = 3, 4, 3  # 12 callers at once against one mailbox, 36 calls
redis_pass = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="runs on the PostgreSQL/Redis pass")


def test_calls_to_a_mailboxs_calendar_take_one_slot_of_that_mailbox() -> None:
    assert mailbox_slots(APP, f"/users/{ADELE}/calendar/getSchedule") == {ADELE_KEY: 1}
    assert mailbox_slots(APP, f"https://graph.example/v1.0/users/{ADELE.upper()}/events/AAMk=") == {ADELE_KEY: 1}
    assert mailbox_slots(APP, "/me/events", me="oid-1") == {f"overlap:graph-mailbox:{APP}:oid-1": 1}


def test_directory_calls_take_no_mailbox_slot() -> None:
    assert mailbox_slots(APP, "/users") == {}
    assert mailbox_slots(APP, f"/users/{ADELE}") == {}
    assert mailbox_slots(APP, f"/users/{ADELE}/checkMemberGroups") == {}


def test_a_batch_takes_a_slot_per_request_up_to_the_mailboxs_limit() -> None:
    requests = [{"id": str(n), "method": "GET", "url": f"/users/{ADELE}/events/e{n}"} for n in range(20)]
    requests.append({"id": "x", "method": "GET", "url": f"/users/{MEGAN}/events/e"})
    slots = mailbox_slots(APP, "/$batch", {"requests": requests})
    assert slots == {ADELE_KEY: MAILBOX_CONCURRENCY, f"overlap:graph-mailbox:{APP}:{MEGAN}": 1}


def _most_at_once(limiter: Any, slots: dict[str, int], callers: int) -> int:
    """How many callers were inside `limiter.hold(slots)` at once, at most."""
    lock, inside, most = threading.Lock(), [0], [0]

    def call(_: int) -> None:
        with limiter.hold(slots):
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.05)
            with lock:
                inside[0] -= 1

    with ThreadPoolExecutor(max_workers=callers) as pool:
        list(pool.map(call, range(callers)))
    return most[0]


def test_in_one_process_at_most_four_calls_hold_a_mailbox_at_once() -> None:
    assert _most_at_once(LocalLimiter(), {ADELE_KEY: 1}, callers=12) == MAILBOX_CONCURRENCY


def test_a_call_that_waits_too_long_for_its_mailbox_is_throttled_not_sent() -> None:
    limiter = LocalLimiter(wait=0.1)
    with limiter.hold({ADELE_KEY: MAILBOX_CONCURRENCY}), pytest.raises(Throttled) as raised:
        limiter.hold({ADELE_KEY: 1}).__enter__()
    assert raised.value.code == "mailbox_busy"
    with limiter.hold({ADELE_KEY: 1}):  # given back when the holder was done
        pass


@redis_pass
def test_through_redis_at_most_four_calls_hold_a_mailbox_at_once() -> None:
    url = _redis_url()
    limiter = RedisLimiter(url)
    assert _most_at_once(limiter, {ADELE_KEY: 1}, callers=12) == MAILBOX_CONCURRENCY
    assert limiter.client.zcard(ADELE_KEY) == 0  # every slot given back


@redis_pass
def test_a_slot_held_by_a_process_that_died_frees_itself_when_its_lease_runs_out() -> None:
    limiter = RedisLimiter(_redis_url(), wait=5.0, lease=0.3)
    limiter.client.delete(ADELE_KEY)
    limiter._acquire(ADELE_KEY, MAILBOX_CONCURRENCY, "a-process-that-died")  # never given back
    started = time.monotonic()
    with limiter.hold({ADELE_KEY: 1}):
        waited = time.monotonic() - started
    assert 0.2 <= waited < 2.0


def _redis_url() -> str:
    url = os.environ["REDIS_URL"]
    require_service("Redis", url)
    redis.Redis.from_url(url).delete(ADELE_KEY)
    return url


# Several worker processes against one mailbox of the emulator.


def _run_workers(emulator: EmulatorProcess, config: MicrosoftConfig) -> list[dict[str, Any]]:
    """PROCESSES processes hammer Adele's mailbox (150 ms a call); the emulator's log of their calls."""
    auth.forget_all()
    emulator.grant_admin_consent()
    emulator.control("POST", "/latency", {"ms": 150})
    since = emulator.last_seq()
    context = multiprocessing.get_context("spawn")  # no fork of a process that runs the emulator's threads
    start_line, results = context.Barrier(PROCESSES), context.Queue()
    arguments = (asdict(config), emulator.tenant_id, THREADS, CALLS, start_line, results)
    workers = [context.Process(target=hammer, args=arguments) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    try:
        errors = [results.get(timeout=90) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()
    assert errors == [0] * PROCESSES  # every call got its answer in the end
    return [c for c in graph_calls(emulator, since) if c["path"].endswith("/calendar/getSchedule")]


@redis_pass
def test_worker_processes_sharing_redis_never_have_more_than_four_calls_in_flight_to_one_mailbox(
    emulator: EmulatorProcess, config: MicrosoftConfig
) -> None:
    calls = _run_workers(emulator, MicrosoftConfig(**{**asdict(config), "redis_url": _redis_url()}))
    assert [c["status"] for c in calls] == [200] * (PROCESSES * THREADS * CALLS)  # not one 429


def test_worker_processes_that_count_alone_are_refused_by_the_mailboxs_limit(
    emulator: EmulatorProcess, config: MicrosoftConfig
) -> None:
    """The other side of the test above: 12 callers counted per process (4 each) do meet Graph's 429."""
    calls = _run_workers(emulator, config)
    refused = [c for c in calls if c["status"] == 429]
    assert refused, "three processes of four calls each should have gone past the mailbox's limit"
    assert all(c["mailbox"] == ADELE for c in refused)
