"""Outlook's per-mailbox limit, kept by Overlap itself: at most 4 requests in flight per app and mailbox.

Graph answers a fifth concurrent request to one mailbox with 429 (`MailboxConcurrency`), counted across every
process and machine that uses the app. So the count lives in Redis when there is one (a sorted set of leases
per app and mailbox, taken and given back by Lua scripts that use Redis's clock), and in a semaphore of this
process when there is none (one machine, tasks in-process). A lease expires on its own after `LEASE_SECONDS`,
so a process killed mid-call never keeps a slot. If Redis stops answering, calls fall back to the local count
(Graph's own 429, retried by the transport, is the last guard) rather than fail.

Which calls count: those to a mailbox's Outlook data (`/users/{id}/events`, `/me/calendar/getSchedule`...),
keyed by the address or object id as the path names it (Overlap names a mailbox one way throughout). A $batch
counts for each mailbox its requests address, as many as it holds (up to the limit): Graph may run four of them
at once.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import redis

from integrations.microsoft.errors import Throttled

logger = logging.getLogger("integrations.microsoft.limits")

MAILBOX_CONCURRENCY = 4
LEASE_SECONDS = 60.0  # longer than any one call may take (connect + read timeouts)
WAIT_SECONDS = 30.0  # how long a call waits for a slot before giving up as throttled
OUTLOOK_RESOURCES = {"events", "calendar", "calendars", "calendarview", "findmeetingtimes", "mailboxsettings"}

Slots = dict[str, int]  # limiter key -> how many of its slots a call takes


class Limiter(Protocol):
    def hold(self, slots: Slots) -> Any:
        """A context manager that holds `slots` for its block (waiting for them first)."""
        ...


def mailbox_slots(client_id: str, path: str, body: Any = None, *, me: str | None = None) -> Slots:
    """The slots a Graph call takes: `path` relative to /v1.0 (or a full URL); `me` is who /me is."""
    segments = [unquote(s) for s in urlsplit(path).path.split("/") if s]
    if "v1.0" in segments:
        segments = segments[segments.index("v1.0") + 1 :]
    if segments == ["$batch"] and isinstance(body, dict):
        return _batch_slots(client_id, body.get("requests") or [], me)
    mailbox = _mailbox(segments, me)
    return {_key(client_id, mailbox): 1} if mailbox else {}


def _mailbox(segments: list[str], me: str | None) -> str | None:
    if len(segments) >= 2 and segments[0].lower() == "me" and segments[1].lower() in OUTLOOK_RESOURCES:
        return me
    if len(segments) >= 3 and segments[0].lower() == "users" and segments[2].lower() in OUTLOOK_RESOURCES:
        return segments[1]
    return None


def _batch_slots(client_id: str, requests: list[Any], me: str | None) -> Slots:
    slots: Slots = {}
    for item in requests:
        url = item.get("url") if isinstance(item, dict) else None
        for key in mailbox_slots(client_id, str(url or ""), me=me):
            slots[key] = min(MAILBOX_CONCURRENCY, slots.get(key, 0) + 1)
    return slots


def _key(client_id: str, mailbox: str) -> str:
    return f"overlap:graph-mailbox:{client_id}:{mailbox.lower()}"


def _busy(key: str, waited: float) -> Throttled:
    mailbox = key.rsplit(":", 1)[-1]
    message = f"Mailbox {mailbox} had {MAILBOX_CONCURRENCY} Graph requests in flight for {waited:.0f}s."
    return Throttled(message, code="mailbox_busy", retry_after=1.0)


class LocalLimiter:
    """The limit within this process: a semaphore per app and mailbox."""

    def __init__(self, limit: int = MAILBOX_CONCURRENCY, wait: float = WAIT_SECONDS) -> None:
        self.limit, self.wait = limit, wait
        self._semaphores: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    def _semaphore(self, key: str) -> threading.BoundedSemaphore:
        with self._lock:
            return self._semaphores.setdefault(key, threading.BoundedSemaphore(self.limit))

    @contextmanager
    def hold(self, slots: Slots) -> Iterator[None]:
        with ExitStack() as stack:
            for key in sorted(slots):  # one order everywhere, so two calls never wait on each other
                for _ in range(min(slots[key], self.limit)):
                    semaphore = self._semaphore(key)
                    if not semaphore.acquire(timeout=self.wait):
                        raise _busy(key, self.wait)
                    stack.callback(semaphore.release)
            yield


# KEYS[1]: the mailbox's set; ARGV: limit, lease ms, count, token. Expired leases go first; then `count`
# leases named token:0..count-1 are added if they fit. Redis's clock, so machines' clocks need not agree.
_TAKE = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms)
local count = tonumber(ARGV[3])
if redis.call('ZCARD', KEYS[1]) + count > tonumber(ARGV[1]) then return 0 end
for i = 0, count - 1 do redis.call('ZADD', KEYS[1], ms + tonumber(ARGV[2]), ARGV[4] .. ':' .. i) end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""


class RedisLimiter:
    """The limit across processes and machines, in Redis (see the module's docstring)."""

    def __init__(
        self, url: str, limit: int = MAILBOX_CONCURRENCY, wait: float = WAIT_SECONDS, lease: float = LEASE_SECONDS
    ) -> None:
        self.limit, self.wait, self.lease = limit, wait, lease
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._take = self.client.register_script(_TAKE)
        self._fallback = LocalLimiter(limit, wait)

    @contextmanager
    def hold(self, slots: Slots) -> Iterator[None]:
        with ExitStack() as stack:
            try:
                for key in sorted(slots):
                    stack.enter_context(self._held(key, min(slots[key], self.limit)))
            except redis.RedisError as exc:
                stack.close()
                logger.warning("Redis did not answer the mailbox limiter (%s); counting in this process only", exc)
                stack.enter_context(self._fallback.hold(slots))
            yield

    @contextmanager
    def _held(self, key: str, count: int) -> Iterator[None]:
        token = uuid.uuid4().hex
        self._acquire(key, count, token)
        try:
            yield
        finally:
            try:
                self.client.zrem(key, *(f"{token}:{i}" for i in range(count)))
            except redis.RedisError:  # the lease runs out on its own
                logger.warning("Could not give back a mailbox slot in Redis; it expires in %.0fs", self.lease)

    def _acquire(self, key: str, count: int, token: str) -> None:
        deadline = time.monotonic() + self.wait
        pause = 0.005
        while not self._take(keys=[key], args=[self.limit, int(self.lease * 1000), count, token]):
            if time.monotonic() >= deadline:
                raise _busy(key, self.wait)
            time.sleep(pause + random.uniform(0, pause))  # jitter: waiters do not all ask at once
            pause = min(pause * 2, 0.05)


_shared: dict[str | None, Limiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(redis_url: str | None) -> Limiter:
    """This process's limiter for `redis_url` (a local one without Redis)."""
    with _shared_lock:
        limiter = _shared.get(redis_url)
        if limiter is None:
            limiter = _shared[redis_url] = RedisLimiter(redis_url) if redis_url else LocalLimiter()
        return limiter
