"""Revocation: consent revoked, a member's sessions revoked, the app removed from the tenant → the connection shows
it after at most one failed call, Overlap stops calling, the right person is told what to do, and reconnecting
restores booking and read-back with nothing lost."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import reverse

from booking import readback
from booking.models import Booking
from integrations.models import CalendarGrant, Connection
from m365_emulator.testing import EmulatorProcess
from tests.booking.helpers import MEGAN, World, book, form, world_in
from tests.conftest import Org
from tests.integrations.helpers import CONTOSO_ID, browser, connect, connect_calendar
from tests.proof.conftest import figure, promise
from tests.proof.world import quiet_slots

pytestmark = [pytest.mark.proof, pytest.mark.django_db(transaction=True)]

ATTEMPTS = 5  # bookings tried after the revocation
CALLS_ALLOWED = 3  # the call refused for the lapsed token, the failed renewal that reveals it, one spare


@dataclass(frozen=True)
class Revocation:
    name: str
    mode: str
    revoke: Callable[[EmulatorProcess], object]
    fix: str  # what the failed booking tells its organizer to do
    who: str  # who must act


def _remove_app(emulator: EmulatorProcess) -> object:
    emulator.grant_admin_consent(granted=False)
    return None


def _revoke_sessions(emulator: EmulatorProcess) -> object:
    return emulator.control("POST", f"/tenants/{CONTOSO_ID}/users/{MEGAN}/revoke-sessions")


REVOCATIONS = [
    Revocation("the app removed from the tenant (organization mode)", "domain_wide", _remove_app, "admin", "admin"),
    Revocation("the admin revokes consent (individual mode)", "delegated", _remove_app, "admin", "admin"),
    Revocation("a member's sessions revoked", "delegated", _revoke_sessions, "reconnect", "member"),
]


def _state(world: World) -> str:
    if world.delegated and CalendarGrant.objects.filter(membership=world.megan).exists():
        grant = CalendarGrant.objects.get(membership=world.megan)
        if grant.status != CalendarGrant.Status.CONNECTED:
            return f"calendar {grant.status}"
    return f"connection {Connection.objects.get(organization=world.org.organization).status}"


def _reconnect(world: World, revocation: Revocation) -> None:
    if revocation.who == "admin":
        connect(browser(world.org.admin), world.org, world.emulator, mode=world.mode)
    if world.delegated:
        connect_calendar(browser(world.megan.user), world.org, world.emulator, MEGAN)


@pytest.mark.parametrize("revocation", REVOCATIONS, ids=[r.name for r in REVOCATIONS])
def test_a_revocation_is_shown_after_one_failed_call_and_reconnecting_restores_everything(
    org: Org, emulator_settings: EmulatorProcess, revocation: Revocation
) -> None:
    emulator = emulator_settings
    world = world_in(org, emulator, revocation.mode)
    slots = iter(quiet_slots(ATTEMPTS + 2, first_week=16))
    megan = world.client(world.megan)
    book(megan, org, form(next(slots).start, required=[world.adele], subject="Proof before revocation"))
    before = Booking.objects.get(subject="Proof before revocation")

    revocation.revoke(emulator)
    emulator.control("POST", "/access-tokens/expire")  # the cached access token lapses, as it does within the hour
    since = emulator.last_seq()
    answers = [
        book(megan, org, form(next(slots).start, required=[world.adele], subject=f"Proof revoked {i}")).status_code
        for i in range(ATTEMPTS)
    ]
    calls = [e for e in emulator.log(since) if "well-known" not in e["path"]]
    lapsed = [e for e in calls if e["status"] == 401]  # the lapsed access token, renewed once
    failed_calls = [e for e in calls if e["status"] >= 400 and e["status"] != 401]
    attempts = Booking.objects.filter(subject__startswith="Proof revoked")
    failed = attempts.filter(state=Booking.State.FAILED)
    shown = _state(world)
    home = megan.get(reverse("organization_home", kwargs={"code": org.code})).content.decode()

    _reconnect(world, revocation)
    book(megan, org, form(next(slots).start, required=[world.adele], subject="Proof after reconnecting"))
    after = Booking.objects.get(subject="Proof after reconnecting")
    Booking.objects.filter(pk=before.pk).update(read_back_at=None)
    read = readback.read_back_organizer(membership_id=world.megan.pk)
    before.refresh_from_db()
    figure(
        "revocation",
        f"{revocation.name}: shown as '{shown}' after {len(lapsed)} call refused for the lapsed token and "
        f"{len(failed_calls)} failed renewal; {len(calls)} calls to "
        f"Microsoft over {ATTEMPTS} bookings tried (answers {answers}; {failed.count()} failed telling the "
        f"{revocation.who} to '{revocation.fix}', the rest refused before calling); after reconnecting: "
        f"the new booking {after.state}, read-back '{read.summary}', the earlier meeting {before.state}",
    )

    promise(shown != "connection active", f"{revocation.name} is shown on the connection: {shown}")
    promise(len(failed_calls) <= 1, f"one failed call reveals {revocation.name}: {len(failed_calls)}")
    promise(len(calls) <= CALLS_ALLOWED, f"Overlap stops calling after {revocation.name}: {len(calls)} calls")
    promise(
        failed.count() <= 1 and all(b.failure_reason and b.failure_fix == revocation.fix for b in failed),
        f"the {revocation.who} is told what to do: {[(b.failure_reason, b.failure_fix) for b in failed]}",
    )
    promise(all(code in (302, 409) for code in answers), f"each booking is answered or refused: {answers}")
    promise(attempts.filter(state=Booking.State.CONFIRMED).count() == 0, "nothing is booked while access is revoked")
    promise("paused" in home.lower() or "reconnect" in home.lower(), "the member's home says booking is paused")
    promise(after.state == Booking.State.CONFIRMED, "reconnecting restores booking")
    promise(
        before.state == Booking.State.CONFIRMED and read.read >= 1 and not read.paused,
        f"reconnecting restores read-back with nothing lost: {read.summary}, the earlier meeting {before.state}",
    )
