"""Whose mailbox Overlap writes: only the organizer's own, named by their Entra ID object id.

A member can change `User.email` (allauth's address pages). Booking must not follow it into someone else's
mailbox: paths name people by object id, and the addresses Graph needs as data come from the directory record.
People without a mailbox in the directory are told so before anything is asked of Microsoft.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import TestCase
from django.urls import reverse

from accounts.models import Membership, User
from booking import readback
from booking.models import Booking
from booking.tasks import confirm_booking
from integrations import tasks
from integrations.models import DirectoryEntry
from m365_emulator.testing import EmulatorProcess
from tests.booking.helpers import ADELE, MEGAN, World, book, copies, form, graph_calls, meeting_url, world_in
from tests.booking.world import search_page
from tests.conftest import Org
from tests.integrations.helpers import CONTOSO_ID, browser

pytestmark = pytest.mark.usefixtures("data_contract")

CFO = "cfo@contoso.onmicrosoft.com"
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MAILBOX_PATH = re.compile(r"/v1\.0/users/([^/]+)/")


def quiet_slot(weeks: int = 6, hour: int = 4) -> datetime:
    """A Sunday `hour`:00 UTC past the demo's seeded weeks (every demo person works Monday to Friday, so nobody
    has anything then), whatever today is."""
    day = datetime.now(UTC).replace(hour=hour, minute=0, second=0, microsecond=0) + timedelta(weeks=weeks)
    return day + timedelta(days=(6 - day.weekday()) % 7)


def add_person(emulator: EmulatorProcess, upn: str, name: str, **fields: Any) -> str:
    """A person Entra ID has and Overlap's directory sync has not seen yet (a new hire); their object id."""
    body = {"userPrincipalName": upn, "displayName": name, **fields}
    return str(emulator.control("POST", f"/tenants/{CONTOSO_ID}/users", body)["user"]["id"])


def mailbox(emulator: EmulatorProcess, address: str) -> list[dict[str, Any]]:
    return list(emulator.control("GET", f"/tenants/{CONTOSO_ID}/mailboxes/{address}/events")["value"])


def take_address(membership: Membership, address: str) -> None:
    """What allauth's /accounts/email/ let a member do: make any address their primary one (`User.email`)."""
    User.objects.filter(pk=membership.user_id).update(email=address)
    membership.user.refresh_from_db()


def mailbox_segments(emulator: EmulatorProcess, since: int) -> list[str]:
    """Every `/users/<x>/…` segment of the Graph calls since `since`, $batch parts included."""
    return [
        m.group(1) for call in graph_calls(emulator, since, batched=True) if (m := MAILBOX_PATH.match(call["path"]))
    ]


