"""A series' occurrences as Graph shows and changes them, over real HTTPS: the instances listing, one occurrence
moved (an exception) or cancelled, the series shortened or repatterned, and every attendee's copy and free/busy
following (Graph v1.0 `event-list-instances`, `event-update`, `event-cancel`; M365-FACTS §10)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import requests

from m365_emulator.testing import EmulatorProcess
from tests.emulator.calendar_support import (
    ADELE,
    ALEX,
    CONTOSO,
    consented_app_token,
    copy_of,
    empty_mailbox,
    post_event,
    quiet_saturday,
    schedule_items,
    user_token,
    utc,
)
from tests.emulator.helpers import graph

EUROPE = "W. Europe Standard Time"
# Tuesdays at 10:00 in Berlin from 2 March 2027, ten of them: 09:00Z until the clocks change on 28 March, then 08:00Z.
TUESDAYS = ["2027-03-02", "2027-03-09", "2027-03-16", "2027-03-23", "2027-03-30", "2027-04-06", "2027-04-13",
            "2027-04-20", "2027-04-27", "2027-05-04"]  # fmt: skip
WINDOW = {"startDateTime": "2027-03-01T00:00:00Z", "endDateTime": "2027-06-01T00:00:00Z"}


def weekly(attendees: list[str], **fields: Any) -> dict[str, Any]:
    return {
        "subject": "One-to-one",
        "start": {"dateTime": "2027-03-02T10:00:00", "timeZone": EUROPE},
        "end": {"dateTime": "2027-03-02T10:30:00", "timeZone": EUROPE},
        "attendees": [{"emailAddress": {"address": a}, "type": "required"} for a in attendees],
        "recurrence": {
            "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["Tuesday"]},
            "range": {
                "type": "numbered",
                "startDate": "2027-03-02",
                "numberOfOccurrences": 10,
                "recurrenceTimeZone": EUROPE,
            },
        },
        **fields,
    }


class Series:
    """A weekly series made by an organizer with one colleague invited, both with calendars of their own."""

    def __init__(self, emulator: EmulatorProcess, **fields: Any) -> None:
        self.emulator = emulator
        self.token = consented_app_token(emulator)
        self.organizer = empty_mailbox(emulator, "series.organizer", EUROPE)
        self.colleague = empty_mailbox(emulator, "series.colleague", "Eastern Standard Time")
        created = post_event(emulator, self.token, self.organizer, weekly([self.colleague], **fields))
        assert created.status_code == 201, created.text
        self.master: dict[str, Any] = created.json()
        self.copy_id = str(copy_of(emulator, self.colleague, self.master["iCalUId"])["id"])

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        return graph(self.emulator, method, f"/users/{self.organizer}{path}", self.token, **kw)

    def instances(self, mailbox: str | None = None, series_id: str | None = None, **params: str) -> list[dict]:
        """Every page of the series' instances in `mailbox` (the organizer's unless named)."""
        mailbox, series_id = mailbox or self.organizer, series_id or self.master["id"]
        answer = graph(self.emulator, "GET", f"/users/{mailbox}/events/{series_id}/instances", self.token,
                       params={**WINDOW, **params})  # fmt: skip
        assert answer.status_code == 200, answer.text
        found = list(answer.json()["value"])
        while "@odata.nextLink" in answer.json():
            answer = self.emulator.session.get(
                answer.json()["@odata.nextLink"], headers={"Authorization": f"Bearer {self.token}"}, timeout=10
            )
            found += answer.json()["value"]
        return found

    def colleagues(self) -> list[dict]:
        return self.instances(self.colleague, self.copy_id)

    def nth(self, n: int, mailbox: str | None = None) -> dict[str, Any]:
        found = self.instances(mailbox, None if mailbox is None else self.copy_id)
        return next(o for o in found if o["originalStart"].startswith(TUESDAYS[n]))


def days(occurrences: list[dict[str, Any]]) -> list[str]:
    return [o["start"]["dateTime"][:10] for o in occurrences]


def move_body(day: str, hour: int) -> dict[str, Any]:
    return {"start": {"dateTime": f"{day}T{hour:02}:00:00", "timeZone": "UTC"},
            "end": {"dateTime": f"{day}T{hour:02}:30:00", "timeZone": "UTC"}}  # fmt: skip


def test_the_instances_are_occurrences_of_their_series_at_the_same_wall_clock_time(emulator: EmulatorProcess) -> None:
    series = Series(emulator)

    found = series.instances()

    assert days(found) == TUESDAYS
    assert {(o["type"], o["seriesMasterId"], o["recurrence"]) for o in found} == {
        ("occurrence", series.master["id"], None)
    }
    assert [o["start"]["dateTime"][11:16] for o in found] == ["09:00"] * 4 + ["08:00"] * 6  # Berlin's summer time
    assert found[0]["originalStart"] == "2027-03-02T09:00:00Z"
    assert len({o["id"] for o in found} | {series.master["id"]}) == 11  # each its own id
    assert len({o["iCalUId"] for o in found}) == 10
    assert series.master["type"] == "seriesMaster" and series.master["seriesMasterId"] is None


def test_the_instances_window_is_required_and_selects_what_overlaps_it(emulator: EmulatorProcess) -> None:
    series = Series(emulator)
    path = f"/events/{series.master['id']}/instances"

    missing = series.call("GET", path, params={"startDateTime": WINDOW["startDateTime"]})
    april = series.instances(startDateTime="2027-04-01T00:00:00", endDateTime="2027-04-20T08:00:00Z")

    assert missing.status_code == 400 and missing.json()["error"]["code"] == "ErrorInvalidParameter"
    assert days(april) == ["2027-04-06", "2027-04-13"]  # the 20th starts as the window ends


def test_select_and_paging_give_every_occurrence_once_with_only_the_asked_fields(emulator: EmulatorProcess) -> None:
    series = Series(emulator)

    found = series.instances(**{"$select": "start,originalStart", "$top": "3"})

    assert days(found) == TUESDAYS
    assert {frozenset(o) for o in found} == {frozenset({"@odata.etag", "id", "start", "originalStart"})}


def test_the_instances_listing_works_inside_a_batch(emulator: EmulatorProcess) -> None:
    series = Series(emulator)
    url = f"/users/{series.organizer}/events/{series.master['id']}/instances?startDateTime=2027-03-01T00:00:00Z"
    requests_ = [
        {"id": "march", "method": "GET", "url": url + "&endDateTime=2027-04-01T00:00:00Z"},
        {"id": "broken", "method": "GET", "url": url},
    ]

    answer = graph(emulator, "POST", "/$batch", series.token, json={"requests": requests_})

    responses = {r["id"]: r for r in answer.json()["responses"]}
    assert responses["march"]["status"] == 200 and days(responses["march"]["body"]["value"]) == TUESDAYS[:5]
    assert responses["broken"]["status"] == 400


def test_a_moved_occurrence_becomes_an_exception_in_both_calendars_and_in_free_busy(emulator: EmulatorProcess) -> None:
    series = Series(emulator)
    third = series.nth(2)

    moved = series.call("PATCH", f"/events/{third['id']}", json=move_body("2027-03-17", 14))

    assert moved.status_code == 200, moved.text
    assert (moved.json()["type"], moved.json()["id"]) == ("exception", third["id"])
    assert moved.json()["originalStart"] == "2027-03-16T09:00:00Z"
    for found in (series.instances(), series.colleagues()):
        assert days(found) == [*TUESDAYS[:2], "2027-03-17", *TUESDAYS[3:]]
        assert [o["type"] for o in found].count("exception") == 1
    busy = schedule_items(emulator, series.token, series.colleague, "2027-03-01T00:00:00", "2027-04-01T00:00:00")
    assert [i["start"]["dateTime"][:16] for i in busy] == [
        "2027-03-02T09:00", "2027-03-09T09:00", "2027-03-17T14:00", "2027-03-23T09:00", "2027-03-30T08:00"
    ]  # fmt: skip
    again = series.call("GET", f"/events/{third['id']}")
    assert again.json()["start"]["dateTime"].startswith("2027-03-17T14:00")


def test_an_occurrence_cannot_be_moved_onto_or_past_a_neighbours_day(emulator: EmulatorProcess) -> None:
    series = Series(emulator)
    third = series.nth(2)

    onto = series.call("PATCH", f"/events/{third['id']}", json=move_body("2027-03-09", 14))
    past = series.call("PATCH", f"/events/{third['id']}", json=move_body("2027-03-24", 9))

    for refused in (onto, past):
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "ErrorOccurrenceCrossingBoundary"
    assert days(series.instances()) == TUESDAYS


def test_a_cancelled_occurrence_leaves_both_calendars_and_free_busy(emulator: EmulatorProcess) -> None:
    series = Series(emulator)
    second = series.nth(1)

    cancelled = series.call("POST", f"/events/{second['id']}/cancel", json={"comment": "Away that week"})

    assert cancelled.status_code == 202
    expected = [TUESDAYS[0], *TUESDAYS[2:]]
    assert days(series.instances()) == days(series.colleagues()) == expected
    assert series.call("GET", f"/events/{second['id']}").status_code == 404
    busy = schedule_items(emulator, series.token, series.colleague, "2027-03-01T00:00:00", "2027-04-30T00:00:00")
    assert [i["start"]["dateTime"][:10] for i in busy] == expected[:-1]  # a window under 62 days


def test_an_attendee_cannot_cancel_an_occurrence(emulator: EmulatorProcess) -> None:
    series = Series(emulator)
    theirs = series.nth(1, series.colleague)

    refused = graph(emulator, "POST", f"/users/{series.colleague}/events/{theirs['id']}/cancel", series.token,
                    json={"comment": "no"})  # fmt: skip

    assert refused.status_code == 400
    assert days(series.instances()) == TUESDAYS


def test_cancelling_the_master_cancels_the_whole_series(emulator: EmulatorProcess) -> None:
    series = Series(emulator)

    assert series.call("POST", f"/events/{series.master['id']}/cancel", json={"comment": "Ended"}).status_code == 202

    assert series.call("GET", f"/events/{series.master['id']}/instances", params=WINDOW).status_code == 404
    assert copy_of(emulator, series.colleague, series.master["iCalUId"])["isCancelled"] is True
    assert series.colleagues() == []


def test_a_shorter_range_ends_the_series_for_everyone_and_keeps_earlier_exceptions(emulator: EmulatorProcess) -> None:
    series = Series(emulator)
    series.call("PATCH", f"/events/{series.nth(1)['id']}", json=move_body("2027-03-10", 15))
    recurrence = series.call("GET", f"/events/{series.master['id']}").json()["recurrence"]
    recurrence["range"] |= {"type": "endDate", "endDate": "2027-03-23"}

    patched = series.call("PATCH", f"/events/{series.master['id']}", json={"recurrence": recurrence})

    assert patched.status_code == 200, patched.text
    expected = ["2027-03-02", "2027-03-10", "2027-03-16", "2027-03-23"]
    assert days(series.instances()) == days(series.colleagues()) == expected


def test_a_new_pattern_drops_the_exceptions(emulator: EmulatorProcess) -> None:
    series = Series(emulator)
    series.call("PATCH", f"/events/{series.nth(1)['id']}", json=move_body("2027-03-10", 15))
    series.call("POST", f"/events/{series.nth(3)['id']}/cancel", json={})
    recurrence = series.call("GET", f"/events/{series.master['id']}").json()["recurrence"]
    recurrence["pattern"] = {"type": "weekly", "interval": 2, "daysOfWeek": ["tuesday"]}

    series.call("PATCH", f"/events/{series.master['id']}", json={"recurrence": recurrence})

    fortnightly = [*TUESDAYS[::2], "2027-05-11", "2027-05-25", "2027-06-08", "2027-06-22", "2027-07-06"]
    every = series.instances(endDateTime="2027-08-01T00:00:00Z")
    theirs = series.instances(series.colleague, series.copy_id, endDateTime="2027-08-01T00:00:00Z")
    assert days(every) == days(theirs) == fortnightly
    assert {o["type"] for o in every} == {"occurrence"}


def test_an_attendees_answer_to_one_occurrence_shows_on_the_organizers_occurrence(emulator: EmulatorProcess) -> None:
    series = Series(emulator)
    theirs = {n: series.nth(n, series.colleague)["id"] for n in (0, 1)}
    respond = f"/tenants/{CONTOSO}/mailboxes/{series.colleague}/events/{{}}/respond"

    emulator.control("POST", respond.format(theirs[0]), {"response": "accepted"})
    emulator.control("POST", respond.format(theirs[1]), {"response": "declined"})

    answers = [o["attendees"][0]["status"]["response"] for o in series.instances()]
    assert answers == ["accepted", "declined"] + ["none"] * 8
    assert series.instances()[0]["attendees"][0]["status"]["time"] != "0001-01-01T00:00:00Z"
    kept = series.colleagues()
    assert days(kept) == [TUESDAYS[0], *TUESDAYS[2:]]  # declining one takes it off their calendar
    assert [(o["responseStatus"]["response"], o["showAs"]) for o in kept[:2]] == [
        ("accepted", "busy"), ("notResponded", "tentative")
    ]  # fmt: skip
    busy = schedule_items(emulator, series.token, series.colleague, "2027-03-01T00:00:00", "2027-03-20T00:00:00")
    assert [(i["start"]["dateTime"][:10], i["status"]) for i in busy] == [
        ("2027-03-02", "busy"),
        ("2027-03-16", "tentative"),
    ]


def test_a_retried_series_create_with_the_same_transaction_id_returns_the_same_series(
    emulator: EmulatorProcess,
) -> None:
    series = Series(emulator, transactionId="5d3c9a70-0000-4000-8000-00000000a001")

    again = post_event(emulator, series.token, series.organizer, weekly([series.colleague],
                       transactionId="5d3c9a70-0000-4000-8000-00000000a001"))  # fmt: skip

    assert again.json()["id"] == series.master["id"] and again.json()["type"] == "seriesMaster"
    for mailbox in (series.organizer, series.colleague):
        events = emulator.control("GET", f"/tenants/{CONTOSO}/mailboxes/{mailbox}/events")["value"]
        assert len(events) == 1


def test_the_request_log_names_the_occurrences_an_instances_listing_returned(emulator: EmulatorProcess) -> None:
    series = Series(emulator)
    since = emulator.last_seq()

    found = series.instances(**{"$top": "20"})

    [entry] = [e for e in emulator.log(since) if e["path"].endswith("/instances")]
    assert entry["response_ids"] == [o["id"] for o in found]
    assert set(entry["response_ical_uids"]) == {series.master["iCalUId"]}  # the meeting each belongs to


def test_find_meeting_times_sees_a_series_as_the_instances_listing_shows_it(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    first = quiet_saturday()
    body = {
        "subject": "Saturday series",
        "start": utc(first, 10), "end": utc(first, 11),
        "recurrence": {"pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["saturday"]},
                       "range": {"type": "numbered", "startDate": first.isoformat(), "numberOfOccurrences": 2,
                                 "recurrenceTimeZone": "UTC"}},
    }  # fmt: skip
    master = post_event(emulator, token, ALEX, body).json()
    window = {"startDateTime": f"{first}T00:00:00Z", "endDateTime": f"{first + timedelta(days=14)}T00:00:00Z"}
    listed = graph(emulator, "GET", f"/users/{ALEX}/events/{master['id']}/instances", token, params=window).json()
    [one, two] = listed["value"]
    graph(emulator, "POST", f"/users/{ALEX}/events/{one['id']}/cancel", token, json={})
    second = first + timedelta(days=7)
    graph(emulator, "PATCH", f"/users/{ALEX}/events/{two['id']}", token, json=move_body(second.isoformat(), 9))
    adele = user_token(emulator, ADELE)

    def starts(day: Any) -> list[str]:
        asked = {
            "attendees": [{"type": "required", "emailAddress": {"address": ALEX}}],
            "timeConstraint": {"activityDomain": "unrestricted",
                               "timeSlots": [{"start": utc(day, 9), "end": utc(day, 12)}]},
            "meetingDuration": "PT1H",
        }  # fmt: skip
        found = graph(emulator, "POST", "/me/findMeetingTimes", adele, json=asked).json()
        return [s["meetingTimeSlot"]["start"]["dateTime"][11:16] for s in found["meetingTimeSuggestions"]]

    assert starts(first) == ["09:00", "09:30", "10:00", "10:30", "11:00"]  # the cancelled occurrence frees 10:00
    assert starts(second) == ["09:30", "10:00", "10:30", "11:00"]  # the moved one holds 09:00 to 09:30, not 10:00


def test_the_organizer_moves_and_cancels_one_occurrence_in_outlook(emulator: EmulatorProcess) -> None:
    series = Series(emulator)
    outlook = f"/tenants/{CONTOSO}/mailboxes/{series.organizer}/events/{{}}/{{}}"
    first, second = series.instances()[:2]

    emulator.control("POST", outlook.format(first["id"], "move"), move_body("2027-03-03", 16))
    emulator.control("POST", outlook.format(second["id"], "cancel"), {})

    for found in (series.instances(), series.colleagues()):
        assert days(found) == ["2027-03-03", *TUESDAYS[2:]]
        assert found[0]["type"] == "exception"


def test_a_series_changed_through_graph_and_one_changed_through_the_control_api_have_the_same_free_busy(
    emulator: EmulatorProcess,
) -> None:
    """The control API makes no event (a series comes from Graph or the seeded fixture), but it changes one as
    Outlook would; both routes must leave getSchedule, the instances and the control listing saying the same."""
    token = consented_app_token(emulator)
    made: dict[str, tuple[str, str, str]] = {}
    for route in ("graph", "control"):
        organizer = empty_mailbox(emulator, f"{route}.organizer", EUROPE)
        colleague = empty_mailbox(emulator, f"{route}.colleague", "Eastern Standard Time")
        master = post_event(emulator, token, organizer, weekly([colleague])).json()
        found = graph(emulator, "GET", f"/users/{organizer}/events/{master['id']}/instances", token, params=WINDOW)
        by_day = {o["originalStart"][:10]: o["id"] for o in found.json()["value"]}
        if route == "graph":
            moved = graph(emulator, "PATCH", f"/users/{organizer}/events/{by_day['2027-03-09']}", token,
                          json=move_body("2027-03-11", 16))  # fmt: skip
            cancelled = graph(emulator, "POST", f"/users/{organizer}/events/{by_day['2027-03-30']}/cancel", token,
                              json={"comment": "Away"})  # fmt: skip
            assert (moved.status_code, cancelled.status_code) == (200, 202), (moved.text, cancelled.text)
        else:
            outlook = f"/tenants/{CONTOSO}/mailboxes/{organizer}/events/{{}}/{{}}"
            emulator.control("POST", outlook.format(by_day["2027-03-09"], "move"), move_body("2027-03-11", 16))
            emulator.control("POST", outlook.format(by_day["2027-03-30"], "cancel"), {})
        made[route] = (organizer, colleague, master["iCalUId"])

    def busy(address: str) -> list[tuple[str, str, str]]:
        items = schedule_items(emulator, token, address, "2027-03-01T00:00:00", "2027-04-30T00:00:00")
        return [(i["start"]["dateTime"][:16], i["end"]["dateTime"][:16], i["status"]) for i in items]

    def listed(address: str, ical_uid: str) -> list[str]:
        path = f"/tenants/{CONTOSO}/mailboxes/{address}/events?start=2027-03-01T00:00:00Z&end=2027-04-30T00:00:00Z"
        [series] = [e for e in emulator.control("GET", path)["value"] if e["iCalUId"] == ical_uid]
        return [o["start"][:16] for o in series["occurrences"]]

    # Tuesdays 10:00 in Berlin: 09:00Z, 08:00Z from 28 March; 9 March moved to 11 March 16:00Z, 30 March cancelled.
    expected = ["2027-03-02T09:00", "2027-03-11T16:00", "2027-03-16T09:00", "2027-03-23T09:00", "2027-04-06T08:00",
                "2027-04-13T08:00", "2027-04-20T08:00", "2027-04-27T08:00"]  # fmt: skip
    (organizer, colleague, ical_uid), (other_organizer, other_colleague, other_uid) = made["graph"], made["control"]
    assert [start for start, _, _ in busy(organizer)] == expected
    assert [start for start, _, _ in busy(colleague)] == expected  # the colleague's copy follows the organizer's
    assert busy(organizer) == busy(other_organizer) and busy(colleague) == busy(other_colleague)
    assert sorted(listed(organizer, ical_uid)) == sorted(listed(other_organizer, other_uid)) == expected
