"""Outlook-style throttling, counted per (app, mailbox): concurrency, a rate per window, forced 429s.

Defaults follow Graph's published Outlook limits (4 concurrent requests, 10,000 per 10 minutes per app and
mailbox); tests tighten them through the control API.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

DEFAULT_CONCURRENCY = 4
DEFAULT_RATE = 10_000
DEFAULT_WINDOW = 600.0


@dataclass(frozen=True)
class Key:
    """Whom a call counts against: the app, the tenant and the mailbox (None for directory calls)."""

    client_id: str
    tenant_id: str
    mailbox: str | None  # lowercase address or object id


@dataclass
class Rule:
    """A throttling rule from the control API; an empty tenant or mailbox matches any."""

    tenant_id: str | None = None
    mailbox_ids: frozenset[str] = frozenset()
    retry_after: float | None = 1.0
    count: int | None = None  # throttle the next N matching calls, then stop
    rate: int | None = None  # at most this many calls per window per key
    window: float = DEFAULT_WINDOW
    concurrency: int | None = None
    status: int = 429  # with `count`: 503 or 504 model an outage instead of throttling

    def matches(self, key: Key) -> bool:
        if self.tenant_id and self.tenant_id != key.tenant_id:
            return False
        return not self.mailbox_ids or (key.mailbox or "") in self.mailbox_ids


_DEFAULT_RULE = Rule(rate=DEFAULT_RATE, window=DEFAULT_WINDOW)


@dataclass
class Refusal:
    code: str
    message: str
    retry_after: float | None
    status: int = 429


OUTAGES = {
    500: ("generalException", "General exception while processing."),
    502: ("BadGateway", "Bad gateway."),
    503: ("ServiceNotAvailable", "The service is temporarily unavailable. Please retry later."),
    504: ("GatewayTimeout", "The gateway did not receive a response in time."),
}


@dataclass
class Throttler:
    rules: list[Rule] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _in_flight: dict[Key, int] = field(default_factory=dict)
    _history: dict[tuple[int, Key], deque[float]] = field(default_factory=dict)
    _peak: dict[Key, int] = field(default_factory=dict)  # the most calls ever in flight at once, per key

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self._history.clear()
            self._peak.clear()

    def peaks(self) -> dict[str, int]:
        """The most calls in flight at once per mailbox (its object id) since the last clear."""
        with self._lock:
            found: dict[str, int] = {}
            for key, peak in self._peak.items():
                if key.mailbox:
                    found[key.mailbox] = max(found.get(key.mailbox, 0), peak)
            return found

    def add(self, rule: Rule) -> None:
        with self._lock:
            self.rules.append(rule)

    @contextmanager
    def admit(self, key: Key) -> Iterator[Refusal | None]:
        """Yields a Refusal when the call must get 429, else None while the call counts as in flight."""
        with self._lock:
            refusal = self._check(key, time.monotonic())
            if refusal is None:
                self._in_flight[key] = self._in_flight.get(key, 0) + 1
                self._peak[key] = max(self._peak.get(key, 0), self._in_flight[key])
        try:
            yield refusal
        finally:
            if refusal is None:
                with self._lock:
                    self._in_flight[key] -= 1

    def _check(self, key: Key, now: float) -> Refusal | None:
        matching = [rule for rule in self.rules if rule.matches(key)]
        forced = self._forced(matching)
        if forced:
            return forced
        limit = min([r.concurrency for r in matching if r.concurrency] or [DEFAULT_CONCURRENCY])
        if key.mailbox and self._in_flight.get(key, 0) >= limit:
            message = "Application is over its MailboxConcurrency limit."
            return Refusal("ApplicationThrottled", message, _retry(matching))
        return self._rate(key, matching, now)

    def _forced(self, matching: list[Rule]) -> Refusal | None:
        for rule in matching:
            if rule.count:
                rule.count -= 1
                if rule.count == 0:
                    self.rules.remove(rule)
                if rule.status in OUTAGES:
                    code, message = OUTAGES[rule.status]
                    return Refusal(code, message, rule.retry_after, rule.status)
                return Refusal("TooManyRequests", "Please retry again later.", rule.retry_after)
        return None

    def _rate(self, key: Key, matching: list[Rule], now: float) -> Refusal | None:
        rated = [rule for rule in matching if rule.rate] or [_DEFAULT_RULE]
        for rule in rated:
            calls = self._history.setdefault((id(rule), key), deque())
            while calls and calls[0] <= now - rule.window:
                calls.popleft()
            if len(calls) >= (rule.rate or 0):
                wait = calls[0] + rule.window - now
                return Refusal("TooManyRequests", "Please retry again later.", max(_round_up(wait), 0.001))
            calls.append(now)
        return None


def _retry(matching: list[Rule]) -> float:
    return next((rule.retry_after for rule in matching if rule.retry_after is not None), 1.0)


def _round_up(seconds: float) -> float:
    # Graph's Retry-After may be fractional (e.g. 2.128); keep three decimals, never round down to zero.
    return math.ceil(seconds * 1000) / 1000


@dataclass
class LostReplies:
    """Event creates whose reply is lost: the event is made in the mailbox, the caller gets 504 GatewayTimeout.

    Counted per mailbox object id (None: any mailbox), as a reply lost between Exchange and the caller.
    """

    pending: dict[str | None, int] = field(default_factory=dict)
    lost: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self._lock:
            self.pending.clear()
            self.lost = 0

    def add(self, mailbox: str | None, count: int) -> None:
        with self._lock:
            self.pending[mailbox] = self.pending.get(mailbox, 0) + count

    def take(self, mailbox: str | None) -> bool:
        with self._lock:
            for key in (mailbox, None):
                if self.pending.get(key, 0) > 0:
                    self.pending[key] -= 1
                    self.lost += 1
                    return True
        return False
