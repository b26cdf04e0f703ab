"""The integration settings page without Microsoft: who may see it, and what the tenant form accepts."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from integrations.models import Connection, IntegrationEvent
from tests.conftest import Org


@pytest.fixture(autouse=True)
def _no_microsoft(settings: Any) -> None:
    """These pages are tested without Microsoft: with no app registration Overlap never calls out."""
    settings.MICROSOFT_CLIENT_ID = ""


def _url(org: Org, name: str = "integration_settings") -> str:
    return reverse(name, kwargs={"code": org.organization.code})


class TestWhoMaySeeIt:
    def test_it_shows_an_admin_the_status_and_the_steps(self, org: Org, admin_client: Client) -> None:
        response = admin_client.get(_url(org))

        assert response.status_code == 200
        page = response.content.decode()
        assert "Not configured" in page
        assert "Grant admin consent" in page
        assert "Calendars.ReadWrite" in page and "User.Read.All" in page
        assert "New-ApplicationAccessPolicy" in page

    def test_it_forbids_a_member(self, org: Org, member_client: Client) -> None:
        assert member_client.get(_url(org)).status_code == 403
        assert member_client.post(_url(org, "integration_tenant"), {"tenant": "x.example"}).status_code == 403

    def test_it_hides_the_page_from_an_outsider(self, org: Org, outsider_client: Client) -> None:
        assert outsider_client.get(_url(org)).status_code == 404
        assert outsider_client.post(_url(org, "integration_disconnect"), {"confirm": "yes"}).status_code == 404

    def test_it_sends_a_visitor_to_sign_in(self, org: Org) -> None:
        response = Client().get(_url(org))

        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]


class TestTheTenantForm:
    def test_it_refuses_a_bad_tenant_with_a_clear_message_and_no_redirect(self, org: Org, admin_client: Client) -> None:
        response = admin_client.post(_url(org, "integration_tenant"), {"tenant": "contoso", "mode": "domain_wide"})

        assert response.status_code == 200
        assert "neither a tenant ID" in response.content.decode()
        assert not Connection.objects.filter(organization=org.organization).exclude(tenant="").exists()

    def test_it_saves_the_tenant_and_logs_who_changed_it(self, org: Org, admin_client: Client) -> None:
        response = admin_client.post(
            _url(org, "integration_tenant"), {"tenant": "Contoso.onmicrosoft.com", "mode": "delegated"}, follow=True
        )

        page = response.content.decode()
        assert "Awaiting consent" in page
        assert "Tenant ID changed" in page and "Mode changed" in page
        assert org.admin.name in page
        connection = Connection.objects.get(organization=org.organization)
        assert (connection.mode, connection.status) == ("delegated", "awaiting_consent")
        kinds = set(IntegrationEvent.objects.filter(actor=org.admin).values_list("kind", flat=True))
        assert kinds == {"tenant_changed", "mode_changed"}

    def test_it_asks_for_the_tenant_before_consent(self, org: Org, admin_client: Client) -> None:
        response = admin_client.post(_url(org, "integration_consent"), follow=True)

        assert "Enter your tenant ID first." in response.content.decode()


def test_testing_or_disconnecting_before_the_set_up_says_so(org: Org, admin_client: Client) -> None:
    tested = admin_client.post(_url(org, "integration_test"), follow=True).content.decode()
    disconnected = admin_client.post(
        _url(org, "integration_disconnect"), {"confirm": "yes"}, follow=True
    ).content.decode()

    assert "Grant admin consent first" in tested
    assert "there is nothing to disconnect" in disconnected
