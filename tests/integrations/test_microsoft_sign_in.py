"""Sign-in with Microsoft (django-allauth's provider) is open only to people of a connected tenant."""

from __future__ import annotations

import re

from django.test import Client

from accounts.models import Membership, User
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import HOST, MicrosoftBrowser, back_to_overlap, browser, connect

MEGAN = "megan.bowen@contoso.onmicrosoft.com"
DIEGO = "diego.siciliani@fabrikam.onmicrosoft.com"


def _sign_in_with_microsoft(emulator: EmulatorProcess, login: str) -> tuple[Client, str]:
    client = Client(HTTP_HOST=HOST)
    location = client.post("/accounts/microsoft/login/")["Location"]
    ms = MicrosoftBrowser(emulator)
    page = ms.open(location)
    answer = ms.sign_in(page, login)
    if answer.status_code == 200 and "decision" in answer.text:
        answer = ms.decide(answer, "accept")
    return client, back_to_overlap(client, answer)


def _messages(page: str) -> list[str]:
    return re.findall(r'class="message[^"]*">(.*?)</li>', page, re.S)


def test_a_person_of_the_connected_tenant_signs_in_and_lands_in_their_organization(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    connect(browser(org.admin), org, emulator_settings)

    client, page = _sign_in_with_microsoft(emulator_settings, MEGAN)

    assert client.session.get("_auth_user_id") == str(User.objects.get(email=MEGAN).pk)
    assert Membership.objects.filter(user__email=MEGAN, organization=org.organization, is_active=True).exists()
    assert "Megan Bowen" in page


def test_a_person_of_another_tenant_is_refused_with_a_message(org: Org, emulator_settings: EmulatorProcess) -> None:
    connect(browser(org.admin), org, emulator_settings)

    client, page = _sign_in_with_microsoft(emulator_settings, DIEGO)

    assert "_auth_user_id" not in client.session
    assert any("has not connected Overlap" in message for message in _messages(page))
    assert not User.objects.filter(email=DIEGO).exists()


def test_nobody_signs_in_with_microsoft_before_the_organization_is_connected(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    emulator_settings.grant_admin_consent()

    client, page = _sign_in_with_microsoft(emulator_settings, MEGAN)

    assert "_auth_user_id" not in client.session
    assert any("has not connected Overlap" in message for message in _messages(page))
    assert not User.objects.filter(email=MEGAN).exists()


def test_in_individual_mode_people_appear_as_they_sign_in(org: Org, emulator_settings: EmulatorProcess) -> None:
    connect(browser(org.admin), org, emulator_settings, mode="delegated")
    assert not User.objects.filter(email=MEGAN).exists()

    client, page = _sign_in_with_microsoft(emulator_settings, MEGAN)

    assert client.session.get("_auth_user_id") == str(User.objects.get(email=MEGAN).pk)
    assert Membership.objects.filter(user__email=MEGAN, organization=org.organization, role="member").exists()
    assert "Your calendar connection" in page  # what a member does next in individual mode
