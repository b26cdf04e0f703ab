"""How long the client waits before trying Graph again: Graph's Retry-After first, else jittered backoff."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from integrations.microsoft.transport import RetryPolicy, retry_after_seconds


def test_it_reads_fractional_retry_after_seconds() -> None:
    assert retry_after_seconds({"Retry-After": "2.128"}) == 2.128
    assert retry_after_seconds({"Retry-After": "7"}) == 7.0


def test_an_unreadable_or_missing_retry_after_means_no_advice() -> None:
    assert retry_after_seconds({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) is None
    assert retry_after_seconds({}) is None


@given(st.floats(min_value=0, max_value=120), st.integers(min_value=0, max_value=5))
def test_it_never_waits_less_than_graph_asked_and_only_a_little_more(retry_after: float, attempt: int) -> None:
    delay = RetryPolicy().delay(attempt, retry_after)

    assert retry_after <= delay <= retry_after + 0.25


@given(st.integers(min_value=0, max_value=10))
def test_without_advice_it_backs_off_exponentially_with_jitter_up_to_a_ceiling(attempt: int) -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0)
    ceiling = min(8.0, 0.5 * 2**attempt)

    assert ceiling / 2 <= policy.delay(attempt, None) <= ceiling
