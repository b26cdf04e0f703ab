"""Graph's replies (canned from M365-FACTS.md) become Overlap's types; private details never survive."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, time

from integrations.microsoft import parse
from integrations.microsoft.types import TAG_PROPERTY_ID, Schedule

SCHEDULE = {
    "scheduleId": "adele.vance@contoso.onmicrosoft.com",
    "availabilityView": "0220",
    "scheduleItems": [
        {
            "isPrivate": False,
            "status": "Busy",
            "subject": "Salary review with Megan",
            "location": "Adele's office",
            "start": {"dateTime": "2025-03-03T09:30:00.0000000", "timeZone": "UTC"},
            "end": {"dateTime": "2025-03-03T10:30:00.0000000", "timeZone": "UTC"},
        },
        {
            "status": "workingelsewhere",
            "start": {"dateTime": "2025-03-03T11:00:00.0000000", "timeZone": "UTC"},
            "end": {"dateTime": "2025-03-03T12:00:00.0000000", "timeZone": "UTC"},
        },
    ],
    "workingHours": {
        "daysOfWeek": ["Monday", "tuesday", "wednesday", "thursday", "friday"],
        "startTime": "08:00:00.0000000",
        "endTime": "17:00:00.0000000",
        "timeZone": {"name": "Pacific Standard Time"},
    },
}
UNRESOLVED = {
    "scheduleId": "nobody@contoso.onmicrosoft.com",
    "error": {
        "message": "Unable to resolve e-mail address nobody@contoso.onmicrosoft.com to an Active Directory object.",
        "responseCode": "5009",
    },
}


def test_a_schedule_keeps_times_and_status_but_no_subject_or_location() -> None:
    schedule = parse.schedule(SCHEDULE)

    assert [(i.start, i.end, i.status) for i in schedule.items] == [
        (datetime(2025, 3, 3, 9, 30, tzinfo=UTC), datetime(2025, 3, 3, 10, 30, tzinfo=UTC), "busy"),
        (datetime(2025, 3, 3, 11, tzinfo=UTC), datetime(2025, 3, 3, 12, tzinfo=UTC), "workingElsewhere"),
    ]
    assert "Salary" not in repr(schedule) and "office" not in repr(schedule)
    assert {f.name for f in fields(schedule.items[0])} == {"start", "end", "status"}


def test_a_schedule_carries_working_hours_in_the_mailboxs_zone() -> None:
    hours = parse.schedule(SCHEDULE).working_hours

    assert hours is not None
    assert (hours.days[0], hours.start, hours.end) == ("monday", time(8), time(17))
    assert datetime(2025, 7, 1, 15, tzinfo=UTC).astimezone(hours.tz).hour == 8


def test_a_schedule_with_a_custom_zone_reads_its_bias() -> None:
    custom = {"@odata.type": "#microsoft.graph.customTimeZone", "bias": -330, "name": "Customized Time Zone"}
    data = {**SCHEDULE, "workingHours": {**SCHEDULE["workingHours"], "timeZone": custom}}  # type: ignore[dict-item]

    hours = parse.schedule(data).working_hours

    assert hours is not None and datetime(2025, 1, 1, 3, tzinfo=UTC).astimezone(hours.tz).hour == 8


def test_an_unknown_working_hours_zone_leaves_working_hours_unknown_not_wrong() -> None:
    data = {**SCHEDULE, "workingHours": {**SCHEDULE["workingHours"], "timeZone": {"name": "Atlantis Time"}}}  # type: ignore[dict-item]

    assert parse.schedule(data).working_hours is None


def test_an_unresolvable_mailbox_is_an_error_not_free_time() -> None:
    schedule = parse.schedule(UNRESOLVED)

    assert schedule == Schedule(address="nobody@contoso.onmicrosoft.com", error=schedule.error)
    assert schedule.error is not None and schedule.error.response_code == "5009"
    assert schedule.items == () and schedule.availability_view == ""


def test_meeting_suggestions_keep_confidence_reasons_and_attendee_availability() -> None:
    data = {
        "emptySuggestionsReason": "",
        "meetingTimeSuggestions": [
            {
                "confidence": 100.0,
                "order": 1,
                "organizerAvailability": "free",
                "suggestionReason": "Suggested because it is one of the nearest times when all are available.",
                "attendeeAvailability": [
                    {"attendee": {"type": "required", "emailAddress": {"address": "b@x.com"}}, "availability": "Free"}
                ],
                "locations": [{"displayName": "Room 1"}],
                "meetingTimeSlot": {
                    "start": {"dateTime": "2025-03-04T14:00:00.0000000", "timeZone": "UTC"},
                    "end": {"dateTime": "2025-03-04T15:00:00.0000000", "timeZone": "UTC"},
                },
            }
        ],
    }

    result = parse.meeting_time_suggestions(data)

    [suggestion] = result.suggestions
    assert (suggestion.start, suggestion.confidence, suggestion.order) == (
        datetime(2025, 3, 4, 14, tzinfo=UTC),
        100.0,
        1,
    )
    assert suggestion.attendees[0].address == "b@x.com" and suggestion.attendees[0].availability == "free"
    assert suggestion.reason.startswith("Suggested because") and result.empty_reason == ""


def test_an_empty_suggestion_reason_in_pascal_case_reads_the_same() -> None:
    result = parse.meeting_time_suggestions({"emptySuggestionsReason": "AttendeesUnavailable"})

    assert (result.suggestions, result.empty_reason) == ((), "attendeesUnavailable")


def test_an_event_reads_attendee_responses_links_and_the_tag() -> None:
    data = {
        "id": "AAMkAG-1=",
        "iCalUId": "040000008200E00074C5B7101A82E008",
        "subject": "Overlap: Adele / Megan",
        "isCancelled": False,
        "transactionId": "6c8e",
        "webLink": "https://outlook.office365.com/owa/?itemid=AAMkAG",
        "responseStatus": {"response": "organizer", "time": "0001-01-01T00:00:00Z"},
        "start": {"dateTime": "2025-03-04T14:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2025-03-04T14:30:00.0000000", "timeZone": "UTC"},
        "attendees": [
            {
                "type": "required",
                "status": {"response": "accepted", "time": "2025-03-02T08:15:00.5000000Z"},
                "emailAddress": {"name": "Megan", "address": "megan@x.com"},
            },
            {
                "type": "Optional",
                "status": {"response": "notResponded", "time": "0001-01-01T00:00:00Z"},
                "emailAddress": {"address": "alex@x.com"},
            },
        ],
        "organizer": {"emailAddress": {"name": "Adele", "address": "adele@x.com"}},
        "onlineMeeting": {"joinUrl": "https://teams.microsoft.com/l/meetup-join/x"},
        "singleValueExtendedProperties": [{"id": TAG_PROPERTY_ID, "value": "BK-123"}],
    }

    event = parse.event(data)

    megan, alex = event.attendees
    assert (megan.response, megan.response_time) == ("accepted", datetime(2025, 3, 2, 8, 15, 0, 500000, tzinfo=UTC))
    assert (alex.response, alex.response_time, alex.type) == ("none", None, "optional")
    assert event.join_url == "https://teams.microsoft.com/l/meetup-join/x"
    assert (event.organizer, event.tag, event.transaction_id, event.response) == (
        "adele@x.com",
        "BK-123",
        "6c8e",
        "organizer",
    )
    assert event.end == datetime(2025, 3, 4, 14, 30, tzinfo=UTC)


def test_a_directory_user_without_mail_is_booked_by_upn() -> None:
    user = parse.user({"id": "1", "displayName": "Ann", "mail": None, "userPrincipalName": "ann@x.com"})

    assert user.address == "ann@x.com"


def test_an_exception_of_a_series_reads_with_its_original_start_and_the_answers_to_it() -> None:
    data = {
        "id": "AAMkAGexception=",
        "type": "Exception",
        "seriesMasterId": "AAMkAGmaster=",
        "originalStart": "2027-03-16T09:00:00Z",
        "start": {"dateTime": "2027-03-17T15:00:00.0000000", "timeZone": "W. Europe Standard Time"},
        "end": {"dateTime": "2027-03-17T15:30:00.0000000", "timeZone": "W. Europe Standard Time"},
        "attendees": [
            {
                "type": "required",
                "status": {"response": "notResponded", "time": "0001-01-01T00:00:00Z"},
                "emailAddress": {"name": "Megan Bowen", "address": "megan.bowen@contoso.onmicrosoft.com"},
            }
        ],
    }

    found = parse.occurrence(data)

    assert (found.id, found.series_master_id, found.kind) == ("AAMkAGexception=", "AAMkAGmaster=", "exception")
    assert found.original_start == datetime(2027, 3, 16, 9, tzinfo=UTC)
    assert (found.start, found.end) == (
        datetime(2027, 3, 17, 14, tzinfo=UTC),
        datetime(2027, 3, 17, 14, 30, tzinfo=UTC),
    )
    megan = found.attendee("MEGAN.BOWEN@contoso.onmicrosoft.com")
    assert megan is not None and (megan.response, megan.response_time) == ("none", None)


ROOM = {
    "id": "3162F1E1-C4C0-604B-51D8-91DA78989EB1",
    "emailAddress": "Fjord@contoso.example",
    "displayName": "Fjord",
    "capacity": "8",
    "building": "Headquarters",
    "floorNumber": 2,
    "floorLabel": "2nd",
    "displayDeviceName": "Surface Hub",
    "videoDeviceName": "",
    "isWheelChairAccessible": True,
    "bookingType": "standard",
}


def test_a_room_reads_its_seats_as_a_number_even_from_a_string_and_its_address_lowercased() -> None:
    room = parse.room(ROOM)

    assert (room.address, room.display_name, room.capacity) == ("fjord@contoso.example", "Fjord", 8)
    assert (room.building, room.floor_number, room.floor_label) == ("Headquarters", 2, "2nd")
    assert room.display_device == "Surface Hub" and not room.video_device and room.wheelchair and room.bookable


def test_a_reserved_room_cannot_be_booked_and_unknown_seats_stay_unknown() -> None:
    room = parse.room({**ROOM, "bookingType": "reserved", "capacity": "many"})

    assert room.bookable is False and room.capacity is None


def test_a_room_list_reads_its_address() -> None:
    found = parse.room_list({"id": "x", "emailAddress": "HQ@contoso.example", "displayName": "Headquarters"})

    assert (found.address, found.display_name) == ("hq@contoso.example", "Headquarters")
