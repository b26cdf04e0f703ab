"""Free/busy through getSchedule: 20 mailboxes per call (more in one $batch), every mailbox's error kept, no subject
anywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from integrations.microsoft.client import GraphClient
from integrations.microsoft.errors import AccessDenied, BadRequest
from integrations.microsoft.timezones import date_time_zone
from m365_emulator.testing import EmulatorProcess
from tests.microsoft.conftest import ADELE, JONI, MEGAN, POLICY_GROUP, graph_calls, next_monday


def test_45_mailboxes_take_one_batch_of_3_calls_and_keep_every_mailboxs_error(
    graph: GraphClient, emulator: EmulatorProcess
) -> None:
    people = [u.address for u in graph.list_users()]
    strangers = [f"nobody{n}@contoso.onmicrosoft.com" for n in range(45 - len(people))]
    start = next_monday()
    since = emulator.last_seq()

    schedules = graph.get_schedules(ADELE, people + strangers, start, start + timedelta(days=5))

    assert [c["path"] for c in graph_calls(emulator, since)] == ["/v1.0/$batch"]  # one HTTP request
    inside = [c["path"] for c in graph_calls(emulator, since, batched=True) if c["batch"] is not None]
    assert inside == [f"/v1.0/users/{ADELE}/calendar/getSchedule"] * 3
    assert list(schedules) == people + strangers
    assert all(schedules[s].error and schedules[s].error.response_code == "5009" for s in strangers)  # type: ignore[union-attr]
    readable = [schedules[p] for p in people if schedules[p].error is None]
    assert len(readable) >= len(people) - 1  # the scanner account has no mailbox
    assert all(len(s.availability_view) == 5 * 24 * 4 for s in readable)
    assert any(item.status == "busy" for s in readable for item in s.items)


def test_subjects_and_locations_graph_shares_are_dropped_at_the_client(
    graph: GraphClient, emulator: EmulatorProcess
) -> None:
    emulator.control(
        "POST", f"/tenants/{emulator.tenant_id}/mailboxes/{MEGAN}/calendar-sharing", {"sharesDetails": True}
    )
    start, end = next_monday(), next_monday() + timedelta(days=5)
    raw = graph.transport.request(
        "POST",
        f"/users/{ADELE}/calendar/getSchedule",
        body={"schedules": [MEGAN], "startTime": date_time_zone(start), "endTime": date_time_zone(end)},
    ).body
    assert any("subject" in item for item in raw["value"][0]["scheduleItems"])  # Graph did send them

    schedule = graph.get_schedules(ADELE, [MEGAN], start, end)[MEGAN]

    assert schedule.items and all(set(vars(item)) == {"start", "end", "status"} for item in schedule.items)
    subjects = {item["subject"] for item in raw["value"][0]["scheduleItems"] if item.get("subject")}
    assert not any(subject in repr(schedule) for subject in subjects)


def test_busy_items_are_utc_instants_inside_the_window(graph: GraphClient) -> None:
    start = next_monday()
    schedule = graph.get_schedules(ADELE, [MEGAN], start, start + timedelta(days=5))[MEGAN]

    assert all(
        item.start.tzinfo == UTC and start - timedelta(days=1) < item.start < item.end for item in schedule.items
    )


def test_working_hours_come_in_each_mailboxs_own_zone(graph: GraphClient) -> None:
    lidia, lee = "lidia.holloway@contoso.onmicrosoft.com", "lee.gu@contoso.onmicrosoft.com"
    start = next_monday()

    schedules = graph.get_schedules(ADELE, [MEGAN, lidia, lee], start, start + timedelta(days=1))

    summer, winter = datetime(2025, 7, 1, 12, tzinfo=UTC), datetime(2025, 1, 15, 12, tzinfo=UTC)
    for address, offsets in ((MEGAN, (-7, -8)), (lidia, (-7, -8)), (lee, (5.5, 5.5))):
        hours = schedules[address].working_hours
        assert hours is not None, address
        seen = [summer.astimezone(hours.tz).utcoffset(), winter.astimezone(hours.tz).utcoffset()]
        assert seen == [timedelta(hours=h) for h in offsets], address
    assert schedules[lee].working_hours.start.hour == 10  # type: ignore[union-attr]


def test_the_same_mailbox_twice_is_asked_once(graph: GraphClient, emulator: EmulatorProcess) -> None:
    start = next_monday()
    since = emulator.last_seq()

    schedules = graph.get_schedules(ADELE, [MEGAN, MEGAN.upper()], start, start + timedelta(hours=8))

    [call] = graph_calls(emulator, since)
    assert call["body"]["schedules"] == [MEGAN]
    assert schedules[MEGAN] == schedules[MEGAN.upper()]


def test_a_window_of_62_days_is_refused_before_calling_graph(graph: GraphClient, emulator: EmulatorProcess) -> None:
    since = emulator.last_seq()

    with pytest.raises(BadRequest):
        graph.get_schedules(ADELE, [MEGAN], next_monday(), next_monday() + timedelta(days=62))

    assert graph_calls(emulator, since) == []


def test_an_organizer_outside_the_admins_policy_is_access_denied_by_policy(
    graph: GraphClient, emulator: EmulatorProcess
) -> None:
    emulator.control(
        "POST", f"/tenants/{emulator.tenant_id}/access-policy", {"client_id": emulator.client_id, "group": POLICY_GROUP}
    )

    with pytest.raises(AccessDenied) as raised:
        graph.get_schedules(JONI, [MEGAN], next_monday(), next_monday() + timedelta(days=1))

    assert raised.value.by_policy and raised.value.permanent
    assert graph.get_schedules(ADELE, [MEGAN], next_monday(), next_monday() + timedelta(days=1))[MEGAN].error is None
