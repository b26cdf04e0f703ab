"""Entra ID governs a Microsoft person: when it disables or deletes them, their Overlap sessions end within one
sync (domain-wide) or at the first refused token renewal (individual mode), and they can no longer act."""

from __future__ import annotations

import pytest
from django.test import Client, TestCase
from django.urls import reverse

from accounts.models import Membership
from integrations import tasks
from integrations.member_calendars import services as members
from integrations.models import DirectoryEntry
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import (
    CONTOSO_ID,
    HOST,
    MicrosoftBrowser,
    back_to_overlap,
    browser,
    connect,
    sign_in_then,
    url,
)

MEGAN = "megan.bowen@contoso.onmicrosoft.com"


def _signed_in_with_microsoft(emulator: EmulatorProcess, login: str) -> Client:
    client = Client(HTTP_HOST=HOST)
    location = client.post("/sign-in/microsoft")["Location"]
    sign_in_then(client, MicrosoftBrowser(emulator), location, login)
    assert client.session.get("_auth_user_id"), "the person should be signed in before Entra ID acts"
    return client


def _can_act(client: Client, org: Org) -> bool:
    """Whether the client still reaches the organization's pages and can ask to book."""
    home = client.get(f"/orgs/{org.code}/")
    booking = client.post(reverse("booking_create", kwargs={"code": org.organization.code}), {})
    return home.status_code == 200 or booking.status_code not in (302, 404)


def _sent_to_sign_in(client: Client, org: Org) -> bool:
    answer = client.get(f"/orgs/{org.code}/")
    return answer.status_code == 302 and answer["Location"].startswith(reverse("account_login"))


def _sync(org: Org) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        tasks.sync_directory.delay(org.organization.pk)


@pytest.mark.parametrize("how", ["disable", "delete"])
def test_a_person_entra_id_disabled_or_deleted_is_signed_out_by_the_next_sync_and_cannot_book(
    how: str, org: Org, other_org: Org, emulator_settings: EmulatorProcess
) -> None:
    connect(browser(org.admin), org, emulator_settings)
    megan_client = _signed_in_with_microsoft(emulator_settings, MEGAN)
    outsider = browser(other_org.member)
    assert _can_act(megan_client, org)
    if how == "disable":
        emulator_settings.control("POST", f"/tenants/{CONTOSO_ID}/users", {"user": MEGAN, "accountEnabled": False})
    else:
        emulator_settings.control("DELETE", f"/tenants/{CONTOSO_ID}/users/{MEGAN}")

    _sync(org)

    assert _sent_to_sign_in(megan_client, org)
    assert not _can_act(megan_client, org)
    assert not megan_client.session.get("_auth_user_id")
    assert not Membership.objects.get(user__email=MEGAN, organization=org.organization).is_active
    assert outsider.get(f"/orgs/{other_org.code}/").status_code == 200  # nobody else is signed out


def test_a_refused_token_renewal_for_a_disabled_person_signs_them_out_in_individual_mode(
    org: Org, other_org: Org, emulator_settings: EmulatorProcess
) -> None:
    connect(browser(org.admin), org, emulator_settings, mode="delegated")
    megan_client = _signed_in_with_microsoft(emulator_settings, MEGAN)
    location = megan_client.post(url(org, "calendar_connect"))["Location"]
    ms = MicrosoftBrowser(emulator_settings)
    back_to_overlap(megan_client, ms.sign_in(ms.open(location), MEGAN))
    assert _can_act(megan_client, org)
    emulator_settings.control("POST", f"/tenants/{CONTOSO_ID}/users", {"user": MEGAN, "accountEnabled": False})

    members.member_check(membership=Membership.objects.get(user__email=MEGAN))  # what the next renewal meets

    assert _sent_to_sign_in(megan_client, org)
    assert not _can_act(megan_client, org)
    assert not DirectoryEntry.objects.get(membership__user__email=MEGAN).account_enabled
    assert browser(other_org.member).get(f"/orgs/{other_org.code}/").status_code == 200
