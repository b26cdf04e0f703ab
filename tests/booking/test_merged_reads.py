"""Searches that miss the same free/busy at the same moment share one read of Microsoft: every waiter gets the
leader's answer, and a waiter whose leader fails, or keeps nothing, reads for itself instead of hanging."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache

from booking.search import merged_reads

KEYS = {1: "fb:1:window", 2: "fb:2:window"}
WAITERS = 5


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


class SlowReader:
    """A read of Microsoft that holds until the test lets it go, counting the calls (the first may fail)."""

    def __init__(self, *, first_fails: bool = False, answer: str = "free") -> None:
        self.calls: list[list[int]] = []
        self.release, self.started = threading.Event(), threading.Event()
        self.first_fails, self.answer = first_fails, answer
        self._lock = threading.Lock()

    def __call__(self, items: list[int]) -> dict[int, str]:
        with self._lock:
            self.calls.append(sorted(items))
            first = len(self.calls) == 1
        self.started.set()
        assert self.release.wait(5), "the test never let the read go"
        if first and self.first_fails:
            raise TimeoutError("Microsoft 365 did not answer")
        return {item: f"{self.answer} {item}" for item in items}


def together(reader: SlowReader, keep: Callable[[str], bool] = lambda v: True) -> list[dict[int, str] | str]:
    """WAITERS + 1 searches missing the same keys at once, the first the leader; each one's answer or error."""

    def search() -> dict[int, str] | str:
        try:
            return merged_reads.read_once(KEYS, reader, keep=keep, seconds=60)
        except TimeoutError as error:
            return str(error)

    with ThreadPoolExecutor(WAITERS + 1) as pool:
        leader = pool.submit(search)
        assert reader.started.wait(5)
        waiters = [pool.submit(search) for _ in range(WAITERS)]
        threading.Timer(0.2, reader.release.set).start()  # the waiters are waiting by then
        return [future.result(timeout=10) for future in [leader, *waiters]]


def test_searches_missing_the_same_free_busy_at_once_read_it_once_and_all_get_the_same_answer() -> None:
    reader = SlowReader()
    answers = together(reader)
    assert reader.calls == [[1, 2]]
    assert answers == [{1: "free 1", 2: "free 2"}] * (WAITERS + 1)
    assert cache.get_many(list(KEYS.values())) == {"fb:1:window": "free 1", "fb:2:window": "free 2"}


def test_a_waiter_whose_leader_fails_reads_for_itself_instead_of_hanging() -> None:
    reader = SlowReader(first_fails=True)
    answers = together(reader)
    assert answers[0] == "Microsoft 365 did not answer"  # the leader's caller sees its own failure
    assert all(a == {1: "free 1", 2: "free 2"} for a in answers[1:])
    assert 2 <= len(reader.calls) <= WAITERS + 1  # the waiters read again (one may find another's answer kept)


def test_what_the_leader_does_not_keep_is_read_again_by_each_waiter() -> None:
    reader = SlowReader(answer="unreadable")
    answers = together(reader, keep=lambda value: not value.startswith("unreadable"))
    assert all(a == {1: "unreadable 1", 2: "unreadable 2"} for a in answers)
    assert cache.get_many(list(KEYS.values())) == {}  # an error is worth asking again next time


def test_a_waiter_reads_for_itself_when_the_leader_takes_too_long(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(merged_reads, "WAIT_SECONDS", 0.1)
    cache.add("read-once:" + _digest(), 1, 60)  # a leader that took the lock and never answers
    answer = merged_reads.read_once(KEYS, lambda items: {i: f"fresh {i}" for i in items}, keep=bool, seconds=60)
    assert answer == {1: "fresh 1", 2: "fresh 2"}


def test_a_search_alone_reads_once_and_keeps_the_answer_for_the_next() -> None:
    calls: list[list[int]] = []

    def read(items: list[int]) -> dict[int, str]:
        calls.append(items)
        return {i: f"free {i}" for i in items}

    first = merged_reads.read_once(KEYS, read, keep=bool, seconds=60)
    assert first == {1: "free 1", 2: "free 2"} and calls == [[1, 2]]
    assert cache.get("fb:1:window") == "free 1"


def _digest() -> str:
    import hashlib

    return hashlib.blake2b(repr(sorted(KEYS.values())).encode(), digest_size=16).hexdigest()