class TestAMemberWhoTakesAnotherMailboxesAddress:
    """Megan makes someone else's address her own, then books with Adele (domain-wide: the application token)."""

    @pytest.mark.parametrize(
        ("target", "fields"),
        [
            (CFO, {}),  # the CFO, hired after the last directory sync
            ("ex.employee@contoso.onmicrosoft.com", {"accountEnabled": False}),  # a disabled mailbox
            ("p.nguyen@contoso.onmicrosoft.com", {"mail": "pat.nguyen@contoso.example"}),  # UPN differs from mail
        ],
        ids=["cfo_not_yet_synced", "disabled_mailbox", "upn_other_than_mail"],
    )
    def test_a_member_who_makes_another_mailboxes_address_their_own_books_only_in_their_own_mailbox(
        self, org: Org, emulator_settings: EmulatorProcess, target: str, fields: dict[str, Any]
    ) -> None:
        world = world_in(org, emulator_settings, "domain_wide")
        add_person(emulator_settings, target, "Target", **fields)
        take_address(world.megan, target)
        since = emulator_settings.last_seq()

        book(world.client(world.megan), world.org, form(quiet_slot(), required=[world.adele], subject="Takeover"))

        booking = Booking.objects.get()
        assert booking.state == Booking.State.CONFIRMED, booking.failure_reason
        assert len(copies(emulator_settings, MEGAN, booking.ical_uid)) == 1  # in her own calendar, as organizer
        assert not [e for e in mailbox(emulator_settings, target) if e["subject"] == "Takeover"]
        megan_id = emulator_settings.user_id(MEGAN)
        assert set(mailbox_segments(emulator_settings, since)) == {megan_id}
        schedules = [
            c["body"]["schedules"] for c in graph_calls(emulator_settings, since) if "getSchedule" in c["path"]
        ]
        assert schedules and all(target not in s and MEGAN in s for s in schedules)

    def test_a_colleague_who_takes_the_cfos_address_is_invited_at_their_own_address_not_the_cfos(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        world = world_in(org, emulator_settings, "domain_wide")
        add_person(emulator_settings, CFO, "Chief Financial Officer")
        take_address(world.adele, CFO)
        since = emulator_settings.last_seq()

        book(world.client(world.megan), world.org, form(quiet_slot(), required=[world.adele], subject="Takeover"))

        booking = Booking.objects.get()
        assert booking.state == Booking.State.CONFIRMED, booking.failure_reason
        [create] = [
            c for c in graph_calls(emulator_settings, since) if c["method"] == "POST" and c["path"].endswith("/events")
        ]
        assert [a["emailAddress"]["address"] for a in create["body"]["attendees"]] == [ADELE]
        assert len(copies(emulator_settings, ADELE, booking.ical_uid)) == 1
        assert not [e for e in mailbox(emulator_settings, CFO) if e["subject"] == "Takeover"]


def test_a_colleague_whose_upn_differs_from_their_mail_is_asked_about_and_invited_at_their_mail(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    add_person(emulator_settings, "p.nguyen@contoso.onmicrosoft.com", "Pat Nguyen", mail="pat.nguyen@contoso.example")
    world = world_in(org, emulator_settings, "domain_wide")  # the sync at connect brings Pat in
    pat = Membership.objects.get(organization=org.organization, directory_entry__user_principal_name__startswith="p.n")
    since = emulator_settings.last_seq()

    book(world.client(world.megan), world.org, form(quiet_slot(), required=[pat]))

    booking = Booking.objects.get()
    assert booking.state == Booking.State.CONFIRMED, booking.failure_reason
    calls = graph_calls(emulator_settings, since)
    [check] = [c for c in calls if "getSchedule" in c["path"]]
    assert check["body"]["schedules"] == [MEGAN, "pat.nguyen@contoso.example"]
    [create] = [c for c in calls if c["method"] == "POST" and c["path"].endswith("/events")]
    assert [a["emailAddress"]["address"] for a in create["body"]["attendees"]] == ["pat.nguyen@contoso.example"]


def test_a_new_hire_linked_at_sign_in_before_any_sync_books_at_the_address_graph_gives_for_their_object_id(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    world = world_in(org, emulator_settings, "domain_wide")
    DirectoryEntry.objects.filter(membership=world.megan).update(mail="")  # as a sign-in links her: no address yet
    take_address(world.megan, CFO)  # and what she typed on the address page counts for nothing
    since = emulator_settings.last_seq()

    book(world.client(world.megan), world.org, form(quiet_slot(), required=[world.adele]))

    assert Booking.objects.get().state == Booking.State.CONFIRMED
    megan_id = emulator_settings.user_id(MEGAN)
    calls = graph_calls(emulator_settings, since)
    assert [c["path"] for c in calls if c["method"] == "GET"] == [f"/v1.0/users/{megan_id}"]  # asked once, by id
    assert DirectoryEntry.objects.get(membership=world.megan).mail == MEGAN
    [check] = [c for c in calls if "getSchedule" in c["path"]]
    assert check["body"]["schedules"] == [MEGAN, ADELE]


def test_when_entra_id_changes_a_persons_mail_the_next_sync_invites_them_at_the_new_one(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    world = world_in(org, emulator_settings, "domain_wide")
    renamed = "adele.vance@contoso.example"
    emulator_settings.control("POST", f"/tenants/{CONTOSO_ID}/users", {"user": ADELE, "mail": renamed})
    tasks.sync_directory(org.organization.pk)
    since = emulator_settings.last_seq()

    book(world.client(world.megan), world.org, form(quiet_slot(), required=[world.adele]))

    assert Booking.objects.get().state == Booking.State.CONFIRMED
    world.adele.user.refresh_from_db()
    assert world.adele.user.email == ADELE  # Overlap's account keeps its address; the directory record follows Entra
    [create] = [
        c for c in graph_calls(emulator_settings, since) if c["method"] == "POST" and c["path"].endswith("/events")
    ]
    assert [a["emailAddress"]["address"] for a in create["body"]["attendees"]] == [renamed]


class TestPeopleWithoutAMailbox:
    def test_a_password_account_is_told_before_searching_that_it_can_join_but_not_organize(
        self, org: Org, emulator_settings: EmulatorProcess, other_org: Org
    ) -> None:
        world = world_in(org, emulator_settings, "domain_wide")
        guest = User.objects.create_user("invited.guest@example.com", "a long password 123", name="Invited Guest")
        membership = Membership.objects.create(user=guest, organization=org.organization)
        client = world.client(membership)
        since = emulator_settings.last_seq()

        page = client.get(reverse("booking_page", kwargs={"code": org.code})).content.decode()
        refused = client.post(
            reverse("booking_create", kwargs={"code": org.code}), form(quiet_slot(), required=[world.adele])
        )

        assert "no mailbox in" in page and "You can join meetings" in page and "cannot organize" in page
        assert refused.status_code == 409 and "cannot organize" in refused.content.decode()
        assert not Booking.objects.exists() and not graph_calls(emulator_settings, since, batched=True)
        outsider = browser(other_org.admin)
        assert outsider.get(reverse("booking_page", kwargs={"code": org.code})).status_code == 404

    def test_a_colleague_without_a_directory_record_cannot_be_searched_or_invited_and_it_says_why(
        self, world: World, other_org: Org
    ) -> None:
        guest = User.objects.create_user("invited.guest@example.com", "a long password 123", name="Invited Guest")
        invited = Membership.objects.create(user=guest, organization=world.org.organization)
        client = world.client(world.megan)
        since = world.emulator.last_seq()

        people = client.get(reverse("booking_people", kwargs={"code": world.org.code}), {"q": "Invited"})
        search, _ = search_page(client, world.org, required=[world.adele], optional=[invited])
        refused = book(client, world.org, form(quiet_slot(), required=[invited]))

        assert "no Microsoft 365 mailbox: cannot be invited" in people.content.decode()
        assert "Invited Guest: no mailbox in your organization" in search
        assert refused.status_code == 400 and "Invited Guest has no mailbox" in refused.content.decode()
        assert not Booking.objects.exists() and not graph_calls(world.emulator, since, batched=True)
        outsider = browser(other_org.admin).get(reverse("booking_people", kwargs={"code": world.org.code}), {"q": "In"})
        assert outsider.status_code == 404


def test_a_deleted_organizers_booking_fails_saying_they_left_the_directory(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    world = world_in(org, emulator_settings, "domain_wide")
    client = world.client(world.megan)
    book(client, world.org, form(quiet_slot(), required=[world.adele]), run_tasks=False)
    emulator_settings.control("DELETE", f"/tenants/{CONTOSO_ID}/users/{MEGAN}")
    booking = Booking.objects.get()

    with TestCase.captureOnCommitCallbacks(execute=True):
        confirm_booking.delay(booking.pk)

    booking.refresh_from_db()
    assert booking.state == Booking.State.FAILED
    assert "Megan Bowen has left" in booking.failure_reason and "directory" in booking.failure_reason
    assert "did not answer" not in booking.failure_reason
    # Microsoft's answer shows Entra ID removed her: her sessions end at once, not at the next directory sync.
    assert client.get(meeting_url(booking)).status_code == 302
    world.megan.refresh_from_db()
    assert not world.megan.is_active


def test_bookings_in_either_mode_name_every_mailbox_by_its_object_id_never_by_an_address(world: World) -> None:
    """Create, reschedule, read back and cancel; the emulator's log shows every `/users/<x>/` path Overlap used."""
    since = world.emulator.last_seq()
    client = world.client(world.megan)
    book(client, world.org, form(quiet_slot(), required=[world.adele], optional=[world.alex]))
    meeting = Booking.objects.get(state=Booking.State.CONFIRMED)
    moved = quiet_slot(hour=5)
    client.post(meeting_url(meeting, "meeting_reschedule"), {"start": moved.isoformat(), "minutes": "30"})
    readback.read_back_organizer(membership_id=world.megan.pk)
    client.post(meeting_url(meeting, "meeting_cancel"), {"comment": "Numbers are late", "confirm": "yes"})

    meeting.refresh_from_db()
    assert meeting.state == Booking.State.CANCELLED and meeting.start == moved
    methods = {(c["method"], c["path"].rsplit("/", 1)[-1]) for c in graph_calls(world.emulator, since, batched=True)}
    assert {("POST", "events"), ("POST", "cancel"), ("POST", "$batch")} <= methods and "PATCH" in str(methods)
    segments = mailbox_segments(world.emulator, since)
    assert [s for s in segments if not GUID.fullmatch(s)] == []
    assert segments if world.mode == "domain_wide" else not segments  # individual mode acts as /me
