"""Every ID token is checked alike: the calendar connection's as strictly as sign-in's, less the signature."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Membership, Organization, User
from integrations.models import CalendarGrant, IntegrationEvent
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import (
    ADELE,
    HOST,
    MicrosoftBrowser,
    back_to_overlap,
    browser,
    connect,
    sign_in_then,
    url,
)

MEGAN = "megan.bowen@contoso.onmicrosoft.com"
_FLOWS = "integrations_member_flows"  # where the member's pending sign-in waits in their session
_SIGN_IN_FLOWS = "integrations_sign_in_flows"


@pytest.fixture
def megan(org: Org, emulator_settings: EmulatorProcess) -> User:
    connect(browser(org.admin), org, emulator_settings, mode="delegated")
    user = User.objects.create_user(email=MEGAN, name="Megan Bowen")
    Membership.objects.create(user=user, organization=org.organization)
    return user


def _swap_nonce(client: Client, key: str = _FLOWS) -> None:
    """As if the code that comes back had been issued to another sign-in (an injected code): the flow waiting in
    the session expects another nonce than the one Microsoft put in the ID token."""
    session = client.session
    flows = dict(session[key])
    for pending in flows.values():
        pending["flow"]["nonce"] = "a-nonce-of-another-sign-in"
    session[key] = flows
    session.save()


def test_a_calendar_sign_in_whose_id_token_belongs_to_another_sign_in_is_refused_with_nothing_stored(
    org: Org, other_org: Org, megan: User, emulator_settings: EmulatorProcess
) -> None:
    client = browser(megan)
    location = client.post(url(org, "calendar_connect"))["Location"]
    _swap_nonce(client)
    ms = MicrosoftBrowser(emulator_settings)

    page = back_to_overlap(client, ms.sign_in(ms.open(location), MEGAN))

    assert "Microsoft did not complete the sign-in" in page and "nonce" in page
    assert not CalendarGrant.objects.exists()  # neither Megan's nor anyone's in the outsider organization
    assert not IntegrationEvent.objects.filter(kind="member_connected").exists()
    assert browser(other_org.admin).get(url(org, "calendar_connection")).status_code == 404


def test_the_same_sign_in_with_its_own_nonce_connects(
    org: Org, megan: User, emulator_settings: EmulatorProcess
) -> None:
    client = browser(megan)
    location = client.post(url(org, "calendar_connect"))["Location"]
    ms = MicrosoftBrowser(emulator_settings)

    page = back_to_overlap(client, ms.sign_in(ms.open(location), MEGAN))

    assert "Your calendar is connected." in page
    assert CalendarGrant.objects.get(membership__user=megan).status == "connected"


def test_a_start_answered_with_another_sign_ins_id_token_creates_nothing(
    db: None, emulator_settings: EmulatorProcess
) -> None:
    client = Client(HTTP_HOST=HOST)
    location = client.post("/start/microsoft")["Location"]
    _swap_nonce(client, _SIGN_IN_FLOWS)

    page = sign_in_then(client, MicrosoftBrowser(emulator_settings), location, ADELE)

    assert "Microsoft did not complete the sign-in" in page and "nonce" in page
    assert not Organization.objects.exists() and not User.objects.exists()
    assert "_auth_user_id" not in client.session
