"""findMeetingTimes over real HTTPS: delegated only, confidence, order and the reason for no suggestions."""

from __future__ import annotations

from datetime import date
from typing import Any

import requests

from m365_emulator.testing import EmulatorProcess
from tests.emulator.calendar_support import (
    ADELE,
    ALEX,
    consented_app_token,
    meeting,
    post_event,
    quiet_saturday,
    user_token,
    utc,
)
from tests.emulator.helpers import graph

OUTSIDER = "someone@fabrikam.example"


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
