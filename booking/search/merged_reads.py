"""One read of Microsoft for every search that misses the same free/busy at the same moment.

Searches that miss the cache for the same people and window at once (two colleagues opening the same page, htmx
sending a search again while the first is still waiting on Graph) would each hold a web thread for the whole Graph
wait and each spend one call of the mailbox's budget. Instead the first takes a lock in the cache (Redis: every
worker and machine sees it) and reads; the others wait for its answer to appear in the cache, and read for
themselves whatever it did not keep: its read failed, the person could not be read (an error is never kept), or
it took longer than `WAIT_SECONDS`.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from typing import TypeVar

from django.core.cache import cache

K = TypeVar("K")
V = TypeVar("V")

WAIT_SECONDS = 10.0  # a waiter reads for itself after this; the lock expires then too (a leader that died)
POLL_SECONDS = 0.02  # how often a waiter looks for the leader's answer


def read_once(
    keys: Mapping[K, str],
    read: Callable[[list[K]], dict[K, V]],
    *,
    keep: Callable[[V], bool],
    seconds: int,
) -> dict[K, V]:
    """`read(missing)` for the items whose cache `keys` are given, once among callers asking at the same time.

    Each value `keep` accepts is cached under its key for `seconds`. The leader returns what it read (errors
    included); a waiter returns what the leader kept, and reads the rest itself. Exceptions of `read` reach its
    caller only: a waiter whose leader failed reads for itself."""
    lock = "read-once:" + hashlib.blake2b(repr(sorted(keys.values())).encode(), digest_size=16).hexdigest()
    if cache.add(lock, 1, WAIT_SECONDS):
        try:  # a leader that let go just before may have kept it all: look again, now that nobody else reads
            return _read_the_rest(keys, _kept(keys), read, keep, seconds)
        finally:
            cache.delete(lock)
    return _read_the_rest(keys, _wait_for(keys, lock), read, keep, seconds)


def _read_the_rest(
    keys: Mapping[K, str],
    found: dict[K, V],
    read: Callable[[list[K]], dict[K, V]],
    keep: Callable[[V], bool],
    seconds: int,
) -> dict[K, V]:
    rest = {item: key for item, key in keys.items() if item not in found}
    return found | (_read_and_keep(rest, read, keep, seconds) if rest else {})


def _read_and_keep(
    keys: Mapping[K, str], read: Callable[[list[K]], dict[K, V]], keep: Callable[[V], bool], seconds: int
) -> dict[K, V]:
    answer = read(list(keys))
    kept = {keys[item]: value for item, value in answer.items() if item in keys and keep(value)}
    if kept:
        cache.set_many(kept, seconds)  # one round trip
    return answer


def _wait_for(keys: Mapping[K, str], lock: str) -> dict[K, V]:
    """What the leader kept, once all of it is there, the leader has let go, or `WAIT_SECONDS` have passed."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        # The lock first: a leader keeps its answer before it lets go, so a lock seen gone means the answer is in.
        leader_done = cache.get(lock) is None
        found: dict[K, V] = _kept(keys)
        if len(found) == len(keys) or leader_done or time.monotonic() > deadline:
            return found
        time.sleep(POLL_SECONDS)


def _kept(keys: Mapping[K, str]) -> dict[K, V]:
    """What the cache holds for these items, in one round trip."""
    hits = cache.get_many(list(keys.values()))
    return {item: hits[key] for item, key in keys.items() if key in hits}
