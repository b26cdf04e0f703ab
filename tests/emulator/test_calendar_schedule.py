"""getSchedule over real HTTPS: free/busy, items, working hours, limits and time zones, as Graph answers them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from m365_emulator.testing import EmulatorProcess
from tests.emulator.calendar_support import (
    ADELE,
    ALEX,
    CONTOSO,
    LEE,
    MEGAN,
    at,
    consented_app_token,
    meeting,
    post_event,
    quiet_saturday,
    schedule,
    user_token,
    utc,
)
from tests.emulator.helpers import graph


def test_it_reports_two_weeks_of_free_busy_for_people_in_three_time_zones(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    monday = quiet_saturday(weeks_ahead=0) - timedelta(days=5)
    response = schedule(emulator, token, [ADELE, MEGAN, ALEX], utc(monday, 0), utc(monday + timedelta(days=14), 0))
    assert response.status_code == 200
    value = response.json()["value"]
    assert [v["scheduleId"] for v in value] == [ADELE, MEGAN, ALEX]
    assert [v["workingHours"]["timeZone"]["name"] for v in value] == [
        "W. Europe Standard Time",
        "Pacific Standard Time",
        "Eastern Standard Time",
    ]
    for entry in value:
        assert len(entry["availabilityView"]) == 14 * 48
        assert set(entry["availabilityView"]) <= set("0123")
        assert "2" in entry["availabilityView"], "seeded calendars hold meetings this week and next"
        assert entry["scheduleItems"], entry["scheduleId"]
        assert all(
            len(i["start"]["dateTime"]) == 27 and i["start"]["timeZone"] == "UTC" for i in entry["scheduleItems"]
        )


def test_a_recurring_series_blocks_every_occurrence_in_the_view(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    saturday = quiet_saturday()
    series = meeting(saturday, 9, 60, [], subject="Weekend on-call handover")
    series["recurrence"] = {
        "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["saturday", "sunday"]},
        "range": {"type": "numbered", "startDate": saturday.isoformat(), "numberOfOccurrences": 3},
    }
    assert post_event(emulator, token, ALEX, series).status_code == 201
    response = schedule(emulator, token, [ALEX], utc(saturday, 0), utc(saturday + timedelta(days=14), 0), body={
        "availabilityViewInterval": 60
    })  # fmt: skip
    view = response.json()["value"][0]["availabilityView"]
    weekends = [view[day * 24 : day * 24 + 24] for day in (0, 1, 7, 8)]  # weekdays hold the seeded stand-ups
    busy = [[hour for hour, digit in enumerate(hours) if digit == "2"] for hours in weekends]
    assert busy == [[9], [9], [9], []], "Saturday, Sunday, the next Saturday; then the three occurrences are used up"


def test_overlapping_items_show_the_most_blocking_status_and_working_elsewhere_as_free(
    emulator: EmulatorProcess,
) -> None:
    token = consented_app_token(emulator)
    day = quiet_saturday()
    post_event(emulator, token, MEGAN, meeting(day, 9, 120, [], showAs="tentative"))
    post_event(emulator, token, MEGAN, meeting(day, 10, 60, [], showAs="oof"))
    post_event(emulator, token, MEGAN, meeting(day, 12, 60, [], showAs="workingElsewhere"))
    post_event(emulator, token, MEGAN, meeting(day, 13, 60, [], showAs="busy"))
    response = schedule(emulator, token, [MEGAN], utc(day, 8), utc(day, 14), body={"availabilityViewInterval": 60})
    entry = response.json()["value"][0]
    assert entry["availabilityView"] == "013002"  # 8:00 free, tentative, oof over tentative, free, elsewhere, busy
    assert [i["status"] for i in entry["scheduleItems"]] == ["tentative", "oof", "workingElsewhere", "busy"]


def test_an_unknown_address_gets_its_own_error_and_the_others_still_answer(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    day = quiet_saturday()
    stranger = "nobody@contoso.onmicrosoft.com"
    response = schedule(emulator, token, [ADELE, stranger], utc(day, 8), utc(day, 10))
    assert response.status_code == 200
    adele, missing = response.json()["value"]
    assert adele["availabilityView"] == "0000"
    assert missing == {
        "scheduleId": stranger,
        "error": {
            "message": f"Unable to resolve e-mail address {stranger} to an Active Directory object.",
            "responseCode": "5009",
        },
    }


def test_it_accepts_pascal_case_names_and_a_string_interval_as_microsofts_example_sends(
    emulator: EmulatorProcess,
) -> None:
    token = consented_app_token(emulator)
    day = quiet_saturday()
    body = {
        "Schedules": [ADELE],
        "StartTime": {"dateTime": at(day, 8), "timeZone": "UTC"},
        "EndTime": {"dateTime": at(day, 10), "timeZone": "UTC"},
        "availabilityViewInterval": "15",
    }
    response = graph(emulator, "POST", f"/users/{ADELE}/calendar/getSchedule", token, json=body)
    assert response.status_code == 200
    assert response.json()["value"][0]["availabilityView"] == "00000000"


def test_it_refuses_more_than_twenty_schedules_a_long_window_and_an_interval_out_of_range(
    emulator: EmulatorProcess,
) -> None:
    token = consented_app_token(emulator)
    day = quiet_saturday()
    many = [f"person{n}@contoso.onmicrosoft.com" for n in range(21)]
    assert schedule(emulator, token, many, utc(day, 8), utc(day, 10)).status_code == 400
    assert schedule(emulator, token, [ADELE], utc(day, 0), utc(day + timedelta(days=62), 0)).status_code == 400
    assert schedule(emulator, token, [ADELE], utc(day, 0), utc(day + timedelta(days=61), 0)).status_code == 200
    for interval in (4, 1441):
        refused = schedule(
            emulator, token, [ADELE], utc(day, 8), utc(day, 10), body={"availabilityViewInterval": interval}
        )
        assert refused.status_code == 400
        assert refused.json()["error"]["innerError"]["request-id"] == refused.headers["request-id"]


def test_it_refuses_a_missing_or_unknown_time_zone(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    day = quiet_saturday()
    unknown = schedule(emulator, token, [ADELE], {"dateTime": at(day, 8), "timeZone": "Mars/Olympus"}, utc(day, 9))
    missing = schedule(emulator, token, [ADELE], {"dateTime": at(day, 8)}, utc(day, 9))
    assert unknown.status_code == missing.status_code == 400
    assert "Mars/Olympus" in unknown.json()["error"]["message"]


def test_item_times_follow_the_prefer_header_and_the_window_its_own_zone(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    day = quiet_saturday()
    post_event(emulator, token, ALEX, meeting(day, 15, 30, []))  # 15:00 UTC
    window = (
        {"dateTime": at(day, 9), "timeZone": "Eastern Standard Time"},
        {"dateTime": at(day, 12), "timeZone": "America/New_York"},
    )
    prefer = {"Prefer": 'outlook.timezone="Pacific Standard Time"'}
    response = schedule(emulator, token, [ALEX], *window, headers=prefer, body={"availabilityViewInterval": 60})
    assert response.headers["Preference-Applied"] == 'outlook.timezone="Pacific Standard Time"'
    entry = response.json()["value"][0]
    meeting_start = datetime(day.year, day.month, day.day, 15, tzinfo=UTC)
    in_pacific = meeting_start.astimezone(ZoneInfo("America/Los_Angeles")).replace(tzinfo=None)
    assert entry["scheduleItems"][0]["start"] == {
        "dateTime": in_pacific.isoformat() + ".0000000",
        "timeZone": "Pacific Standard Time",
    }
    new_york_hour = meeting_start.astimezone(ZoneInfo("America/New_York")).hour
    assert entry["availabilityView"] == "".join("2" if 9 + n == new_york_hour else "0" for n in range(3))


def test_subject_and_location_show_only_where_the_owner_shares_them_and_never_for_private_events(
    emulator: EmulatorProcess,
) -> None:
    token = consented_app_token(emulator)
    day = quiet_saturday()
    post_event(emulator, token, ALEX, meeting(day, 9, 60, [], subject="Budget", location={"displayName": "Room 7"}))
    post_event(emulator, token, ALEX, meeting(day, 11, 60, [], subject="Therapy", sensitivity="private"))
    emulator.control("POST", f"/tenants/{CONTOSO}/mailboxes/{ALEX}/calendar-sharing", {"sharesDetails": True})
    shared = schedule(emulator, token, [ALEX], utc(day, 8), utc(day, 13)).json()["value"][0]["scheduleItems"]
    assert shared[0]["subject"] == "Budget" and shared[0]["location"] == "Room 7" and shared[0]["isPrivate"] is False
    assert set(shared[1]) == {"status", "start", "end"}
    emulator.control("POST", f"/tenants/{CONTOSO}/mailboxes/{ALEX}/calendar-sharing", {"sharesDetails": False})
    hidden = schedule(emulator, token, [ALEX], utc(day, 8), utc(day, 13)).json()["value"][0]["scheduleItems"]
    assert [set(item) for item in hidden] == [{"status", "start", "end"}] * 2


def test_working_hours_come_with_windows_names_or_a_custom_time_zone(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    day = quiet_saturday()
    entry = schedule(emulator, token, [LEE], utc(day, 8), utc(day, 9)).json()["value"][0]
    hours = entry["workingHours"]
    assert hours["timeZone"]["@odata.type"] == "#microsoft.graph.customTimeZone"
    assert hours["timeZone"]["bias"] == -330
    assert hours["startTime"] == "10:00:00.0000000" and hours["endTime"] == "18:00:00.0000000"
    assert hours["daysOfWeek"] == ["monday", "tuesday", "wednesday", "thursday", "friday"]


def test_me_works_for_a_signed_in_user_and_is_refused_to_an_app_only_token(emulator: EmulatorProcess) -> None:
    day = quiet_saturday()
    body = {"schedules": [MEGAN], "startTime": utc(day, 8), "endTime": utc(day, 9)}
    app_only = graph(emulator, "POST", "/me/calendar/getSchedule", consented_app_token(emulator), json=body)
    assert app_only.status_code == 400
    assert app_only.json()["error"]["code"] == "Request_BadRequest"
    signed_in = graph(emulator, "POST", "/me/calendar/getSchedule", user_token(emulator, ADELE), json=body)
    assert signed_in.status_code == 200
    assert signed_in.json()["value"][0]["availabilityView"] == "00"


def test_a_token_without_a_calendar_permission_is_refused(emulator: EmulatorProcess) -> None:
    day = quiet_saturday()
    body = {"schedules": [MEGAN], "startTime": utc(day, 8), "endTime": utc(day, 9)}
    token = user_token(emulator, ADELE, scopes=["User.Read"])
    response = graph(emulator, "POST", "/me/calendar/getSchedule", token, json=body)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "ErrorAccessDenied"
