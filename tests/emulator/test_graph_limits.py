"""Throttling, latency, the application access policy, $batch and the request log, as Graph shows them."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from m365_emulator.testing import EmulatorProcess
from tests.emulator.helpers import app_token, graph

MEGAN = "megan.bowen@contoso.onmicrosoft.com"
ALEX = "alex.wilber@contoso.onmicrosoft.com"
JONI = "joni.sherman@contoso.onmicrosoft.com"  # not in "Overlap users"


@pytest.fixture
def token(emulator: EmulatorProcess) -> str:
    emulator.grant_admin_consent()
    return app_token(emulator)


def _events(emulator: EmulatorProcess, token: str, who: str) -> int:
    return graph(emulator, "GET", f"/users/{who}/events", token, params={"$top": "1"}).status_code


def test_forced_throttling_answers_429_with_retry_after_and_graphs_body(emulator: EmulatorProcess, token: str) -> None:
    emulator.control("POST", "/throttle", {"mailbox": MEGAN, "count": 2, "retry_after": 2.5})
    first = graph(emulator, "GET", f"/users/{MEGAN}/events", token)
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "2.5"
    error = first.json()["error"]
    assert (error["code"], error["message"]) == ("TooManyRequests", "Please retry again later.")
    assert error["innerError"]["status"] == "429"
    assert _events(emulator, token, ALEX) == 200  # another mailbox is not affected
    assert _events(emulator, token, MEGAN) == 429
    assert _events(emulator, token, MEGAN) == 200


def test_a_rate_limit_refuses_calls_over_the_window(emulator: EmulatorProcess, token: str) -> None:
    emulator.control("POST", "/throttle", {"mailbox": ALEX, "rate": 3, "window": 60})
    assert [_events(emulator, token, ALEX) for _ in range(3)] == [200, 200, 200]
    refused = graph(emulator, "GET", f"/users/{ALEX}/events", token)
    assert refused.status_code == 429
    assert 0 < float(refused.headers["Retry-After"]) <= 60


def test_more_than_four_concurrent_calls_to_one_mailbox_are_refused(emulator: EmulatorProcess, token: str) -> None:
    emulator.control("POST", "/latency", {"ms": 800})
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: _calls_in_parallel(emulator, token), range(8)))
    assert statuses.count(200) >= 4
    refused = [s for s in statuses if s != 200]
    assert refused and set(refused) == {429}


def test_the_most_calls_in_flight_at_once_are_reported_per_mailbox_until_cleared(
    emulator: EmulatorProcess, token: str
) -> None:
    emulator.control("POST", "/latency", {"ms": 500})
    with ThreadPoolExecutor(max_workers=3) as pool:
        statuses = list(pool.map(lambda _: _calls_in_parallel(emulator, token), range(3)))
    _events(emulator, token, ALEX)
    peaks = emulator.control("GET", "/throttle")["peak_in_flight"]
    emulator.control("POST", "/throttle", {"clear": True})

    assert statuses == [200, 200, 200]
    assert peaks[emulator.user_id(MEGAN)] == 3 and peaks[emulator.user_id(ALEX)] == 1
    assert emulator.control("GET", "/throttle")["peak_in_flight"] == {}


def _calls_in_parallel(emulator: EmulatorProcess, token: str) -> int:
    session = emulator.new_session()  # one connection per caller, as parallel clients have
    url = f"{emulator.base_url}/v1.0/users/{MEGAN}/events"
    response = session.get(url, headers={"Authorization": f"Bearer {token}"}, params={"$top": "1"}, timeout=10)
    if response.status_code == 429:
        assert response.json()["error"]["code"] == "ApplicationThrottled"
    return response.status_code


def test_latency_delays_graph_calls_until_reset(emulator: EmulatorProcess, token: str) -> None:
    emulator.control("POST", "/latency", {"ms": 300})
    started = time.monotonic()
    assert _events(emulator, token, MEGAN) == 200
    assert time.monotonic() - started >= 0.3
    emulator.control("POST", "/latency", {"ms": 0})
    started = time.monotonic()
    _events(emulator, token, MEGAN)
    assert time.monotonic() - started < 0.3


def test_the_access_policy_shuts_out_mailboxes_outside_the_group(emulator: EmulatorProcess, token: str) -> None:
    body = {"client_id": emulator.client_id, "group": f"overlap-users@{emulator.tenant_domain}"}
    emulator.control("POST", f"/tenants/{emulator.tenant_id}/access-policy", body)
    refused = graph(emulator, "GET", f"/users/{JONI}/events", token)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "ErrorAccessDenied"
    assert refused.json()["error"]["message"] == "Access to OData is disabled."
    assert _events(emulator, token, MEGAN) == 200
    emulator.control("POST", f"/tenants/{emulator.tenant_id}/access-policy", {**body, "group": None})
    assert _events(emulator, token, JONI) == 200


def test_a_batch_answers_each_request_and_424s_failed_dependencies(emulator: EmulatorProcess, token: str) -> None:
    requests = [
        {"id": "1", "method": "GET", "url": f"/users/{MEGAN}?$select=displayName"},
        {"id": "2", "method": "GET", "url": "/users/nobody@contoso.onmicrosoft.com"},
        {"id": "3", "method": "GET", "url": f"/users/{ALEX}", "dependsOn": ["2"]},
        {"id": "4", "method": "GET", "url": f"/users/{ALEX}", "dependsOn": ["1"]},
    ]
    response = graph(emulator, "POST", "/$batch", token, json={"requests": requests})
    assert response.status_code == 200
    by_id = {item["id"]: item for item in response.json()["responses"]}
    assert by_id["1"]["status"] == 200 and by_id["1"]["body"]["displayName"] == "Megan Bowen"
    assert by_id["2"]["status"] == 404
    assert by_id["3"]["status"] == 424
    assert by_id["4"]["status"] == 200


def test_a_batch_throttles_each_request_on_its_own(emulator: EmulatorProcess, token: str) -> None:
    emulator.control("POST", "/throttle", {"mailbox": MEGAN, "count": 1, "retry_after": 3})
    requests = [
        {"id": "a", "method": "GET", "url": f"/users/{MEGAN}/events"},
        {"id": "b", "method": "GET", "url": f"/users/{ALEX}/events"},
    ]
    by_id = {
        r["id"]: r for r in graph(emulator, "POST", "/$batch", token, json={"requests": requests}).json()["responses"]
    }
    assert by_id["a"]["status"] == 429
    assert by_id["a"]["headers"]["Retry-After"] == "3"
    assert by_id["b"]["status"] == 200


@pytest.mark.parametrize(
    "payload",
    [
        {"requests": [{"id": str(i), "method": "GET", "url": "/users"} for i in range(21)]},
        {"requests": [{"id": "x", "method": "GET", "url": "/users"}, {"id": "X", "method": "GET", "url": "/users"}]},
        {"requests": [{"id": "1", "method": "POST", "url": "/users/x/events", "body": {"subject": "no headers"}}]},
        {"nothing": True},
    ],
    ids=["over-20", "duplicate-ids", "body-without-content-type", "no-requests"],
)
def test_a_malformed_batch_is_refused_whole(emulator: EmulatorProcess, token: str, payload: dict[str, object]) -> None:
    response = graph(emulator, "POST", "/$batch", token, json=payload)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadRequest"


def test_a_body_that_is_not_json_gets_400(emulator: EmulatorProcess, token: str) -> None:
    response = graph(emulator, "POST", "/$batch", token, data="{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400


def test_the_log_shows_batch_members_and_delegated_callers(emulator: EmulatorProcess, token: str) -> None:
    since = emulator.last_seq()
    graph(
        emulator,
        "POST",
        "/$batch",
        token,
        json={"requests": [{"id": "1", "method": "GET", "url": f"/users/{MEGAN}/events"}]},
    )
    entries = emulator.log(since=since)
    outer, inner = entries
    assert (outer["path"], inner["path"]) == ("/v1.0/$batch", f"/v1.0/users/{MEGAN}/events")
    assert inner["batch"] == outer["seq"]
    assert inner["mailbox"] == MEGAN
    assert inner["token_kind"] == "app" and inner["user"] is None


def test_an_outage_answers_503_then_recovers(emulator: EmulatorProcess, token: str) -> None:
    emulator.control("POST", "/throttle", {"count": 1, "status": 503, "retry_after": 2})
    down = graph(emulator, "GET", f"/users/{MEGAN}/events", token)
    assert down.status_code == 503
    assert down.headers["Retry-After"] == "2"
    assert down.json()["error"]["code"] == "ServiceNotAvailable"
    assert _events(emulator, token, MEGAN) == 200


def test_a_reset_clears_throttling_and_latency(emulator: EmulatorProcess, token: str) -> None:
    emulator.control("POST", "/throttle", {"count": 5})
    emulator.control("POST", "/latency", {"ms": 500})
    emulator.reset()
    emulator.grant_admin_consent()
    fresh = app_token(emulator)
    started = time.monotonic()
    assert _events(emulator, fresh, MEGAN) == 200
    assert time.monotonic() - started < 0.5
