"""NUL and other control characters are refused at the edge with a 400, before any view or the database."""

from __future__ import annotations

import os
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from integrations.models import Connection, IntegrationEvent
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import CONTOSO, CONTOSO_ID, browser, query, save_tenant, start_consent

REFUSED = "a parameter contains a control character"


def callback(client: Client, **params: str) -> tuple[int, str]:
    response = client.get(reverse("consent_callback") + "?" + urlencode(params))
    return response.status_code, response.content.decode()


def consent_started(org: Org, emulator: EmulatorProcess) -> tuple[Client, str]:
    """The admin's browser after clicking "Grant admin consent" and signing in at Microsoft, and the state
    Overlap then sent to Microsoft's admin-consent endpoint."""
    client = browser(org.admin)
    save_tenant(client, org, CONTOSO)
    return client, query(start_consent(client, org, emulator))["state"]


@pytest.mark.parametrize("field", ["tenant", "error", "error_description", "state"])
def test_a_nul_in_any_consent_callback_parameter_is_refused(admin_client: Client, field: str) -> None:
    params = {"admin_consent": "True", "tenant": CONTOSO_ID, "state": "s", field: "contoso\x00' OR 1=1"}
    status, text = callback(admin_client, **params)
    assert status == 400 and REFUSED in text
    assert IntegrationEvent.objects.count() == 0


@pytest.mark.parametrize("character", ["\x01", "\x1b", "\x7f", "\x0b"])
def test_a_control_character_other_than_a_line_break_in_a_query_is_refused(client: Client, character: str) -> None:
    response = client.get("/accounts/login/", {"next": f"/home{character}"})
    assert response.status_code == 400


def test_a_parameter_name_with_a_nul_is_refused(client: Client) -> None:
    assert client.get("/accounts/login/?na%00me=x").status_code == 400


def test_a_clean_query_string_passes(client: Client, db: None) -> None:
    assert client.get("/accounts/login/", {"next": "/orgs/é/"}).status_code == 200


def test_a_nul_in_a_form_field_is_refused_and_nobody_signs_in(client: Client, org: Org) -> None:
    response = client.post("/accounts/login/", {"login": f"{org.admin.email}\x00", "password": "x"})
    assert response.status_code == 400 and REFUSED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_line_breaks_in_a_query_string_reach_the_view(client: Client, db: None) -> None:
    assert client.get("/accounts/login/", {"next": "/home\r\n\tx"}).status_code == 200


def test_tabs_and_line_breaks_in_a_form_reach_the_view(client: Client, db: None) -> None:
    response = client.post("/accounts/login/", {"login": "someone@contoso.example", "password": "a\tb\r\nc"})
    assert response.status_code == 200  # the sign-in form, answering "wrong password", not the edge


def test_a_nul_in_the_callback_changes_nothing_after_a_real_consent_start(
    emulator_settings: EmulatorProcess, org: Org
) -> None:
    client, state = consent_started(org, emulator_settings)
    connection = Connection.objects.get(organization=org.organization)
    events = IntegrationEvent.objects.count()
    status, _ = callback(client, admin_consent="True", tenant=f"{CONTOSO_ID}\x00", state=state)
    assert status == 400
    assert IntegrationEvent.objects.count() == events
    after = Connection.objects.get(organization=org.organization)
    assert (after.status, after.tenant_guid, after.last_error_message) == (
        connection.status,
        connection.tenant_guid,
        connection.last_error_message,
    )


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="SQLite pass")
def test_on_postgresql_a_nul_in_error_description_gives_400_not_500(
    emulator_settings: EmulatorProcess, org: Org
) -> None:
    client, state = consent_started(org, emulator_settings)
    params = {"error": "access_denied\x00", "error_description": "AADSTS65004\x00 declined", "state": state}
    status, text = callback(client, **params)
    assert status == 400 and REFUSED in text
    assert not IntegrationEvent.objects.filter(detail__contains="AADSTS65004").exists()
