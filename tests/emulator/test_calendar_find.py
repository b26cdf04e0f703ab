"""findMeetingTimes over real HTTPS: delegated only, confidence, order and the reason for no suggestions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests

from m365_emulator.testing import EmulatorProcess
from tests.emulator.calendar_support import (
    ADELE,
    ALEX,
    LEE,
    MEGAN,
    consented_app_token,
    meeting,
    post_event,
    quiet_saturday,
    user_token,
    utc,
)
from tests.emulator.helpers import graph

OUTSIDER = "someone@fabrikam.example"
LIDIA = "lidia.holloway@contoso.onmicrosoft.com"  # Pacific, working hours in a customTimeZone


def ask(emulator: EmulatorProcess, token: str, day: date, attendees: list[str], **fields: Any) -> requests.Response:
    """One-hour meetings between 09:00 and 12:00 UTC on `day`, any hour allowed."""
    body = {
        "attendees": [{"type": "required", "emailAddress": {"address": a}} for a in attendees],
        "timeConstraint": {
            "activityDomain": "unrestricted",
            "timeSlots": [{"start": utc(day, 9), "end": utc(day, 12)}],
        },
        "meetingDuration": "PT1H",
        "returnSuggestionReasons": True,
        **fields,
    }
    return graph(emulator, "POST", "/me/findMeetingTimes", token, json=body)


def starts(result: dict[str, Any]) -> list[str]:
    return [s["meetingTimeSlot"]["start"]["dateTime"][11:16] for s in result["meetingTimeSuggestions"]]


def test_an_app_only_token_is_refused(emulator: EmulatorProcess) -> None:
    response = ask(emulator, consented_app_token(emulator), quiet_saturday(), [ALEX])
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "ErrorAccessDenied"


def test_it_suggests_the_times_when_everyone_is_free_nearest_first(emulator: EmulatorProcess) -> None:
    day = quiet_saturday()
    post_event(emulator, consented_app_token(emulator), ALEX, meeting(day, 10, 60, []))
    result = ask(emulator, user_token(emulator, ADELE), day, [ALEX]).json()
    assert starts(result) == ["09:00", "11:00"]
    first = result["meetingTimeSuggestions"][0]
    assert first["confidence"] == 100.0
    assert first["order"] == 1
    assert first["organizerAvailability"] == "free"
    assert first["attendeeAvailability"] == [
        {"attendee": {"type": "required", "emailAddress": {"address": ALEX, "name": ALEX}}, "availability": "free"}
    ]
    assert first["suggestionReason"].startswith("Suggested because")
    assert first["meetingTimeSlot"]["end"]["dateTime"] == f"{day.isoformat()}T10:00:00.0000000"
    assert result["emptySuggestionsReason"] == ""


def test_with_no_minimum_busy_times_come_last_with_zero_confidence(emulator: EmulatorProcess) -> None:
    day = quiet_saturday()
    post_event(emulator, consented_app_token(emulator), ALEX, meeting(day, 10, 60, []))
    result = ask(
        emulator, user_token(emulator, ADELE), day, [ALEX], minimumAttendeePercentage="0", maxCandidates=10
    ).json()
    assert starts(result) == ["09:00", "11:00", "09:30", "10:00", "10:30"]
    assert [s["confidence"] for s in result["meetingTimeSuggestions"]] == [100.0, 100.0, 0.0, 0.0, 0.0]
    assert [s["order"] for s in result["meetingTimeSuggestions"]] == [1, 2, 3, 4, 5]


def test_an_attendee_outside_the_tenant_counts_as_49_percent(emulator: EmulatorProcess) -> None:
    day = quiet_saturday()
    token = user_token(emulator, ADELE)
    alone = ask(emulator, token, day, [OUTSIDER]).json()
    assert alone["meetingTimeSuggestions"] == []
    assert alone["emptySuggestionsReason"] == "attendeesUnavailableOrUnknown"
    mixed = ask(emulator, token, day, [ALEX, OUTSIDER]).json()
    assert {s["confidence"] for s in mixed["meetingTimeSuggestions"]} == {74.5}
    assert mixed["meetingTimeSuggestions"][0]["attendeeAvailability"][1]["availability"] == "unknown"


def test_a_busy_organizer_gets_nothing_unless_optional(emulator: EmulatorProcess) -> None:
    day = quiet_saturday()
    post_event(emulator, consented_app_token(emulator), ADELE, meeting(day, 9, 180, []))
    token = user_token(emulator, ADELE)
    required = ask(emulator, token, day, [ALEX]).json()
    assert required["meetingTimeSuggestions"] == []
    assert required["emptySuggestionsReason"] == "organizerUnavailable"
    optional = ask(emulator, token, day, [ALEX], isOrganizerOptional="true").json()
    assert starts(optional) == ["09:00", "09:30", "10:00", "10:30", "11:00"]
    assert optional["meetingTimeSuggestions"][0]["organizerAvailability"] == "busy"


def test_busy_attendees_give_attendees_unavailable(emulator: EmulatorProcess) -> None:
    day = quiet_saturday()
    post_event(emulator, consented_app_token(emulator), ALEX, meeting(day, 8, 300, [], showAs="oof"))
    result = ask(emulator, user_token(emulator, ADELE), day, [ALEX]).json()
    assert result["meetingTimeSuggestions"] == []
    assert result["emptySuggestionsReason"] == "attendeesUnavailable"


def test_work_hours_leave_out_a_saturday_and_max_candidates_caps_the_list(emulator: EmulatorProcess) -> None:
    day = quiet_saturday()
    token = user_token(emulator, ADELE)
    weekend = ask(emulator, token, day, [ALEX], timeConstraint={
        "activityDomain": "work", "timeSlots": [{"start": utc(day, 9), "end": utc(day, 12)}]
    })  # fmt: skip
    assert weekend.json()["meetingTimeSuggestions"] == []
    capped = ask(emulator, token, day, [ALEX], maxCandidates="2")
    assert starts(capped.json()) == ["09:00", "09:30"]


def test_it_reads_microsofts_own_example_spelling_and_answers_in_the_preferred_zone(emulator: EmulatorProcess) -> None:
    day = quiet_saturday()
    body = {
        "Attendees": [{"Type": "Required", "EmailAddress": {"Address": ALEX}}],
        "TimeConstraint": {
            "ActivityDomain": "unrestricted",
            "timeslots": [{"start": utc(day, 9), "end": utc(day, 10)}],
        },
        "MeetingDuration": "PT30M",
        "isOrganizerOptional": "false",
        "minimumAttendeePercentage": "100",
    }
    prefer = {"Prefer": 'outlook.timezone="India Standard Time"'}
    response = graph(emulator, "POST", "/me/findMeetingTimes", user_token(emulator, ADELE), json=body, headers=prefer)
    slots = [s["meetingTimeSlot"]["start"] for s in response.json()["meetingTimeSuggestions"]]
    assert slots == [
        {"dateTime": f"{day.isoformat()}T14:30:00.0000000", "timeZone": "India Standard Time"},
        {"dateTime": f"{day.isoformat()}T15:00:00.0000000", "timeZone": "India Standard Time"},
    ]
    assert "suggestionReason" not in response.json()["meetingTimeSuggestions"][0]


# ----- working hours (LEARN findmeetingtimes-example: "during the work hours of the organizer and attendees") -----

MEGAN_ZONE, ALEX_ZONE = ZoneInfo("America/Los_Angeles"), ZoneInfo("America/New_York")  # both 09:00-17:00


def find(emulator: EmulatorProcess, organizer: str, people: list[str], start: str, end: str, **fields: Any) -> Any:
    """Every half-hour start between two UTC times that the activity domain allows, whoever is busy."""
    body = {
        "attendees": [{"type": "required", "emailAddress": {"address": a}} for a in people],
        "timeConstraint": {
            "activityDomain": fields.pop("domain", "work"),
            "timeSlots": [
                {"start": {"dateTime": start, "timeZone": "UTC"}, "end": {"dateTime": end, "timeZone": "UTC"}}
            ],
        },
        "meetingDuration": "PT30M",
        "isOrganizerOptional": "true",
        "minimumAttendeePercentage": 0,
        "maxCandidates": 400,
        **fields,
    }
    response = graph(emulator, "POST", "/me/findMeetingTimes", user_token(emulator, organizer), json=body)
    assert response.status_code == 200, response.text
    return response.json()


def slots(result: dict[str, Any]) -> list[tuple[datetime, datetime]]:
    found = []
    for suggestion in result["meetingTimeSuggestions"]:
        slot = suggestion["meetingTimeSlot"]
        found.append(
            tuple(datetime.fromisoformat(slot[k]["dateTime"][:19]).replace(tzinfo=UTC) for k in ("start", "end"))
        )
    return sorted(found)  # type: ignore[arg-type]


def inside_office_hours(start: datetime, end: datetime, zone: ZoneInfo) -> bool:
    local = start.astimezone(zone)
    opens = local.replace(hour=9, minute=0)
    return local.weekday() < 5 and opens <= local and end.astimezone(zone) <= local.replace(hour=17, minute=0)


def test_work_suggestions_fall_inside_every_required_attendees_hours(emulator: EmulatorProcess) -> None:
    result = find(emulator, MEGAN, [ALEX], "2027-02-08T00:00:00", "2027-02-13T00:00:00", maxCandidates=20,
                  isOrganizerOptional="false", minimumAttendeePercentage=50)  # fmt: skip
    found = slots(result)
    assert len(found) == 20
    assert all(inside_office_hours(s, e, ALEX_ZONE) and inside_office_hours(s, e, MEGAN_ZONE) for s, e in found)


def test_unknown_bounds_like_work_personal_adds_the_weekend_and_unrestricted_lifts_the_bound(
    emulator: EmulatorProcess,
) -> None:
    week = ("2027-02-08T00:00:00", "2027-02-15T00:00:00")  # Monday to Monday
    work, unknown = (slots(find(emulator, MEGAN, [ALEX], *week, domain=d)) for d in ("work", "unknown"))
    assert work == unknown
    assert {s.astimezone(ALEX_ZONE).strftime("%a %H:%M") for s, _ in work} == {
        f"{day} {hour:02d}:{minute:02d}" for day in ("Mon", "Tue", "Wed", "Thu", "Fri")
        for hour in range(12, 17) for minute in (0, 30)
    }  # fmt: skip
    personal = slots(find(emulator, MEGAN, [ALEX], *week, domain="personal"))
    assert len(personal) == len(work) * 7 // 5  # the same hours on Saturday and Sunday
    unrestricted = slots(find(emulator, MEGAN, [ALEX], *week, domain="unrestricted"))
    assert len(unrestricted) == 7 * 48


def test_a_slot_ending_at_local_midnight_is_outside_nine_to_five(emulator: EmulatorProcess) -> None:
    # Monday 2027-02-08 from 16:00 to 01:00 the next night, Pacific time (Megan's zone).
    evening = ("2027-02-09T00:00:00", "2027-02-09T09:00:00")
    work = slots(find(emulator, MEGAN, [], *evening))
    assert [s.astimezone(MEGAN_ZONE).strftime("%H:%M") for s, _ in work] == ["16:00", "16:30"]
    anything = slots(find(emulator, MEGAN, [], *evening, domain="unrestricted"))
    assert "23:30" in [s.astimezone(MEGAN_ZONE).strftime("%H:%M") for s, _ in anything]


def test_the_hours_follow_each_persons_clock_across_a_daylight_saving_change(emulator: EmulatorProcess) -> None:
    # Friday 2027-03-12 to Monday 2027-03-15: the United States move their clocks on Sunday the 14th.
    result = find(emulator, MEGAN, [ALEX, LIDIA], "2027-03-12T00:00:00", "2027-03-16T00:00:00")
    starts = [s.strftime("%a %H:%M") for s, _ in slots(result)]
    friday = [f"Fri {hour}:{minute:02d}" for hour in range(17, 22) for minute in (0, 30)]  # 12:00-17:00 EST
    monday = [f"Mon {hour}:{minute:02d}" for hour in range(16, 21) for minute in (0, 30)]  # 12:00-17:00 EDT
    assert starts == friday + monday


def test_an_optional_person_bounds_the_meeting_but_a_room_does_not(emulator: EmulatorProcess) -> None:
    day = ("2027-02-08T00:00:00", "2027-02-09T00:00:00")
    optional = find(emulator, MEGAN, [], *day, attendees=[
        {"type": "optional", "emailAddress": {"address": ALEX}},
        {"type": "resource", "emailAddress": {"address": LEE}},
    ])  # fmt: skip
    assert [s.strftime("%H:%M") for s, _ in slots(optional)] == [
        f"{hour}:{minute:02d}" for hour in range(17, 22) for minute in (0, 30)
    ]


def test_working_hours_that_never_overlap_give_attendees_unavailable_not_organizer_unavailable(
    emulator: EmulatorProcess,
) -> None:
    tuesday = quiet_saturday() + timedelta(days=3)
    window = {"start": utc(tuesday, 0), "end": utc(tuesday + timedelta(days=1), 12)}
    body = {"timeConstraint": {"activityDomain": "work", "timeSlots": [window]}}
    # Megan works 08:00-17:00 Pacific, Lee 09:00-18:00 in India: not one minute in common.
    result = ask(emulator, user_token(emulator, MEGAN), tuesday, [LEE], **body).json()
    alone = ask(emulator, user_token(emulator, MEGAN), tuesday, [], **body).json()

    assert result["meetingTimeSuggestions"] == []
    assert result["emptySuggestionsReason"] == "attendeesUnavailable"
    assert alone["meetingTimeSuggestions"], "Megan herself has free time in her hours that day"


def test_a_window_shorter_than_the_meeting_gives_an_unknown_reason(emulator: EmulatorProcess) -> None:
    day = quiet_saturday()
    body = {
        "timeConstraint": {
            "activityDomain": "unrestricted",
            "timeSlots": [{"start": utc(day, 9), "end": utc(day, 9, 30)}],
        }
    }

    result = ask(emulator, user_token(emulator, ADELE), day, [ALEX], **body).json()

    assert result["meetingTimeSuggestions"] == [] and result["emptySuggestionsReason"] == "unknown"


def test_a_required_room_busy_all_the_while_gives_locations_unavailable(emulator: EmulatorProcess) -> None:
    day = quiet_saturday()
    room = "room.oslo@contoso.onmicrosoft.com"
    emulator.control(
        "POST", "/tenants/contoso.onmicrosoft.com/users",
        {"userPrincipalName": room, "displayName": "Room Oslo", "hasMailbox": True},
    )  # fmt: skip
    post_event(emulator, consented_app_token(emulator), room, meeting(day, 9, 120, []))  # free again at 11:00
    token = user_token(emulator, ADELE)
    oslo = {"displayName": "Room Oslo", "locationEmailAddress": room}

    def rooms(required: bool) -> dict[str, Any]:
        return {"locationConstraint": {"isRequired": required, "suggestLocation": False, "locations": [oslo]}}

    needed = ask(emulator, token, day, [ALEX], **rooms(True)).json()
    wished = ask(emulator, token, day, [ALEX], **rooms(False)).json()
    short = ask(emulator, token, day, [ALEX], meetingDuration="PT2H", **rooms(True)).json()

    assert starts(needed) == ["11:00"] and needed["meetingTimeSuggestions"][0]["locations"] == [oslo]
    assert starts(wished) == ["09:00", "09:30", "10:00", "10:30", "11:00"]
    assert wished["meetingTimeSuggestions"][0]["locations"] == []
    assert short["meetingTimeSuggestions"] == [] and short["emptySuggestionsReason"] == "locationsUnavailable"


def test_suggestions_start_on_the_half_hours_of_the_organizers_mailbox_clock(emulator: EmulatorProcess) -> None:
    """As in Outlook: an organizer whose mailbox is in Kathmandu (UTC+05:45) gets 15:00 and 15:30 there, never the
    UTC half hours (14:45 there) that an hourly grid on her clock would have to refuse."""
    emulator.update_user(ADELE, mailboxTimeZone="Nepal Standard Time")
    kathmandu = ZoneInfo("Asia/Kathmandu")

    result = ask(emulator, user_token(emulator, ADELE), quiet_saturday(), [ALEX], maxCandidates=20).json()

    found = [datetime.fromisoformat(s["meetingTimeSlot"]["start"]["dateTime"][:19]).replace(tzinfo=UTC)
             for s in result["meetingTimeSuggestions"]]  # fmt: skip
    assert found and {s.astimezone(kathmandu).minute for s in found} <= {0, 30}
