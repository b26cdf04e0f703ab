"""The request log as a data-contract check reads it: the ids each response carried, every query value, and what
the log forgot. And Graph paths the emulator does not serve, answered as Graph answers them."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

from m365_emulator.fixtures import DEMO_TENANT_ID, build_world
from m365_emulator.log import LogEntry, RequestLog
from m365_emulator.testing import EmulatorProcess
from tests.emulator.calendar_support import (
    ALEX,
    BOOKING_PROP,
    MEGAN,
    consented_app_token,
    copy_of,
    meeting,
    post_event,
    quiet_saturday,
)
from tests.emulator.helpers import graph


def test_the_log_keeps_the_ids_a_created_event_and_a_read_by_id_carried(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    since = emulator.last_seq()
    created = post_event(emulator, token, MEGAN, meeting(quiet_saturday(), 9, 30, [ALEX])).json()
    graph(emulator, "GET", f"/users/{MEGAN}/events/{created['id']}", token, params={"$select": "subject"})
    immutable = graph(emulator, "GET", f"/users/{MEGAN}/events/{created['id']}", token,
                      headers={"Prefer": 'IdType="ImmutableId"'}).json()  # fmt: skip
    post, read, read_immutable = emulator.log(since=since)
    assert (post["response_ids"], post["response_ical_uids"]) == ([created["id"]], [created["iCalUId"]])
    assert (read["response_ids"], read["response_ical_uids"]) == ([created["id"]], [created["iCalUId"]])
    assert read_immutable["response_ids"] == [immutable["id"]] != [created["id"]]
    # The attendee's copy is another event with the same iCalUId: it was never handed to the caller.
    assert copy_of(emulator, ALEX, created["iCalUId"])["id"] not in post["response_ids"] + read["response_ids"]


def test_a_listing_logs_the_id_of_every_event_it_returned_and_a_refused_read_none(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    day = quiet_saturday()
    tagged = meeting(day, 9, 30, [], singleValueExtendedProperties=[{"id": BOOKING_PROP, "value": "bk-1"}])
    first = post_event(emulator, token, MEGAN, tagged).json()
    post_event(emulator, token, MEGAN, meeting(day, 11, 30, []))
    since = emulator.last_seq()
    wanted = f"singleValueExtendedProperties/Any(ep: ep/id eq '{BOOKING_PROP}' and ep/value eq 'bk-1')"
    listed = graph(emulator, "GET", f"/users/{MEGAN}/events", token, params={"$filter": wanted}).json()
    graph(emulator, "GET", f"/users/{MEGAN}/events/AAMkAGnope", token)
    listing, missing = emulator.log(since=since)
    assert [e["id"] for e in listed["value"]] == listing["response_ids"] == [first["id"]]
    assert listing["query"] == {"$filter": [wanted]}
    assert (missing["status"], missing["response_ids"]) == (404, [])


def test_every_value_of_a_repeated_query_option_is_logged_and_graph_refuses_the_repetition(
    emulator: EmulatorProcess,
) -> None:
    token = consented_app_token(emulator)
    created = post_event(emulator, token, MEGAN, meeting(quiet_saturday(), 9, 30, [])).json()
    since = emulator.last_seq()
    path = f"/users/{MEGAN}/events/{created['id']}?$select=subject&$select=body&$expand=x"
    response = graph(emulator, "GET", path, token)
    assert response.status_code == 400
    assert "'$select' was specified more than once" in response.json()["error"]["message"]
    (entry,) = emulator.log(since=since)
    assert entry["query"] == {"$select": ["subject", "body"], "$expand": ["x"]}
    assert entry["response_ids"] == []


def test_the_log_endpoint_says_from_where_it_is_whole(emulator: EmulatorProcess) -> None:
    since = emulator.last_seq()
    graph(emulator, "GET", "/users", consented_app_token(emulator))
    answer = emulator.control("GET", f"/log?since={since}")
    assert (answer["dropped"], answer["complete"]) == (0, True)
    assert answer["first_seq"] <= answer["entries"][0]["seq"]


def test_a_full_log_counts_what_it_forgot_and_says_which_reads_are_incomplete() -> None:
    log = RequestLog(capacity=3)
    for _ in range(5):
        seq = log.next_seq()
        log.add(LogEntry(seq, "t", "GET", "/v1.0/users", {}, None, 200))
    assert [e["seq"] for e in log.since(0)] == [3, 4, 5]
    assert log.summary(0) == {"first_seq": 3, "dropped": 2, "complete": False}
    assert log.summary(2)["complete"] is True
    log.clear()
    assert log.summary(0) == {"first_seq": 6, "dropped": 0, "complete": True}


def test_a_path_the_emulator_does_not_serve_names_its_own_segment(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    created = post_event(emulator, token, MEGAN, meeting(quiet_saturday(), 9, 30, [])).json()
    unserved = {
        f"/users/{MEGAN}/calendarView": "calendarView",
        f"/users/{MEGAN}/calendar/calendarView": "calendarView",
        f"/users/{MEGAN}/messages": "messages",
        f"/users/{MEGAN}/events/{created['id']}/attachments": "attachments",
        "/me/mailFolders": "mailFolders",
        "/sites": "sites",
    }
    for path, segment in unserved.items():
        response = graph(emulator, "GET", path, token)
        assert response.status_code == 400, path
        error = response.json()["error"]
        assert (error["code"], error["message"]) == ("BadRequest", f"Resource not found for the segment '{segment}'.")


def test_a_world_with_calendars_pickles_and_still_answers_free_busy() -> None:
    now = datetime(2026, 3, 4, 12, tzinfo=UTC)
    tenant = build_world("demo", seed=1, client_secret="s", now=now).tenants[DEMO_TENANT_ID]
    store = tenant.calendars
    adele = tenant.user_by_address("adele.vance@contoso.onmicrosoft.com")
    assert store is not None and adele is not None
    window = (now, now + timedelta(days=7))
    before = [(i.start, i.end, i.event.id) for i in store.instances(adele.id, *window)]
    restored = pickle.loads(pickle.dumps(store))
    assert [(i.start, i.end, i.event.id) for i in restored.instances(adele.id, *window)] == before
    assert before


def test_a_read_inside_a_batch_logs_its_ids_on_its_own_entry(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    created = post_event(emulator, token, MEGAN, meeting(quiet_saturday(), 9, 30, [])).json()
    since = emulator.last_seq()
    reads = [{"id": "1", "method": "GET", "url": f"/users/{MEGAN}/events/{created['id']}?$select=start,end"}]
    assert graph(emulator, "POST", "/$batch", token, json={"requests": reads}).status_code == 200
    outer, inner = emulator.log(since=since)
    assert (outer["path"], outer["response_ids"]) == ("/v1.0/$batch", [])
    assert (inner["batch"], inner["response_ids"], inner["query"]) == (
        outer["seq"], [created["id"]], {"$select": ["start,end"]}
    )  # fmt: skip
