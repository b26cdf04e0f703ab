"""Email is never identity: a password account and a Microsoft person with the same address are two people.
Neither blocks the other's sign-in, "Start with Microsoft 365" or the directory sync; the admin sees the clash
on the people page and merges the two or removes the password account."""

from __future__ import annotations

import html
from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Membership, User
from booking.models import Booking, Participant
from integrations.models import IntegrationEvent
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import ADELE, HOST, MicrosoftBrowser, back_to_overlap, browser, sign_in_then

TENANT = "6f1c3b8e-2b7a-4c1e-9d51-0f0e7e1c2a11"
ADDRESS = "lee.gu@contoso.example"


def _people(client: Client, org: Org) -> str:
    return html.unescape(client.get(reverse("people", kwargs={"code": org.code})).content.decode())


def _clash(org: Org, *, role: str = Membership.Role.MEMBER) -> tuple[Membership, Membership]:
    """An invited password account and the Microsoft person with its address, both in the organization."""
    local = Membership.objects.create(
        user=User.objects.create_user(email=ADDRESS, name="Lee (invited)", password="invited-password-1"),
        organization=org.organization,
        role=role,
    )
    person = services.microsoft_person(tenant=TENANT, object_id="11111111-2222", email=ADDRESS, name="Lee Gu")
    return local, Membership.objects.create(user=person, organization=org.organization)


def _settle(org: Org, local: Membership, action: str) -> str:
    client = browser(org.admin)
    answer = client.post(
        reverse("people_clash", kwargs={"code": org.code, "person": local.user.uuid}), {"action": action}
    )
    assert answer.status_code == 302
    return _people(client, org)


def _booking(org: Org, organizer: Membership) -> Booking:
    start = timezone.now().replace(microsecond=0) + timedelta(days=3)
    booking = Booking.objects.create(
        organization=org.organization,
        organizer=organizer,
        subject="Planning",
        start=start,
        end=start + timedelta(hours=1),
    )
    Participant.objects.create(booking=booking, membership=organizer, role="organizer")
    return booking


def test_address_squatting_does_not_stop_a_tenant_admin_starting_with_microsoft_365(
    db: None, emulator_settings: EmulatorProcess
) -> None:
    squatter = User.objects.create_user(email=ADELE, password="squatting-the-admins-address")
    client = Client(HTTP_HOST=HOST)
    location = client.post("/start/microsoft")["Location"]
    ms = MicrosoftBrowser(emulator_settings)
    onward = sign_in_then(client, ms, location, ADELE)

    back_to_overlap(client, ms.decide(ms.open(onward), "accept"))

    adele = Membership.objects.get(user__email=ADELE, role=Membership.Role.ADMIN).user
    assert adele != squatter and adele.is_microsoft
    assert client.session["_auth_user_id"] == str(adele.pk)
    assert not squatter.memberships.exists()


def test_the_admin_sees_the_clash_and_an_outsider_sees_nothing_of_it(org: Org, other_org: Org) -> None:
    _clash(org)

    page = _people(browser(org.admin), org)
    outsider = browser(other_org.admin)

    assert "One address, two accounts" in page and "Lee (invited)" in page and "Lee Gu" in page
    assert "One address, two accounts" not in _people(outsider, other_org)
    assert browser(org.member).get(reverse("people", kwargs={"code": org.code})).status_code == 403
    lee = User.objects.get(name="Lee (invited)")
    forged = outsider.post(reverse("people_clash", kwargs={"code": org.code, "person": lee.uuid}), {"action": "remove"})
    assert forged.status_code == 404
    assert User.objects.filter(name="Lee (invited)").exists()


def test_merging_moves_the_password_accounts_meetings_and_role_to_the_microsoft_person(org: Org) -> None:
    local, person = _clash(org, role=Membership.Role.ADMIN)
    booking = _booking(org, local)
    IntegrationEvent.objects.create(organization=org.organization, actor=local.user, kind="checked")

    page = _settle(org, local, "merge")

    booking.refresh_from_db()
    person.refresh_from_db()
    assert booking.organizer == person
    assert list(booking.participants.values_list("membership", flat=True)) == [person.pk]
    assert person.role == Membership.Role.ADMIN
    assert IntegrationEvent.objects.get(kind="checked").actor == person.user
    assert not User.objects.filter(email=ADDRESS, microsoft_object_id="").exists()
    assert "meetings now belong to Lee Gu" in page and "One address, two accounts" not in page
    assert not Client().login(email=ADDRESS, password="invited-password-1")


def test_removing_the_password_account_leaves_the_microsoft_person_untouched(org: Org, other_org: Org) -> None:
    local, person = _clash(org)
    Membership.objects.create(user=local.user, organization=other_org.organization)  # it belongs elsewhere too

    page = _settle(org, local, "remove")

    assert not Membership.objects.filter(pk=local.pk).exists()
    assert User.objects.filter(pk=local.user.pk).exists()  # still someone in the other organization
    assert Membership.objects.get(pk=person.pk).is_active
    assert "is removed" in page and "One address, two accounts" not in page


def test_settling_a_person_who_is_not_in_a_clash_changes_nothing(org: Org) -> None:
    page = _settle(org, Membership.objects.get(user=org.member), "remove")

    assert Membership.objects.filter(user=org.member, organization=org.organization).exists()
    assert "is not a password account sharing a Microsoft person" in page


def test_merging_two_accounts_in_the_same_meeting_is_refused_and_changes_nothing(org: Org) -> None:
    local, person = _clash(org)
    booking = _booking(org, local)
    Participant.objects.create(booking=booking, membership=person, role="required")

    page = _settle(org, local, "merge")

    assert "are both in a meeting" in page and "Nothing was changed" in page
    assert Membership.objects.filter(pk=local.pk).exists()
    assert Booking.objects.get(pk=booking.pk).organizer == local
