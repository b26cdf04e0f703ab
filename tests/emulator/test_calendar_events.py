"""Events over real HTTPS: create, deliver to attendees, tag, read, change, cancel and delete, as Graph does."""

from __future__ import annotations

from urllib.parse import quote

from m365_emulator.testing import EmulatorProcess
from tests.emulator.calendar_support import (
    ADELE,
    ALEX,
    BOOKING_PROP,
    MEGAN,
    consented_app_token,
    copy_of,
    mailbox,
    meeting,
    post_event,
    quiet_saturday,
    schedule,
    user_token,
    utc,
)
from tests.emulator.helpers import graph

TAG_FILTER = "singleValueExtendedProperties/Any(ep: ep/id eq '{id}' and ep/value eq '{value}')"


def tagged(code: str) -> list[dict[str, str]]:
    return [{"id": BOOKING_PROP, "value": code}]


def test_a_meeting_lands_in_the_attendees_calendar_as_a_tentative_copy(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    day = quiet_saturday()
    body = meeting(day, 9, 30, [MEGAN], isOnlineMeeting=True, onlineMeetingProvider="teamsForBusiness")
    created = post_event(emulator, token, ADELE, body)
    assert created.status_code == 201
    event = created.json()
    assert event["isOrganizer"] is True
    assert event["organizer"]["emailAddress"]["address"] == ADELE
    assert event["attendees"][0]["status"] == {"response": "none", "time": "0001-01-01T00:00:00Z"}
    assert event["attendees"][0]["emailAddress"]["name"] == "Megan Bowen"
    assert event["onlineMeeting"]["joinUrl"].startswith("https://teams.microsoft.com/l/meetup-join/")
    assert event["start"] == {"dateTime": f"{day.isoformat()}T09:00:00.0000000", "timeZone": "UTC"}
    copy = copy_of(emulator, MEGAN, event["iCalUId"])
    assert copy["id"] != event["id"]
    assert copy["isOrganizer"] is False
    assert copy["showAs"] == "tentative"
    assert copy["responseStatus"]["response"] == "notResponded"
    assert copy["onlineMeeting"] == event["onlineMeeting"]
    view = schedule(emulator, token, [MEGAN], utc(day, 9), utc(day, 10)).json()["value"][0]["availabilityView"]
    assert view == "10"


def test_a_retried_create_with_the_same_transaction_id_makes_no_second_meeting(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    body = meeting(quiet_saturday(), 9, 30, [MEGAN], transactionId="booking-7f3a")
    first = post_event(emulator, token, ADELE, body).json()
    again = post_event(emulator, token, ADELE, body)
    assert again.status_code == 201
    assert again.json()["id"] == first["id"]
    assert again.json()["transactionId"] == "booking-7f3a"
    assert [e["iCalUId"] for e in mailbox(emulator, ADELE)].count(first["iCalUId"]) == 1
    assert [e["iCalUId"] for e in mailbox(emulator, MEGAN)].count(first["iCalUId"]) == 1


def test_an_extended_property_is_read_back_and_found_by_filter(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    event = post_event(
        emulator, token, ADELE, meeting(quiet_saturday(), 9, 30, [MEGAN], singleValueExtendedProperties=tagged("BK-1"))
    ).json()
    expand = f"singleValueExtendedProperties($filter=id eq '{BOOKING_PROP}')"
    read = graph(emulator, "GET", f"/users/{ADELE}/events/{event['id']}", token, params={"$expand": expand}).json()
    assert read["singleValueExtendedProperties"] == [{"id": BOOKING_PROP, "value": "BK-1"}]
    plain = graph(emulator, "GET", f"/users/{ADELE}/events/{event['id']}", token).json()
    assert "singleValueExtendedProperties" not in plain
    found = graph(
        emulator,
        "GET",
        f"/users/{ADELE}/events",
        token,
        params={"$filter": TAG_FILTER.format(id=BOOKING_PROP, value="bk-1")},
    )
    assert [e["id"] for e in found.json()["value"]] == [event["id"]], "the value matches case-insensitively"
    assert "singleValueExtendedProperties" not in found.json()["value"][0]
    other_name = BOOKING_PROP.replace("OverlapBookingId", "overlapbookingid")
    missed = graph(
        emulator,
        "GET",
        f"/users/{ADELE}/events",
        token,
        params={"$filter": TAG_FILTER.format(id=other_name, value="BK-1")},
    )
    assert missed.json()["value"] == [], "the Name part of the id matches case-sensitively"
    attendee = graph(
        emulator,
        "GET",
        f"/users/{MEGAN}/events",
        token,
        params={"$filter": TAG_FILTER.format(id=BOOKING_PROP, value="BK-1")},
    )
    assert attendee.json()["value"] == [], "the tag stays on the organizer's copy"


def test_select_returns_only_the_asked_fields_with_id_and_etag(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    created = graph(
        emulator, "POST", f"/users/{ADELE}/calendar/events", token, json=meeting(quiet_saturday(), 9, 30, [MEGAN])
    )
    assert created.status_code == 201
    event = created.json()
    read = graph(
        emulator, "GET", f"/users/{ADELE}/calendar/events/{event['id']}", token, params={"$select": "subject,attendees"}
    )
    assert set(read.json()) == {"@odata.context", "@odata.etag", "id", "subject", "attendees"}


def test_a_patch_by_the_organizer_moves_every_copy_and_asks_attendees_again(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    day = quiet_saturday()
    event = post_event(emulator, token, ADELE, meeting(day, 9, 30, [MEGAN])).json()
    copy = copy_of(emulator, MEGAN, event["iCalUId"])
    emulator.control(
        "POST",
        f"/tenants/contoso.onmicrosoft.com/mailboxes/{MEGAN}/events/{copy['id']}/respond",
        {"response": "accepted"},
    )
    changed = graph(
        emulator,
        "PATCH",
        f"/users/{ADELE}/events/{event['id']}",
        token,
        json={"start": utc(day, 11), "end": utc(day, 12), "subject": "Moved"},
    )
    assert changed.status_code == 200
    assert changed.json()["subject"] == "Moved"
    assert changed.json()["end"]["dateTime"].startswith(f"{day.isoformat()}T12:00:00")
    assert changed.json()["attendees"][0]["status"]["response"] == "none"
    moved = copy_of(emulator, MEGAN, event["iCalUId"])
    assert (moved["subject"], moved["start"]["dateTime"][11:16]) == ("Moved", "11:00")
    assert moved["responseStatus"]["response"] == "notResponded"


def test_a_refused_patch_changes_nothing(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    day = quiet_saturday()
    event = post_event(emulator, token, ADELE, meeting(day, 9, 30, [])).json()
    refused = graph(
        emulator, "PATCH", f"/users/{ADELE}/events/{event['id']}", token, json={"subject": "New", "end": utc(day, 8)}
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "ErrorPropertyValidationFailure"
    assert graph(emulator, "GET", f"/users/{ADELE}/events/{event['id']}", token).json()["subject"] == event["subject"]


def test_it_refuses_bodies_with_a_missing_or_unknown_zone_or_an_end_before_the_start(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    day = quiet_saturday()
    no_zone = meeting(day, 9, 30, [])
    del no_zone["start"]["timeZone"]
    bad_zone = meeting(day, 9, 30, [])
    bad_zone["end"]["timeZone"] = "Atlantis Standard Time"
    backwards = meeting(day, 9, 30, [])
    backwards["end"] = utc(day, 8)
    for body in (no_zone, bad_zone, backwards):
        response = post_event(emulator, token, ADELE, body)
        assert response.status_code == 400, body
        assert response.json()["error"]["innerError"]["request-id"]
    assert mailbox(emulator, ADELE) == [e for e in mailbox(emulator, ADELE) if e["subject"] != "Overlap: planning"]


def test_cancel_by_the_organizer_removes_the_meeting_and_marks_the_attendees_copy(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    event = post_event(emulator, token, ADELE, meeting(quiet_saturday(), 9, 30, [MEGAN])).json()
    cancelled = graph(emulator, "POST", f"/users/{ADELE}/events/{event['id']}/cancel", token, json={"comment": "Sorry"})
    assert cancelled.status_code == 202
    assert cancelled.content == b""
    gone = graph(emulator, "GET", f"/users/{ADELE}/events/{event['id']}", token)
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "ErrorItemNotFound"
    assert copy_of(emulator, MEGAN, event["iCalUId"])["isCancelled"] is True


def test_an_attendee_cannot_cancel_the_meeting(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    event = post_event(emulator, token, ADELE, meeting(quiet_saturday(), 9, 30, [MEGAN])).json()
    copy = copy_of(emulator, MEGAN, event["iCalUId"])
    refused = graph(emulator, "POST", f"/users/{MEGAN}/events/{copy['id']}/cancel", token, json={})
    assert refused.status_code == 400
    assert "organizer" in refused.json()["error"]["message"]
    assert copy_of(emulator, MEGAN, event["iCalUId"])["isCancelled"] is False


def test_delete_gives_204_and_then_404_error_item_not_found(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    event = post_event(emulator, token, ADELE, meeting(quiet_saturday(), 9, 30, [MEGAN])).json()
    assert graph(emulator, "DELETE", f"/users/{ADELE}/events/{event['id']}", token).status_code == 204
    again = graph(emulator, "GET", f"/users/{ADELE}/events/{event['id']}", token)
    assert again.status_code == 404
    assert again.json()["error"]["message"] == "The specified object was not found in the store."
    assert graph(emulator, "DELETE", f"/users/{ADELE}/events/{event['id']}", token).status_code == 404
    assert copy_of(emulator, MEGAN, event["iCalUId"])["isCancelled"] is True


def test_immutable_ids_are_returned_when_asked_and_work_like_the_regular_ones(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    prefer = {"Prefer": 'IdType="ImmutableId"'}
    event = post_event(emulator, token, ADELE, meeting(quiet_saturday(), 9, 30, []), headers=prefer).json()
    regular = next(e["id"] for e in mailbox(emulator, ADELE) if e["iCalUId"] == event["iCalUId"])
    assert event["id"] != regular
    read = graph(emulator, "GET", f"/users/{ADELE}/events/{event['id']}", token, headers=prefer)
    assert read.json()["id"] == event["id"]
    assert quote(event["id"], safe="") in read.json()["webLink"]


def test_a_signed_in_organizer_creates_under_me_and_cannot_write_someone_elses_calendar(
    emulator: EmulatorProcess,
) -> None:
    token = user_token(emulator, ADELE)
    created = graph(emulator, "POST", "/me/events", token, json=meeting(quiet_saturday(), 9, 30, [ALEX]))
    assert created.status_code == 201
    assert created.json()["organizer"]["emailAddress"]["address"] == ADELE
    assert graph(emulator, "GET", f"/me/calendar/events/{created.json()['id']}", token).status_code == 200
    elsewhere = graph(emulator, "POST", f"/users/{MEGAN}/events", token, json=meeting(quiet_saturday(), 9, 30, []))
    assert elsewhere.status_code == 403


def test_an_app_without_write_permission_cannot_create(emulator: EmulatorProcess) -> None:
    token = user_token(emulator, ADELE, scopes=["User.Read", "Calendars.Read"])
    response = graph(emulator, "POST", "/me/events", token, json=meeting(quiet_saturday(), 9, 30, []))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "ErrorAccessDenied"


def test_a_batch_reads_back_the_apps_own_events_by_id(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    kept = post_event(emulator, token, ADELE, meeting(quiet_saturday(), 9, 30, [MEGAN])).json()
    dropped = post_event(emulator, token, ADELE, meeting(quiet_saturday(), 11, 30, [MEGAN])).json()
    graph(emulator, "DELETE", f"/users/{ADELE}/events/{dropped['id']}", token)
    requests_ = [
        {"id": "1", "method": "GET", "url": f"/users/{ADELE}/events/{kept['id']}?$select=subject,isCancelled"},
        {"id": "2", "method": "GET", "url": f"/users/{ADELE}/events/{dropped['id']}?$select=subject"},
    ]
    answer = graph(emulator, "POST", "/$batch", token, json={"requests": requests_})
    assert answer.status_code == 200
    responses = {r["id"]: r for r in answer.json()["responses"]}
    assert responses["1"]["status"] == 200
    assert responses["1"]["body"]["subject"] == kept["subject"]
    assert "attendees" not in responses["1"]["body"]
    assert responses["2"]["status"] == 404
    assert responses["2"]["body"]["error"]["code"] == "ErrorItemNotFound"


def test_a_mailbox_outside_the_access_policy_cannot_be_written(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    policy = {"client_id": emulator.client_id, "group": "overlap-users@contoso.onmicrosoft.com"}
    emulator.control("POST", "/tenants/contoso.onmicrosoft.com/access-policy", policy)
    joni = "joni.sherman@contoso.onmicrosoft.com"
    refused = post_event(emulator, token, joni, meeting(quiet_saturday(), 9, 30, []))
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "Access to OData is disabled."
    assert post_event(emulator, token, ADELE, meeting(quiet_saturday(), 9, 30, [joni])).status_code == 201
