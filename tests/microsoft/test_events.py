"""Events Overlap creates and reads back: create once, tag, read by id or $batch, update, cancel, delete."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from integrations.microsoft.client import GraphClient
from integrations.microsoft.errors import NotFound
from integrations.microsoft.types import Event, EventChanges, NewAttendee, NewEvent
from m365_emulator.testing import EmulatorProcess
from tests.microsoft.conftest import ADELE, MEGAN, graph_calls, next_monday


def meeting(tag: str = "BK-1", transaction_id: str | None = "7f1c2b9e-0000-4000-8000-000000000001") -> NewEvent:
    start = next_monday(hour=15)
    return NewEvent(
        subject="Adele / Megan",
        start=start,
        end=start + timedelta(minutes=30),
        attendees=(NewAttendee(MEGAN, "Megan Bowen"),),
        body="Booked with Overlap.",
        transaction_id=transaction_id,
        tag=tag,
    )


def mailbox(emulator: EmulatorProcess, address: str) -> list[dict[str, Any]]:
    path = f"/tenants/{emulator.tenant_id}/mailboxes/{address}/events"
    return list(emulator.control("GET", path)["value"])


def created_by_overlap(emulator: EmulatorProcess, address: str, ical_uid: str | None) -> list[dict[str, Any]]:
    return [e for e in mailbox(emulator, address) if e["iCalUId"] == ical_uid]


def test_it_creates_one_teams_meeting_in_the_organizers_calendar_with_the_colleague_invited(
    graph: GraphClient, emulator: EmulatorProcess
) -> None:
    event = graph.create_event(ADELE, meeting())

    assert (event.organizer, event.subject, event.tag) == (ADELE, "Adele / Megan", "BK-1")
    assert event.join_url and event.join_url.startswith("https://teams.microsoft.com/")
    assert event.start == next_monday(hour=15) and event.end == next_monday(hour=15) + timedelta(minutes=30)
    assert [(a.address, a.response) for a in event.attendees] == [(MEGAN, "none")]
    assert len(created_by_overlap(emulator, ADELE, event.ical_uid)) == 1
    [copy] = created_by_overlap(emulator, MEGAN, event.ical_uid)
    assert copy["isOrganizer"] is False


def test_a_retried_create_with_the_same_transaction_id_makes_no_second_meeting(
    graph: GraphClient, emulator: EmulatorProcess
) -> None:
    first = graph.create_event(ADELE, meeting())
    again = graph.create_event(ADELE, meeting())

    assert again.id == first.id and again.transaction_id == first.transaction_id
    assert len(created_by_overlap(emulator, ADELE, first.ical_uid)) == 1
    assert len(created_by_overlap(emulator, MEGAN, first.ical_uid)) == 1


def test_it_reads_an_event_back_with_its_tag_and_the_colleagues_answer(
    graph: GraphClient, emulator: EmulatorProcess
) -> None:
    created = graph.create_event(ADELE, meeting())
    [copy] = created_by_overlap(emulator, MEGAN, created.ical_uid)
    answer = f"/tenants/{emulator.tenant_id}/mailboxes/{MEGAN}/events/{copy['id']}/respond"
    emulator.control("POST", answer, {"response": "accepted"})

    event = graph.get_event(ADELE, created.id)

    assert event.tag == "BK-1" and event.id == created.id
    megan = event.attendee(MEGAN)
    assert megan is not None and megan.response == "accepted" and megan.response_time is not None


def test_45_event_reads_take_3_http_requests(graph: GraphClient, emulator: EmulatorProcess) -> None:
    created = [graph.create_event(ADELE, meeting(f"BK-{n}", None)).id for n in range(42)]
    unknown = ["AAkALgdoesnotexist1AAA=", "AAkALgdoesnotexist2AAA=", "AAkALgdoesnotexist3AAA="]
    since = emulator.last_seq()

    events = graph.get_events(ADELE, created + unknown)

    assert [c["path"] for c in graph_calls(emulator, since)] == ["/v1.0/$batch"] * 3
    assert len(graph_calls(emulator, since, batched=True)) == 3 + 45
    assert [e.tag for e in events.values() if isinstance(e, Event)] == [f"BK-{n}" for n in range(42)]
    assert all(isinstance(events[i], NotFound) for i in unknown)


def test_it_finds_its_own_event_by_tag_and_nothing_else(graph: GraphClient, emulator: EmulatorProcess) -> None:
    created = graph.create_event(ADELE, meeting("BK-find"))
    since = emulator.last_seq()

    found = graph.find_event_by_tag(ADELE, "BK-find")

    assert found is not None and found.id == created.id and found.tag == "BK-find"
    assert graph.find_event_by_tag(ADELE, "BK-missing") is None
    [call, _] = graph_calls(emulator, since)
    assert "singleValueExtendedProperties/Any" in call["query"]["$filter"][0]


def test_an_update_moves_the_meeting_and_renames_it(graph: GraphClient) -> None:
    created = graph.create_event(ADELE, meeting())
    later = next_monday(hour=16)

    updated = graph.update_event(
        ADELE, created.id, EventChanges(subject="Moved", start=later, end=later + timedelta(hours=1))
    )

    assert (updated.id, updated.subject, updated.start, updated.end) == (
        created.id,
        "Moved",
        later,
        later + timedelta(hours=1),
    )
    assert graph.get_event(ADELE, created.id).start == later


def test_a_move_made_in_outlook_is_seen_on_the_next_read(graph: GraphClient, emulator: EmulatorProcess) -> None:
    created = graph.create_event(ADELE, meeting())
    later = next_monday(hour=17)
    move = f"/tenants/{emulator.tenant_id}/mailboxes/{ADELE}/events/{created.id}/move"
    emulator.control(
        "POST",
        move,
        {
            "start": {"dateTime": later.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
            "end": {"dateTime": (later + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        },
    )

    assert graph.get_event(ADELE, created.id).start == later


def test_cancelling_tells_the_colleague(graph: GraphClient, emulator: EmulatorProcess) -> None:
    created = graph.create_event(ADELE, meeting())
    [copy] = created_by_overlap(emulator, MEGAN, created.ical_uid)

    graph.cancel_event(ADELE, created.id, "Something came up.")

    assert graph.get_event(MEGAN, copy["immutableId"]).is_cancelled


def test_a_deleted_event_is_not_found_and_deleting_again_can_be_harmless(graph: GraphClient) -> None:
    created = graph.create_event(ADELE, meeting())

    graph.delete_event(ADELE, created.id)

    with pytest.raises(NotFound) as raised:
        graph.get_event(ADELE, created.id)
    assert raised.value.code == "ErrorItemNotFound" and raised.value.permanent
    graph.delete_event(ADELE, created.id, missing_ok=True)
    with pytest.raises(NotFound):
        graph.delete_event(ADELE, created.id)


def test_every_request_asks_for_utc_and_immutable_ids(graph: GraphClient) -> None:
    created = graph.create_event(ADELE, meeting())

    raw = graph.transport.request("GET", f"/users/{ADELE}/events/{created.id}", params={"$select": "id,start"})

    assert raw.headers["Preference-Applied"] == 'outlook.timezone="UTC"'
    assert raw.body["start"]["timeZone"] == "UTC"
    assert created.id.startswith("AAkALg")  # the emulator's immutable ids


def test_the_client_reads_only_events_it_created_or_tagged(graph: GraphClient, emulator: EmulatorProcess) -> None:
    since = emulator.last_seq()
    created = graph.create_event(ADELE, meeting())
    graph.get_event(ADELE, created.id)
    graph.get_events(ADELE, [created.id])
    graph.find_event_by_tag(ADELE, "BK-1")
    graph.get_schedules(ADELE, [MEGAN], next_monday(), next_monday() + timedelta(days=1))

    reads = [c for c in graph_calls(emulator, since, batched=True) if c["method"] == "GET"]
    listings = [c for c in reads if c["path"].rstrip("/").endswith("/events")]
    assert len(reads) == 3
    assert all("singleValueExtendedProperties/Any" in f for c in listings for f in c["query"].get("$filter", [""]))
    assert not any(word in c["path"] for c in reads for word in ("calendarView", "/messages"))
