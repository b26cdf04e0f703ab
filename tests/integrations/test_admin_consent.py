"""An admin connects the organization: consent at Microsoft, verified by Overlap before it says "Connected"."""

from __future__ import annotations

from django.test import Client

from accounts.models import Membership
from integrations.microsoft import auth
from integrations.models import Connection, IntegrationEvent
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import (
    CONTOSO,
    CONTOSO_ID,
    FABRIKAM_ID,
    GRAPH_DEFAULT,
    browser,
    check_reach,
    come_back,
    connect,
    query,
    save_tenant,
    start_consent,
    url,
)


def _connection(org: Org) -> Connection:
    return Connection.objects.get(organization=org.organization)


class TestGrantingConsent:
    def test_the_admin_first_signs_in_at_the_tenant_then_goes_to_its_admin_consent_endpoint(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        client = browser(org.admin)
        save_tenant(client, org, CONTOSO)

        location = client.post(url(org, "integration_consent"))["Location"]
        sign_in = query(location)
        consent = query(start_consent(client, org, emulator_settings, via=location))

        assert location.startswith(f"{emulator_settings.browser_url}/{CONTOSO_ID}/oauth2/v2.0/authorize?")
        assert {"openid", "profile"} <= set(sign_in["scope"].split())
        assert sign_in["code_challenge_method"] == "S256" and sign_in["nonce"] and sign_in["state"]
        assert sign_in["redirect_uri"] == "http://127.0.0.1:8000/integrations/microsoft/signin/callback"
        assert consent["scope"] == GRAPH_DEFAULT
        assert consent["client_id"] == emulator_settings.client_id
        assert consent["redirect_uri"] == "http://127.0.0.1:8000/integrations/microsoft/consent/callback"
        assert consent["state"]

    def test_it_shows_connected_only_after_an_app_only_token_and_a_harmless_call(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        client = browser(org.admin)
        before = emulator_settings.last_seq()

        page = connect(client, org, emulator_settings)

        assert "Connected. Overlap checked the connection" in page
        assert 'data-status="active"' in page
        connection = _connection(org)
        assert (connection.status, connection.tenant_guid, connection.consented_by) == ("active", CONTOSO_ID, org.admin)
        calls = [(e["method"], e["path"], e.get("token_kind")) for e in emulator_settings.log(before)]
        assert ("POST", f"/{CONTOSO_ID}/oauth2/v2.0/token", None) in calls
        assert ("GET", "/v1.0/users", "app") in calls
        assert "Consent granted" in page and org.admin.name in page

    def test_it_brings_in_the_directory_after_consent(self, org: Org, emulator_settings: EmulatorProcess) -> None:
        connect(browser(org.admin), org, emulator_settings)

        emails = set(
            Membership.objects.filter(organization=org.organization, is_active=True).values_list(
                "user__email", flat=True
            )
        )
        assert {"megan.bowen@contoso.onmicrosoft.com", "alex.wilber@contoso.onmicrosoft.com"} <= emails
        assert "pradeep.gupta@contoso.onmicrosoft.com" not in emails  # disabled in Entra ID
        assert not any("sam.taylor" in email for email in emails)  # a guest
        assert org.admin.email in emails and org.member.email in emails  # nobody removed who was here before


class TestWhenConsentDoesNotHappen:
    def test_a_declined_consent_says_what_happened_and_what_to_do(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        client = browser(org.admin)
        save_tenant(client, org)
        state = query(start_consent(client, org, emulator_settings))["state"]

        page = come_back(
            client,
            admin_consent="True",
            error="consent_required",
            state=state,
            error_description="AADSTS65004: User declined to consent to access the app.",
        )

        assert "The permissions were declined at Microsoft" in page
        assert "What to do:" in page and "choose Accept" in page
        assert _connection(org).status == "awaiting_consent"

    def test_a_cancelled_consent_says_nothing_was_granted(self, org: Org, emulator_settings: EmulatorProcess) -> None:
        client = browser(org.admin)
        save_tenant(client, org)
        state = query(start_consent(client, org, emulator_settings))["state"]

        page = come_back(
            client,
            error="access_denied",
            error_subcode="cancel",
            state=state,
            error_description="AADSTS65004: The admin canceled the request",
        )

        assert "You cancelled at Microsoft, so nothing was granted." in page
        assert _connection(org).status == "awaiting_consent"

    def test_a_person_who_is_not_an_admin_is_told_who_can_consent(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        client = browser(org.admin)
        save_tenant(client, org)
        state = query(start_consent(client, org, emulator_settings))["state"]

        page = come_back(
            client,
            error="access_denied",
            state=state,
            error_description="AADSTS90094: The grant requires admin permission.",
        )

        assert "may not grant consent for the whole organization" in page
        assert "Global Administrator" in page
        assert IntegrationEvent.objects.filter(kind="consent_failed", actor=org.admin).exists()


class TestStateAndTenantChecks:
    def test_it_refuses_a_replayed_state(self, org: Org, emulator_settings: EmulatorProcess) -> None:
        client = browser(org.admin)
        save_tenant(client, org)
        state = query(start_consent(client, org, emulator_settings))["state"]
        emulator_settings.grant_admin_consent()
        come_back(client, admin_consent="True", tenant=CONTOSO_ID, state=state)
        client.post(url(org, "integration_disconnect"), {"confirm": "yes"})

        page = come_back(client, admin_consent="True", tenant=CONTOSO_ID, state=state)

        assert "already used" in page and "Nothing was changed" in page
        assert _connection(org).status == "disconnected"

    def test_it_refuses_a_forged_state(self, org: Org, emulator_settings: EmulatorProcess) -> None:
        client = browser(org.admin)
        save_tenant(client, org)
        emulator_settings.grant_admin_consent()

        page = come_back(client, admin_consent="True", tenant=CONTOSO_ID, state="forged-by-someone")

        assert "not issued by Overlap" in page
        assert _connection(org).status == "awaiting_consent"

    def test_it_refuses_a_state_started_by_another_admin(self, org: Org, emulator_settings: EmulatorProcess) -> None:
        client = browser(org.admin)
        save_tenant(client, org)
        state = query(start_consent(client, org, emulator_settings))["state"]
        emulator_settings.grant_admin_consent()
        other_admin = browser(org.member)
        Membership.objects.filter(user=org.member).update(role="admin")

        page = come_back(other_admin, admin_consent="True", tenant=CONTOSO_ID, state=state)

        assert "another person" in page
        assert _connection(org).status == "awaiting_consent"

    def test_it_refuses_consent_from_another_tenant(self, org: Org, emulator_settings: EmulatorProcess) -> None:
        client = browser(org.admin)
        save_tenant(client, org, CONTOSO)
        state = query(start_consent(client, org, emulator_settings))["state"]
        emulator_settings.grant_admin_consent(FABRIKAM_ID)

        page = come_back(client, admin_consent="True", tenant=FABRIKAM_ID, state=state)

        assert "does not match the tenant you signed in for" in page
        connection = _connection(org)
        assert (connection.status, connection.tenant_guid) == ("awaiting_consent", CONTOSO_ID)

    def test_it_does_not_trust_a_success_redirect_without_consent(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        client = browser(org.admin)
        save_tenant(client, org, CONTOSO_ID)
        state = query(start_consent(client, org, emulator_settings))["state"]

        page = come_back(client, admin_consent="True", tenant=CONTOSO_ID, state=state)

        assert "Microsoft refused Overlap&#x27;s permissions" in page and "Grant admin consent" in page
        assert 'data-status="awaiting_consent"' in page
        assert _connection(org).consented_at is None


class TestAfterwards:
    def test_consent_revoked_at_microsoft_shows_as_revoked_on_the_next_test(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        client = browser(org.admin)
        connect(client, org, emulator_settings)
        emulator_settings.grant_admin_consent(granted=False)

        page = client.post(url(org, "integration_test"), follow=True).content.decode()

        assert 'data-status="revoked"' in page
        assert "Overlap no longer has consent in your tenant." in page and "Grant admin consent" in page
        assert IntegrationEvent.objects.filter(organization=org.organization, kind="consent_revoked").exists()

    def test_disconnect_stops_every_call_and_forgets_the_tenant(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        client = browser(org.admin)
        connect(client, org, emulator_settings)

        page = client.post(url(org, "integration_disconnect"), {"confirm": "yes"}, follow=True).content.decode()
        after = emulator_settings.last_seq()
        client.post(url(org, "integration_sync"))
        client.post(url(org, "integration_reach"))

        assert "Disconnected" in page and 'data-status="disconnected"' in page
        assert _connection(org).tenant_guid == ""
        assert emulator_settings.log(after) == []

    def test_a_member_and_an_outsider_cannot_use_the_callback_to_connect(
        self, org: Org, other_org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        client = browser(org.admin)
        save_tenant(client, org)
        state = query(start_consent(client, org, emulator_settings))["state"]
        emulator_settings.grant_admin_consent()

        outsider = Client(HTTP_HOST="127.0.0.1:8000")
        outsider.force_login(other_org.admin)
        page = come_back(outsider, admin_consent="True", tenant=CONTOSO_ID, state=state)

        assert "another person" in page
        assert _connection(org).status == "awaiting_consent"


def test_a_throttled_check_needs_attention_with_when_and_the_fix(org: Org, emulator_settings: EmulatorProcess) -> None:
    client = browser(org.admin)
    connect(client, org, emulator_settings)
    emulator_settings.control("POST", "/throttle", {"tenant": CONTOSO_ID, "count": 20, "retry_after": 0.01})

    page = client.post(url(org, "integration_test"), follow=True).content.decode()

    assert 'data-status="needs_attention"' in page
    assert "What happened:" in page and "asked Overlap to slow down" in page
    assert "When:" in page
    assert "What to do:" in page and "click “Test connection” again in a few minutes" in page

    emulator_settings.control("POST", "/throttle", {"clear": True})
    page = client.post(url(org, "integration_test"), follow=True).content.decode()
    assert 'data-status="active"' in page and "What happened:" not in page


def test_a_tenant_microsoft_does_not_know_is_refused_before_any_redirect(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    client = browser(org.admin)

    response = client.post(url(org, "integration_tenant"), {"tenant": "nowhere.example", "mode": "domain_wide"})

    assert response.status_code == 200
    assert "Microsoft does not know the tenant “nowhere.example”" in response.content.decode()
    assert not Connection.objects.filter(organization=org.organization).exists()


def test_the_connection_work_keeps_to_the_data_contract(org: Org, emulator_settings: EmulatorProcess) -> None:
    client = browser(org.admin)
    before = emulator_settings.last_seq()
    connect(client, org, emulator_settings)
    client.post(url(org, "integration_test"))
    check_reach(client, org)

    graph = [e for e in emulator_settings.log(before) if e["path"].startswith("/v1.0/")]
    paths = {e["path"] for e in graph}
    assert "/v1.0/users" in paths
    assert not any(word in path for path in paths for word in ("/events", "calendarView", "/messages"))
    batches = {e["path"] for e in graph if e["path"] == "/v1.0/$batch"}
    assert {e["method"] for e in graph if "getSchedule" not in e["path"] and e["path"] not in batches} == {"GET"}
    assert all(e["path"].endswith("/calendar/getSchedule") for e in graph if e["batch"] is not None)  # reach
    assert {e["tenant"] for e in graph} == {CONTOSO_ID}


def test_a_refusal_met_while_booking_marks_the_connection_revoked(org: Org, emulator_settings: EmulatorProcess) -> None:
    from integrations.connection.clients import organization_client
    from integrations.connection.problems import connection_report_error
    from integrations.microsoft import errors

    client = browser(org.admin)
    connect(client, org, emulator_settings)
    emulator_settings.grant_admin_consent(granted=False)
    auth.forget_all()  # as a fresh worker process would be
    try:
        organization_client(organization=org.organization).get_user("megan.bowen@contoso.onmicrosoft.com")
    except errors.MicrosoftError as error:
        connection_report_error(organization=org.organization, error=error)

    page = client.get(url(org)).content.decode()
    assert 'data-status="revoked"' in page and "Consent revoked" in page
