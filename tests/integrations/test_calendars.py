"""The calendars facade, as booking will use it, against the emulator in both modes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from accounts.models import Membership, User
from integrations import calendars
from integrations.calendars import CalendarError, ConnectionNotReady, NewAttendee, NewEvent
from integrations.microsoft import auth
from integrations.models import Connection
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import browser, connect, connect_calendar, in_directory

MEGAN = "megan.bowen@contoso.onmicrosoft.com"
ADELE = "adele.vance@contoso.onmicrosoft.com"
ALEX = "alex.wilber@contoso.onmicrosoft.com"  # Eastern: his working day overlaps Megan's (Pacific)
SCANNER = "scanner@contoso.onmicrosoft.com"
BOOKING = "3b0c4a1e-0000-4000-8000-00000000b001"


def next_monday(hour: int) -> datetime:
    today = datetime.now(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return today + timedelta(days=7 - today.weekday())


def megan_in(org: Org, emulator: EmulatorProcess, mode: str) -> Membership:
    """Megan, who books, in an organization connected in `mode` (her own calendar connected in individual mode)."""
    connect(browser(org.admin), org, emulator, mode=mode)
    for address in (ADELE, ALEX):  # colleagues in the directory (individual mode has no sync to bring them)
        colleague, _ = User.objects.get_or_create(email=address)
        in_directory(Membership.objects.get_or_create(user=colleague, organization=org.organization)[0])
    user, _ = User.objects.get_or_create(email=MEGAN, defaults={"name": "Megan Bowen"})
    membership, _ = Membership.objects.get_or_create(user=user, organization=org.organization)
    in_directory(membership)
    if mode == "delegated":
        connect_calendar(browser(user), org, emulator, MEGAN)
    return membership


@pytest.fixture(params=["domain_wide", "delegated"])
def organizer(request: pytest.FixtureRequest, org: Org, emulator_settings: EmulatorProcess) -> Membership:
    return megan_in(org, emulator_settings, request.param)


def graph_calls(emulator: EmulatorProcess, since: int, *, batched: bool = False) -> list[dict[str, Any]]:
    return [e for e in emulator.log(since) if e["path"].startswith("/v1.0") and (batched or e["batch"] is None)]


def meeting(transaction_id: str = BOOKING, hour: int = 15) -> NewEvent:
    start = next_monday(hour)
    return NewEvent(
        subject="Megan / Adele",
        start=start,
        end=start + timedelta(minutes=30),
        attendees=(NewAttendee(ADELE, "Adele Vance"),),
        transaction_id=transaction_id,
        tag=f"BK-{transaction_id[-4:]}",
    )


def mailbox(emulator: EmulatorProcess, address: str, ical_uid: str | None) -> list[dict[str, Any]]:
    events = emulator.control("GET", f"/tenants/{emulator.tenant_id}/mailboxes/{address}/events")["value"]
    return [e for e in events if e["iCalUId"] == ical_uid]


def _is_delegated(organizer: Membership) -> bool:
    return Connection.objects.get(organization=organizer.organization).mode == Connection.Mode.DELEGATED


class TestFreeBusy:
    def test_it_reads_everyones_busy_times_in_the_organizations_mode(
        self, organizer: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        since = emulator_settings.last_seq()
        start = next_monday(8)

        schedules = calendars.free_busy(
            organizer=organizer, people=[MEGAN, ADELE], start=start, end=start + timedelta(hours=10)
        )

        assert list(schedules) == [MEGAN, ADELE]
        assert all(s.error is None and len(s.availability_view) == 40 for s in schedules.values())
        [call] = graph_calls(emulator_settings, since)
        delegated = _is_delegated(organizer)
        mailbox = "me" if delegated else f"users/{emulator_settings.user_id(MEGAN)}"  # an object id, never an address
        assert call["path"] == f"/v1.0/{mailbox}/calendar/getSchedule"
        assert call["token_kind"] == ("delegated" if delegated else "app")

    def test_a_person_microsoft_cannot_read_comes_back_with_an_error_never_as_free(
        self, organizer: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        start = next_monday(8)

        scanner, _ = User.objects.get_or_create(email=SCANNER)  # in the directory, but with no mailbox
        in_directory(Membership.objects.get_or_create(user=scanner, organization=organizer.organization)[0])
        since = emulator_settings.last_seq()

        schedules = calendars.free_busy(
            organizer=organizer, people=[SCANNER], start=start, end=start + timedelta(hours=1)
        )

        assert schedules[SCANNER].error is not None
        [call] = graph_calls(emulator_settings, since)
        assert call["body"]["schedules"] == [SCANNER]  # Microsoft itself said it could not read it


class TestSuggestions:
    def test_microsoft_suggests_times_with_reasons_in_individual_mode(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        organizer = megan_in(org, emulator_settings, "delegated")
        since = emulator_settings.last_seq()
        start = next_monday(0)

        found = calendars.suggest_times(
            organizer=organizer,
            attendees=[ALEX],
            start=start,
            end=start + timedelta(days=2),
            duration=timedelta(minutes=30),
            max_candidates=5,
        )

        assert calendars.graph_suggests_times(organizer=organizer) is True
        assert found.suggestions and len(found.suggestions) <= 5
        assert all(start <= s.start < s.end <= start + timedelta(days=2) for s in found.suggestions)
        assert all(s.end - s.start == timedelta(minutes=30) and s.reason for s in found.suggestions)
        assert [c["path"] for c in graph_calls(emulator_settings, since)] == ["/v1.0/me/findMeetingTimes"]

    def test_in_domain_wide_mode_it_asks_nothing_and_says_overlap_ranks_the_times(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        organizer = megan_in(org, emulator_settings, "domain_wide")
        since = emulator_settings.last_seq()
        start = next_monday(0)

        with pytest.raises(CalendarError) as refused:
            calendars.suggest_times(
                organizer=organizer,
                attendees=[ADELE],
                start=start,
                end=start + timedelta(days=2),
                duration=timedelta(minutes=30),
            )

        assert calendars.graph_suggests_times(organizer=organizer) is False
        assert refused.value.code == "mode" and refused.value.permanent
        assert graph_calls(emulator_settings, since) == []


class TestEvents:
    def test_a_retried_create_makes_one_meeting_in_the_organizers_calendar(
        self, organizer: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        first = calendars.event_create(organizer=organizer, new=meeting())
        again = calendars.event_create(organizer=organizer, new=meeting())

        assert again.id == first.id and first.transaction_id == BOOKING
        assert first.organizer == MEGAN and [a.address for a in first.attendees] == [ADELE]
        assert len(mailbox(emulator_settings, MEGAN, first.ical_uid)) == 1
        assert len(mailbox(emulator_settings, ADELE, first.ical_uid)) == 1  # Exchange's invitation, not a copy

    def test_it_refuses_to_create_without_a_transaction_id(self, organizer: Membership) -> None:
        with pytest.raises(ValueError, match="transaction_id"):
            calendars.event_create(organizer=organizer, new=meeting(transaction_id=""))

    def test_a_reschedule_sends_only_the_new_start_and_end(
        self, organizer: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        created = calendars.event_create(organizer=organizer, new=meeting())
        later = next_monday(16)
        since = emulator_settings.last_seq()

        moved = calendars.event_reschedule(
            organizer=organizer, event_id=created.id, start=later, end=later + timedelta(minutes=45)
        )

        assert (moved.id, moved.start, moved.end) == (created.id, later, later + timedelta(minutes=45))
        assert moved.join_url == created.join_url and moved.subject == created.subject
        [patch] = graph_calls(emulator_settings, since)
        assert patch["method"] == "PATCH" and set(patch["body"]) == {"start", "end"}

    def test_a_cancelled_meeting_reads_back_as_gone_or_cancelled_and_the_colleague_is_told(
        self, organizer: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        created = calendars.event_create(organizer=organizer, new=meeting())

        calendars.event_cancel(organizer=organizer, event_id=created.id, comment="Something came up.")

        found = calendars.events_read(organizer=organizer, event_ids=[created.id])[created.id]
        assert (isinstance(found, CalendarError) and found.gone) or (
            not isinstance(found, CalendarError) and found.is_cancelled
        )
        [copy] = mailbox(emulator_settings, ADELE, created.ical_uid)
        assert copy["isCancelled"] is True

    def test_it_reads_its_own_events_back_by_id_in_one_batch(
        self, organizer: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        made = [calendars.event_create(organizer=organizer, new=meeting(f"{BOOKING[:-1]}{n}", 9 + n)) for n in range(3)]
        since = emulator_settings.last_seq()

        found = calendars.events_read(organizer=organizer, event_ids=[e.id for e in made] + ["AAkALgUnknown="])

        read = [found[e.id] for e in made]
        assert [r.start if isinstance(r, calendars.Event) else r for r in read] == [e.start for e in made]
        missing = found["AAkALgUnknown="]
        assert isinstance(missing, CalendarError) and missing.gone and missing.permanent
        top = graph_calls(emulator_settings, since)
        assert [(c["method"], c["path"]) for c in top] == [("POST", "/v1.0/$batch")]
        assert len(graph_calls(emulator_settings, since, batched=True)) == 5  # the batch and its four reads


class TestRefusals:
    def test_a_revoked_consent_marks_the_connection_and_stops_every_later_call(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        connect(browser(org.admin), org, emulator_settings)
        organizer = Membership.objects.get(user__email=MEGAN, organization=org.organization)
        emulator_settings.grant_admin_consent(granted=False)
        auth.forget_all()  # as a fresh worker would be
        start = next_monday(8)

        with pytest.raises(CalendarError) as refused:
            calendars.free_busy(organizer=organizer, people=[ADELE], start=start, end=start + timedelta(hours=1))
        since = emulator_settings.last_seq()
        with pytest.raises(ConnectionNotReady):
            calendars.free_busy(organizer=organizer, people=[ADELE], start=start, end=start + timedelta(hours=1))

        assert refused.value.permanent and "no longer has consent" in refused.value.reason
        assert Connection.objects.get(organization=org.organization).status == Connection.Status.REVOKED
        assert emulator_settings.log(since) == []

    def test_nothing_is_asked_of_microsoft_for_an_organization_that_is_not_connected(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        organizer = Membership.objects.get(user=org.member)
        since = emulator_settings.last_seq()

        with pytest.raises(ConnectionNotReady):
            calendars.event_create(organizer=organizer, new=meeting())

        assert emulator_settings.log(since) == []
