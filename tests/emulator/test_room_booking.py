"""Booking a room: the room answers asynchronously by its resource booking policy, and follows moves and cancels."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from m365_emulator.testing import ControlFailed, EmulatorProcess
from tests.emulator.calendar_support import (
    ADELE,
    MEGAN,
    consented_app_token,
    mailbox,
    meeting,
    post_event,
    quiet_saturday,
    schedule,
    user_token,
    utc,
)
from tests.emulator.helpers import CONTOSO, graph

LISBON = "hq-lisbon@contoso.onmicrosoft.com"
AMSTEL = "hq-amstel@contoso.onmicrosoft.com"  # at most 240 minutes, no recurring meetings
OLYMPIC = "sea-olympic@contoso.onmicrosoft.com"  # AutoUpdate: a delegate decides
LOUNGE = "sea-lounge@contoso.onmicrosoft.com"  # bookingType reserved


def with_room(body: dict[str, Any], room: str, name: str = "Room") -> dict[str, Any]:
    body["attendees"].append({"emailAddress": {"address": room, "name": name}, "type": "resource"})
    body["location"] = {"displayName": name, "locationEmailAddress": room}
    return body


def room_status(emulator: EmulatorProcess, token: str, event_id: str, room: str = LISBON) -> str:
    read = graph(emulator, "GET", f"/users/{ADELE}/events/{event_id}", token, params={"$select": "attendees"})
    return str(next(a for a in read.json()["attendees"] if a["emailAddress"]["address"] == room)["status"]["response"])


def book(emulator: EmulatorProcess, token: str, day: date, hour: int, minutes: int = 60, room: str = LISBON,
         **fields: Any) -> dict[str, Any]:  # fmt: skip
    response = post_event(emulator, token, ADELE, with_room(meeting(day, hour, minutes, [MEGAN], **fields), room))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def room_view(emulator: EmulatorProcess, token: str, day: date, room: str = LISBON) -> str:
    return str(schedule(emulator, token, [room], utc(day, 8), utc(day, 12)).json()["value"][0]["availabilityView"])


def outlook_booking(emulator: EmulatorProcess, day: date, hour: int, room: str = LISBON) -> dict[str, Any]:
    start = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
    span = {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}
    return emulator.control("POST", f"/tenants/{CONTOSO}/rooms/{room}/bookings", {**span, "organizer": MEGAN})


def test_the_created_event_shows_the_room_unanswered_and_the_next_read_shows_it_accepted(
    emulator: EmulatorProcess,
) -> None:
    token, day = consented_app_token(emulator), quiet_saturday()
    event = book(emulator, token, day, 9)
    assert next(a for a in event["attendees"] if a["type"] == "resource")["status"]["response"] == "none"
    assert room_status(emulator, token, event["id"]) == "accepted"
    assert room_view(emulator, token, day) == "00220000"  # 09:00-10:00 busy in the room's calendar


def test_a_room_already_booked_in_outlook_declines_and_stays_as_booked(emulator: EmulatorProcess) -> None:
    token, day = consented_app_token(emulator), quiet_saturday()
    outlook_booking(emulator, day, 9)
    event = book(emulator, token, day, 9, 30)
    assert room_status(emulator, token, event["id"]) == "declined"
    assert [e["subject"] for e in mailbox(emulator, LISBON) if e["start"]["dateTime"].startswith(day.isoformat())] == [
        "Booked in Outlook"
    ]


def test_two_meetings_racing_for_one_room_get_one_accept_and_one_decline(emulator: EmulatorProcess) -> None:
    token, day = consented_app_token(emulator), quiet_saturday()
    first, second = book(emulator, token, day, 9), book(emulator, token, day, 9, 30)
    assert (room_status(emulator, token, first["id"]), room_status(emulator, token, second["id"])) == (
        "accepted",
        "declined",
    )


@pytest.mark.parametrize(
    ("room", "minutes", "fields", "why"),
    [
        (AMSTEL, 300, {}, "longer than its maximum duration"),
        (LOUNGE, 60, {}, "a room that cannot be reserved"),
        (AMSTEL, 60, {"recurrence": "weekly"}, "a series where recurring meetings are not allowed"),
        (LISBON, 60, {"recurrence": "noEnd"}, "a series running past the booking window"),
    ],
)
def test_the_policy_declines(
    emulator: EmulatorProcess, room: str, minutes: int, fields: dict[str, Any], why: str
) -> None:
    token, day = consented_app_token(emulator), quiet_saturday()
    extra = {"recurrence": _weekly(day, fields["recurrence"])} if fields else {}
    event = book(emulator, token, day, 9, minutes, room, **extra)
    assert room_status(emulator, token, event["id"], room) == "declined", why


def test_a_meeting_past_the_booking_window_is_declined(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    emulator.control("POST", f"/tenants/{CONTOSO}/rooms/{LISBON}/policy", {"BookingWindowInDays": 30})
    event = book(emulator, token, quiet_saturday(weeks_ahead=6), 9)
    assert room_status(emulator, token, event["id"]) == "declined"


def test_a_room_whose_delegate_decides_does_not_answer(emulator: EmulatorProcess) -> None:
    token, day = consented_app_token(emulator), quiet_saturday()
    event = book(emulator, token, day, 9, room=OLYMPIC)
    emulator.control("POST", "/rooms/answer", {})
    assert room_status(emulator, token, event["id"], OLYMPIC) == "none"


def test_a_series_with_one_conflict_is_declined_whole_and_accepted_within_the_thresholds(
    emulator: EmulatorProcess,
) -> None:
    token, day = consented_app_token(emulator), quiet_saturday()
    outlook_booking(emulator, day + timedelta(weeks=2), 9)
    series = _weekly(day, "numbered")
    declined = book(emulator, token, day, 9, recurrence=series)
    assert room_status(emulator, token, declined["id"]) == "declined"
    thresholds = {"MaximumConflictInstances": 1, "ConflictPercentageAllowed": 50}
    emulator.control("POST", f"/tenants/{CONTOSO}/rooms/{LISBON}/policy", thresholds)
    accepted = book(emulator, token, day, 9, recurrence=series)
    assert room_status(emulator, token, accepted["id"]) == "accepted"


def test_moving_the_meeting_asks_the_room_again(emulator: EmulatorProcess) -> None:
    token, day = consented_app_token(emulator), quiet_saturday()
    outlook_booking(emulator, day, 11)
    event = book(emulator, token, day, 9)
    assert room_status(emulator, token, event["id"]) == "accepted"
    moved = {"start": utc(day, 11), "end": utc(day, 12)}
    graph(emulator, "PATCH", f"/users/{ADELE}/events/{event['id']}", token, json=moved)
    assert room_status(emulator, token, event["id"]) == "declined"
    assert room_view(emulator, token, day) == "00000022"  # the Outlook booking only: 09:00 was freed


def test_cancelling_the_meeting_frees_the_room(emulator: EmulatorProcess) -> None:
    token, day = consented_app_token(emulator), quiet_saturday()
    event = book(emulator, token, day, 9)
    assert room_status(emulator, token, event["id"]) == "accepted"
    assert graph(emulator, "POST", f"/users/{ADELE}/events/{event['id']}/cancel", token, json={}).status_code == 202
    assert room_view(emulator, token, day) == "00000000"


def test_the_control_api_lists_rooms_with_their_hidden_flag_and_policy(emulator: EmulatorProcess) -> None:
    listed = emulator.control("GET", f"/tenants/{CONTOSO}/rooms")
    by_address = {room["emailAddress"]: room for room in listed["rooms"]}
    assert by_address["hq-executive@contoso.onmicrosoft.com"]["hiddenFromAddressList"] is True
    assert by_address[LISBON]["hiddenFromAddressList"] is False
    assert by_address[LISBON]["policy"] == {
        "AutomateProcessing": "AutoAccept",
        "AllowConflicts": False,
        "BookingWindowInDays": 180,
        "EnforceSchedulingHorizon": True,
        "MaximumDurationInMinutes": 1440,
        "AllowRecurringMeetings": True,
        "ConflictPercentageAllowed": 0,
        "MaximumConflictInstances": 0,
    }
    assert {room["building"] for room in listed["rooms"]} == {"Headquarters", "Seattle office"}
    assert len(listed["roomLists"]) == 2


def test_a_foreign_tenants_room_cannot_be_booked_in_outlook_through_this_tenant(emulator: EmulatorProcess) -> None:
    with pytest.raises(ControlFailed):
        outlook_booking(emulator, quiet_saturday(), 9, room="fab-thames@fabrikam.onmicrosoft.com")


def _weekly(day: date, kind: str) -> dict[str, Any]:
    range_: dict[str, Any] = {"type": "noEnd", "startDate": day.isoformat()}
    if kind == "numbered":
        range_ = {"type": "numbered", "startDate": day.isoformat(), "numberOfOccurrences": 4}
    elif kind == "weekly":
        range_ = {"type": "endDate", "startDate": day.isoformat(), "endDate": (day + timedelta(weeks=3)).isoformat()}
    return {"pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["saturday"]}, "range": range_}


def test_find_meeting_times_offers_a_demo_room_only_when_it_is_free(emulator: EmulatorProcess) -> None:
    day = quiet_saturday()
    outlook_booking(emulator, day, 9)  # the room is taken 09:00-10:00
    lisbon = {"displayName": "Room 1.12 Lisbon", "locationEmailAddress": LISBON}
    window = {"activityDomain": "unrestricted", "timeSlots": [{"start": utc(day, 9), "end": utc(day, 11)}]}
    body = {
        "attendees": [{"type": "required", "emailAddress": {"address": MEGAN}}],
        "timeConstraint": window,
        "meetingDuration": "PT1H",
        "locationConstraint": {"isRequired": True, "suggestLocation": False, "locations": [lisbon]},
    }
    token = user_token(emulator, ADELE)
    found = graph(emulator, "POST", "/me/findMeetingTimes", token, json=body).json()["meetingTimeSuggestions"]
    assert [s["meetingTimeSlot"]["start"]["dateTime"][11:16] for s in found] == ["10:00"]
    assert found[0]["locations"] == [lisbon]
