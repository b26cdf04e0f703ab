"""How long the client waits before trying Graph again: Graph's Retry-After first, else jittered backoff."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st
from requests.adapters import HTTPAdapter

from integrations.microsoft.client import GraphClient
from integrations.microsoft.config import MicrosoftConfig
from integrations.microsoft.transport import RetryPolicy, retry_after_seconds
from m365_emulator.testing import EmulatorProcess


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


def test_clients_for_one_configuration_share_one_session_so_connections_are_reused(
    config: MicrosoftConfig, emulator: EmulatorProcess
) -> None:
    emulator.grant_admin_consent()
    first, second = (GraphClient.for_tenant(config, emulator.tenant_id) for _ in range(2))
    adapter = first.transport.session.get_adapter(config.graph_base)
    assert isinstance(adapter, HTTPAdapter)
    pool = adapter.poolmanager.connection_from_url(config.graph_base)
    opened = pool.num_connections

    first.probe()
    second.probe()

    assert second.transport.session is first.transport.session
    assert pool.num_connections - opened <= 1  # the second client's call reused the first one's TLS connection
    other = replace(config, graph_url="https://127.0.0.1:1")
    assert GraphClient.for_tenant(other, emulator.tenant_id).transport.session is not first.transport.session


def test_the_shared_session_keeps_a_connection_for_every_call_a_web_process_makes_at_once(
    config: MicrosoftConfig,
) -> None:
    from config import gunicorn
    from integrations.microsoft.client import PARALLEL_CALLS
    from integrations.microsoft.transport import shared_session

    adapter = shared_session(config).get_adapter(config.graph_base)
    assert isinstance(adapter, HTTPAdapter)
    pool = adapter.poolmanager.connection_from_url(config.graph_base)
    assert pool.pool.maxsize >= gunicorn.threads * PARALLEL_CALLS  # 8 threads x 3 parallel calls
