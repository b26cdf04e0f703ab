"""Throttling, slowness and outages: Retry-After honoured, only throttled batch items resent, errors typed."""

from __future__ import annotations

import itertools
import threading
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from integrations.microsoft.auth import TenantTokens
from integrations.microsoft.client import GraphClient
from integrations.microsoft.config import MicrosoftConfig
from integrations.microsoft.errors import Throttled, Timeout, Unavailable
from integrations.microsoft.transport import GraphTransport, RetryPolicy, new_session
from integrations.microsoft.types import Event, NewEvent
from m365_emulator.testing import EmulatorProcess
from tests.microsoft.conftest import ADELE, MEGAN, graph_calls, next_monday


def throttle(emulator: EmulatorProcess, **rule: Any) -> None:
    emulator.control("POST", "/throttle", {"tenant": emulator.tenant_id, **rule})


def when(entry: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(entry["time"].replace("Z", "+00:00"))


def tuned_client(
    config: MicrosoftConfig, emulator: EmulatorProcess, *, budget: float = 30.0, timeout: float = 30.0
) -> GraphClient:
    """An app-only client (consent granted) with its own retry budget and read timeout."""
    emulator.grant_admin_consent()
    transport = GraphTransport(
        config,
        TenantTokens(config, emulator.tenant_id),
        session=new_session(config, timeout=(2.0, timeout)),
        policy=RetryPolicy(budget=budget),
    )
    return GraphClient(transport, delegated=False)


def new_event(n: int = 0) -> NewEvent:
    start = next_monday(hour=9) + timedelta(hours=n)
    return NewEvent(subject=f"Overlap {n}", start=start, end=start + timedelta(minutes=30), tag=f"BK-{n}")


def test_a_throttled_call_succeeds_after_waiting_as_long_as_graph_asked(
    graph: GraphClient, emulator: EmulatorProcess
) -> None:
    throttle(emulator, mailbox=ADELE, count=2, retry_after=0.35)
    since = emulator.last_seq()

    schedule = graph.get_schedules(ADELE, [MEGAN], next_monday(), next_monday() + timedelta(days=1))[MEGAN]

    assert schedule.error is None
    calls = graph_calls(emulator, since)
    assert [c["status"] for c in calls] == [429, 429, 200]
    gaps = [(when(b) - when(a)).total_seconds() for a, b in itertools.pairwise(calls)]
    assert all(gap >= 0.35 for gap in gaps), gaps


def test_a_create_throttled_by_graph_is_sent_again_and_makes_one_event(
    graph: GraphClient, emulator: EmulatorProcess
) -> None:
    throttle(emulator, mailbox=ADELE, count=1, retry_after=0.2)
    since = emulator.last_seq()

    event = graph.create_event(ADELE, replace(new_event(), transaction_id="0d7f5c1e-0000-4000-8000-00000000aaaa"))

    assert [c["status"] for c in graph_calls(emulator, since)] == [429, 201]
    assert graph.find_event_by_tag(ADELE, "BK-0") is not None and event.tag == "BK-0"


def test_it_gives_up_at_once_when_retry_after_is_beyond_its_time_budget(
    config: MicrosoftConfig, emulator: EmulatorProcess
) -> None:
    graph = tuned_client(config, emulator, budget=2.0)
    throttle(emulator, mailbox=ADELE, count=5, retry_after=30)
    since = emulator.last_seq()

    with pytest.raises(Throttled) as raised:
        graph.get_schedules(ADELE, [MEGAN], next_monday(), next_monday() + timedelta(days=1))

    assert raised.value.retry_after == 30 and not raised.value.permanent and raised.value.request_id
    assert len(graph_calls(emulator, since)) == 1


def test_only_the_throttled_items_of_a_batch_are_sent_again(graph: GraphClient, emulator: EmulatorProcess) -> None:
    ids = [graph.create_event(ADELE, new_event(n)).id for n in range(6)]
    throttle(emulator, mailbox=ADELE, count=2, retry_after=0.3)
    since = emulator.last_seq()

    events = graph.get_events(ADELE, ids)

    assert all(isinstance(e, Event) for e in events.values()) and list(events) == ids
    batches = [c for c in graph_calls(emulator, since) if c["path"] == "/v1.0/$batch"]
    assert [len(b["body"]["requests"]) for b in batches] == [6, 2]
    assert (when(batches[1]) - when(batches[0])).total_seconds() >= 0.3


def test_a_batch_item_still_throttled_after_the_budget_comes_back_as_throttled(
    config: MicrosoftConfig, emulator: EmulatorProcess
) -> None:
    graph = tuned_client(config, emulator, budget=1.0)
    [first, second] = [graph.create_event(ADELE, new_event(n)).id for n in range(2)]
    throttle(emulator, mailbox=ADELE, count=1, retry_after=10)

    events = graph.get_events(ADELE, [first, second])

    assert isinstance(events[first], Throttled) and isinstance(events[second], Event)


def test_graph_that_answers_too_slowly_is_a_timeout(config: MicrosoftConfig, emulator: EmulatorProcess) -> None:
    graph = tuned_client(config, emulator, timeout=0.3)
    emulator.control("POST", "/latency", {"ms": 1000})

    with pytest.raises(Timeout) as raised:
        graph.get_user(ADELE)

    assert not raised.value.permanent


def test_graph_that_cannot_be_reached_is_unavailable(config: MicrosoftConfig, emulator: EmulatorProcess) -> None:
    emulator.grant_admin_consent()
    nowhere = replace(config, graph_url="https://127.0.0.1:9")

    with pytest.raises(Unavailable) as raised:
        GraphClient.for_tenant(nowhere, emulator.tenant_id).get_user(ADELE)

    assert not raised.value.permanent


def test_entra_that_cannot_be_reached_is_unavailable(config: MicrosoftConfig, emulator: EmulatorProcess) -> None:
    nowhere = replace(config, login_url="https://127.0.0.1:9")

    with pytest.raises(Unavailable):
        GraphClient.for_tenant(nowhere, emulator.tenant_id).get_user(ADELE)


@pytest.mark.parametrize("status", [503, 504])
def test_a_brief_outage_is_waited_out_and_the_call_succeeds(
    graph: GraphClient, emulator: EmulatorProcess, status: int
) -> None:
    throttle(emulator, mailbox=ADELE, count=2, status=status, retry_after=0.2)
    since = emulator.last_seq()

    schedule = graph.get_schedules(ADELE, [MEGAN], next_monday(), next_monday() + timedelta(days=1))[MEGAN]

    assert schedule.error is None
    assert [c["status"] for c in graph_calls(emulator, since)] == [status, status, 200]


def test_an_outage_longer_than_the_budget_is_unavailable_and_transient(
    config: MicrosoftConfig, emulator: EmulatorProcess
) -> None:
    graph = tuned_client(config, emulator, budget=1.0)
    throttle(emulator, mailbox=ADELE, count=50, status=503, retry_after=0.3)

    with pytest.raises(Unavailable) as caught:
        graph.get_schedules(ADELE, [MEGAN], next_monday(), next_monday() + timedelta(days=1))

    assert caught.value.permanent is False
    assert caught.value.status == 503


def test_a_token_that_expires_while_waiting_out_a_retry_after_is_renewed_and_the_call_succeeds(
    graph: GraphClient, emulator: EmulatorProcess
) -> None:
    throttle(emulator, mailbox=ADELE, count=1, retry_after=1.5)
    since = emulator.last_seq()
    expiry = threading.Timer(1.1, lambda: emulator.control("POST", "/access-tokens/expire"))
    expiry.start()

    schedule = graph.get_schedules(ADELE, [MEGAN], next_monday(), next_monday() + timedelta(days=1))[MEGAN]

    expiry.join()
    assert schedule.error is None
    assert [c["status"] for c in graph_calls(emulator, since)] == [429, 401, 200]
