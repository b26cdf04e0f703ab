"""Individual mode: a member connects their own calendar, sees its state, reconnects, disconnects."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Membership, User
from integrations.connection.clients import member_client
from integrations.microsoft import errors
from integrations.models import CalendarGrant, DirectoryEntry, IntegrationEvent
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import (
    CONTOSO_ID,
    FABRIKAM_ID,
    MicrosoftBrowser,
    back_to_overlap,
    browser,
    connect,
    query,
    url,
)

MEGAN = "megan.bowen@contoso.onmicrosoft.com"
ALEX = "alex.wilber@contoso.onmicrosoft.com"
DIEGO = "diego.siciliani@fabrikam.onmicrosoft.com"


@pytest.fixture
def megan(org: Org) -> User:
    user = User.objects.create_user(email=MEGAN, name="Megan Bowen")
    Membership.objects.create(user=user, organization=org.organization)
    return user


def _connect_calendar(client: Client, org: Org, emulator: EmulatorProcess, login: str = MEGAN) -> str:
    location = client.post(url(org, "calendar_connect"))["Location"]
    ms = MicrosoftBrowser(emulator)
    return back_to_overlap(client, ms.sign_in(ms.open(location), login))


def _grant(user: User) -> CalendarGrant:
    return CalendarGrant.objects.get(membership__user=user)


@pytest.fixture
def delegated(org: Org, emulator_settings: EmulatorProcess) -> EmulatorProcess:
    connect(browser(org.admin), org, emulator_settings, mode="delegated")
    return emulator_settings


class TestConnecting:
    def test_a_member_connects_their_calendar_and_sees_it_connected(
        self, org: Org, megan: User, delegated: EmulatorProcess
    ) -> None:
        client = browser(megan)
        location = client.post(url(org, "calendar_connect"))["Location"]
        sent = query(location)

        ms = MicrosoftBrowser(delegated)
        page = back_to_overlap(client, ms.sign_in(ms.open(location), MEGAN))

        assert location.startswith(f"{delegated.browser_url}/{CONTOSO_ID}/oauth2/v2.0/authorize")
        assert sent["code_challenge_method"] == "S256"
        assert {"offline_access", "Calendars.ReadWrite", "Calendars.Read.Shared"} <= set(sent["scope"].split())
        assert "Your calendar is connected." in page and 'data-status="connected"' in page
        assert f"Connected as <strong>{MEGAN}</strong>" in page
        grant = _grant(megan)
        assert grant.status == "connected" and MEGAN not in grant.token_cache  # stored encrypted
        assert IntegrationEvent.objects.filter(kind="member_connected", actor=megan).exists()

    def test_the_booking_code_gets_a_client_that_acts_as_the_member(
        self, org: Org, megan: User, delegated: EmulatorProcess
    ) -> None:
        _connect_calendar(browser(megan), org, delegated)
        before = delegated.last_seq()

        me = member_client(membership=Membership.objects.get(user=megan)).me()

        assert me.user_principal_name == MEGAN
        calls = delegated.log(before)
        assert calls and all(
            c["token_kind"] == "delegated" and c["user"] == MEGAN for c in calls if c["path"] == "/v1.0/me"
        )

    def test_a_replayed_callback_changes_nothing(self, org: Org, megan: User, delegated: EmulatorProcess) -> None:
        client = browser(megan)
        location = client.post(url(org, "calendar_connect"))["Location"]
        ms = MicrosoftBrowser(delegated)
        answer = ms.sign_in(ms.open(location), MEGAN)
        back_to_overlap(client, answer)
        client.post(url(org, "calendar_disconnect"))

        page = back_to_overlap(client, answer)

        assert "already used" in page
        assert _grant(megan).status == "disconnected"

    def test_a_member_who_declines_at_microsoft_is_told_how_to_try_again(
        self, org: Org, megan: User, emulator_settings: EmulatorProcess
    ) -> None:
        client = browser(org.admin)
        connect(client, org, emulator_settings, mode="delegated")
        # Without the admin's consent for everyone, Microsoft asks Megan herself.
        emulator_settings.grant_admin_consent(granted=False)
        member = browser(megan)
        location = member.post(url(org, "calendar_connect"))["Location"]
        ms = MicrosoftBrowser(emulator_settings)

        page = back_to_overlap(member, ms.decide(ms.sign_in(ms.open(location), MEGAN), "cancel"))

        assert "You did not accept at Microsoft" in page and "Connect my calendar" in page
        assert not CalendarGrant.objects.filter(membership__user=megan, status="connected").exists()


class TestWhenTheGrantDies:
    def test_revoked_sessions_put_the_member_in_reconnect_needed_and_the_admin_sees_it(
        self, org: Org, megan: User, delegated: EmulatorProcess
    ) -> None:
        client = browser(megan)
        _connect_calendar(client, org, delegated)
        delegated.control("POST", f"/tenants/{CONTOSO_ID}/users/{MEGAN}/revoke-sessions")

        page = client.post(url(org, "calendar_check"), follow=True).content.decode()

        assert 'data-status="reconnect_needed"' in page and "Reconnect" in page
        assert "What to do:" in page
        admin_page = browser(org.admin).get(url(org)).content.decode()
        assert "Must reconnect" in admin_page and MEGAN in admin_page
        with pytest.raises(errors.ReauthenticationRequired):
            member_client(membership=Membership.objects.get(user=megan))

    def test_an_expired_refresh_token_needs_a_reconnect_which_then_works(
        self, org: Org, megan: User, delegated: EmulatorProcess
    ) -> None:
        client = browser(megan)
        _connect_calendar(client, org, delegated)
        delegated.control("POST", f"/tenants/{CONTOSO_ID}/users/{MEGAN}/refresh-tokens/expire")
        client.post(url(org, "calendar_check"))
        assert _grant(megan).status == "reconnect_needed"

        page = _connect_calendar(client, org, delegated)

        assert 'data-status="connected"' in page
        assert "Nobody needs to reconnect." in browser(org.admin).get(url(org)).content.decode()

    def test_disconnecting_forgets_the_tokens(self, org: Org, megan: User, delegated: EmulatorProcess) -> None:
        client = browser(megan)
        _connect_calendar(client, org, delegated)

        page = client.post(url(org, "calendar_disconnect"), follow=True).content.decode()

        assert "Connect my calendar" in page
        grant = _grant(megan)
        assert (grant.status, grant.token_cache) == ("disconnected", "")

    def test_the_admins_disconnect_forgets_every_members_tokens(
        self, org: Org, megan: User, delegated: EmulatorProcess
    ) -> None:
        _connect_calendar(browser(megan), org, delegated)

        browser(org.admin).post(url(org, "integration_disconnect"), {"confirm": "yes"})

        assert _grant(megan).token_cache == ""
        page = browser(megan).get(url(org, "calendar_connection")).content.decode()
        assert "Ask one of its admins" in page


def test_an_outsider_cannot_see_or_start_a_members_connection(
    org: Org, other_org: Org, delegated: EmulatorProcess
) -> None:
    outsider = browser(other_org.admin)

    assert outsider.get(url(org, "calendar_connection")).status_code == 404
    assert outsider.post(url(org, "calendar_connect")).status_code == 404


class TestSomeoneElsesAccount:
    """Megan's "Connect my calendar" must end with Megan's own Microsoft account, or store nothing."""

    @pytest.fixture
    def linked_megan(self, org: Org, megan: User, delegated: EmulatorProcess) -> User:
        DirectoryEntry.objects.create(
            organization=org.organization,
            membership=Membership.objects.get(user=megan),
            object_id=delegated.user_id(MEGAN),
            user_principal_name=MEGAN,
        )
        return megan

    def test_signing_in_as_a_colleague_is_refused_naming_the_account_used(
        self, org: Org, linked_megan: User, delegated: EmulatorProcess
    ) -> None:
        page = _connect_calendar(browser(linked_megan), org, delegated, login=ALEX)

        assert f"You signed in at Microsoft as {ALEX}, which is not your account. Nothing was stored." in page
        assert not CalendarGrant.objects.filter(membership__user=linked_megan).exists()
        assert not IntegrationEvent.objects.filter(kind="member_connected").exists()

    def test_signing_in_with_another_organizations_account_is_refused(
        self, org: Org, linked_megan: User, delegated: EmulatorProcess
    ) -> None:
        delegated.grant_admin_consent(FABRIKAM_ID)
        client = browser(linked_megan)
        location = client.post(url(org, "calendar_connect"))["Location"]
        ms = MicrosoftBrowser(delegated)
        answer = ms.sign_in(ms.open(location), DIEGO)

        assert answer.status_code == 200  # Contoso's sign-in does not take a Fabrikam account
        assert not CalendarGrant.objects.filter(membership__user=linked_megan).exists()

    def test_an_account_that_is_already_a_colleagues_in_overlap_is_refused_for_an_unlinked_member(
        self, org: Org, megan: User, delegated: EmulatorProcess
    ) -> None:
        alex = User.objects.create_user(email=ALEX)
        DirectoryEntry.objects.create(
            organization=org.organization,
            membership=Membership.objects.create(user=alex, organization=org.organization),
            object_id=delegated.user_id(ALEX),
        )

        page = _connect_calendar(browser(megan), org, delegated, login=ALEX)

        assert f"You signed in at Microsoft as {ALEX}, which is not your account." in page
        assert not CalendarGrant.objects.filter(membership__user=megan).exists()
        assert not DirectoryEntry.objects.filter(membership__user=megan).exists()
