"""After an admin disconnects Microsoft 365, the organization's admins still sign in with Microsoft and can
connect again: a person is found by (tenant id, object id), not through the connection's tenant, which a
disconnect forgets."""

from __future__ import annotations

from django.test import Client

from accounts.models import Membership, Organization, User
from integrations.models import Connection
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import (
    ADELE,
    CONTOSO_ID,
    HOST,
    MicrosoftBrowser,
    back_to_overlap,
    browser,
    connect,
    consent_at_microsoft,
    sign_in_then,
    url,
)

MEGAN = "megan.bowen@contoso.onmicrosoft.com"


def _start_with_microsoft_365(emulator: EmulatorProcess) -> tuple[Client, Organization]:
    client = Client(HTTP_HOST=HOST)
    location = client.post("/start/microsoft")["Location"]
    ms = MicrosoftBrowser(emulator)
    onward = sign_in_then(client, ms, location, ADELE)
    back_to_overlap(client, ms.decide(ms.open(onward), "accept"))
    return client, Membership.objects.get(user__email=ADELE).organization


def _sign_in_with_microsoft(emulator: EmulatorProcess, login: str) -> Client:
    client = Client(HTTP_HOST=HOST)
    location = client.post("/sign-in/microsoft")["Location"]
    sign_in_then(client, MicrosoftBrowser(emulator), location, login)
    return client


def test_the_founding_admin_signs_in_after_a_disconnect_and_connects_again(
    db: None, other_org: Org, emulator_settings: EmulatorProcess
) -> None:
    founder, organization = _start_with_microsoft_365(emulator_settings)
    code = str(organization.code)
    founder.post(f"/orgs/{code}/integrations/microsoft/disconnect", {"confirm": "yes"})
    assert Connection.objects.get(organization=organization).status == Connection.Status.DISCONNECTED

    again = _sign_in_with_microsoft(emulator_settings, ADELE)

    assert again.session.get("_auth_user_id") == str(User.objects.get(email=ADELE).pk)
    assert again.get(f"/orgs/{code}/").status_code == 200
    org = Org(organization, User.objects.get(email=ADELE), User.objects.get(email=ADELE))
    page = consent_at_microsoft(again, org, emulator_settings, ADELE, "accept")
    connection = Connection.objects.get(organization=organization)
    assert (connection.status, connection.tenant_guid) == (Connection.Status.ACTIVE, CONTOSO_ID)
    assert "Connected" in page
    assert again.get(f"/orgs/{other_org.code}/").status_code == 404


def test_a_member_still_signs_in_after_a_disconnect_but_an_outsider_of_the_tenant_does_not(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    connect(browser(org.admin), org, emulator_settings)
    browser(org.admin).post(url(org, "integration_disconnect"), {"confirm": "yes"})

    megan = _sign_in_with_microsoft(emulator_settings, MEGAN)
    outsider = _sign_in_with_microsoft(emulator_settings, "diego.siciliani@fabrikam.onmicrosoft.com")

    assert megan.session.get("_auth_user_id") == str(User.objects.get(email=MEGAN).pk)
    assert "_auth_user_id" not in outsider.session
