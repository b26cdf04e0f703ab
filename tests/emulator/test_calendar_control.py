"""The calendar's control API: people answering, moving and cancelling in Outlook, seen back through Graph."""

from __future__ import annotations

import pytest

from m365_emulator.testing import ControlFailed, EmulatorProcess
from tests.emulator.calendar_support import (
    ADELE,
    CONTOSO,
    MEGAN,
    consented_app_token,
    copy_of,
    mailbox,
    meeting,
    post_event,
    quiet_saturday,
    schedule,
    utc,
)
from tests.emulator.helpers import graph


def _events_path(address: str, event_id: str) -> str:
    return f"/tenants/{CONTOSO}/mailboxes/{address}/events/{event_id}"


@pytest.mark.parametrize(
    ("answer", "shown", "digit"),
    [("accepted", "accepted", "2"), ("tentativelyAccepted", "tentativelyAccepted", "1")],
)
def test_an_attendees_answer_reaches_the_organizers_copy_with_a_time(
    emulator: EmulatorProcess, answer: str, shown: str, digit: str
) -> None:
    token = consented_app_token(emulator)
    day = quiet_saturday()
    event = post_event(emulator, token, ADELE, meeting(day, 9, 30, [MEGAN])).json()
    copy = copy_of(emulator, MEGAN, event["iCalUId"])
    emulator.control("POST", _events_path(MEGAN, copy["id"]) + "/respond", {"response": answer})
    read = graph(emulator, "GET", f"/users/{ADELE}/events/{event['id']}", token, params={"$select": "attendees"})
    status = read.json()["attendees"][0]["status"]
    assert status["response"] == shown
    assert status["time"] != "0001-01-01T00:00:00Z"
    assert copy_of(emulator, MEGAN, event["iCalUId"])["responseStatus"]["response"] == shown
    view = schedule(emulator, token, [MEGAN], utc(day, 9), utc(day, 10)).json()["value"][0]["availabilityView"]
    assert view == digit + "0"


def test_a_declined_meeting_leaves_the_attendees_calendar(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    event = post_event(emulator, token, ADELE, meeting(quiet_saturday(), 9, 30, [MEGAN])).json()
    copy = copy_of(emulator, MEGAN, event["iCalUId"])
    emulator.control("POST", _events_path(MEGAN, copy["id"]) + "/respond", {"response": "declined"})
    read = graph(emulator, "GET", f"/users/{ADELE}/events/{event['id']}", token).json()
    assert read["attendees"][0]["status"]["response"] == "declined"
    assert all(e["iCalUId"] != event["iCalUId"] for e in mailbox(emulator, MEGAN))


def test_moving_in_outlook_moves_both_calendars(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    day = quiet_saturday()
    event = post_event(emulator, token, ADELE, meeting(day, 9, 30, [MEGAN])).json()
    moved = {"start": utc(day, 14), "end": utc(day, 15)}
    emulator.control("POST", _events_path(ADELE, event["id"]) + "/move", moved)
    read = graph(emulator, "GET", f"/users/{ADELE}/events/{event['id']}", token).json()
    assert read["start"]["dateTime"] == f"{day.isoformat()}T14:00:00.0000000"
    assert read["end"]["dateTime"] == f"{day.isoformat()}T15:00:00.0000000"
    assert copy_of(emulator, MEGAN, event["iCalUId"])["start"]["dateTime"] == f"{day.isoformat()}T14:00:00.0000000"


def test_cancelling_in_outlook_is_seen_as_404_and_a_cancelled_copy(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    event = post_event(emulator, token, ADELE, meeting(quiet_saturday(), 9, 30, [MEGAN])).json()
    emulator.control("POST", _events_path(ADELE, event["id"]) + "/cancel")
    assert graph(emulator, "GET", f"/users/{ADELE}/events/{event['id']}", token).status_code == 404
    assert copy_of(emulator, MEGAN, event["iCalUId"])["isCancelled"] is True


def test_only_the_organizer_moves_and_only_attendees_answer(emulator: EmulatorProcess) -> None:
    token = consented_app_token(emulator)
    day = quiet_saturday()
    event = post_event(emulator, token, ADELE, meeting(day, 9, 30, [MEGAN])).json()
    copy = copy_of(emulator, MEGAN, event["iCalUId"])
    with pytest.raises(ControlFailed, match="400"):
        emulator.control("POST", _events_path(MEGAN, copy["id"]) + "/move", {"start": utc(day, 1), "end": utc(day, 2)})
    with pytest.raises(ControlFailed, match="400"):
        emulator.control("POST", _events_path(ADELE, event["id"]) + "/respond", {"response": "accepted"})
    with pytest.raises(ControlFailed, match="404"):
        emulator.control("POST", _events_path(ADELE, "AAMkAGnothing") + "/cancel")
