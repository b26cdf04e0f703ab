"""Admin consent: a seeded admin accepts or cancels; non-admins and unregistered redirect URIs are refused."""

from __future__ import annotations

from urllib.parse import urlencode

from m365_emulator.testing import Browser, EmulatorProcess
from tests.emulator.helpers import app_token, graph, token_request

REDIRECT = "http://localhost:8000/integrations/microsoft/consent/done/"
ADELE = "adele.vance@contoso.onmicrosoft.com"


def _consent_url(emulator: EmulatorProcess, *, v1: bool = False, tenant: str | None = None, **params: str) -> str:
    query = {"client_id": emulator.client_id, "redirect_uri": REDIRECT, "state": "xyz"}
    if not v1:
        query["scope"] = "https://graph.microsoft.com/.default"
    query.update(params)
    path = "adminconsent" if v1 else "v2.0/adminconsent"
    return f"{emulator.browser_url}/{tenant or emulator.tenant_id}/{path}?{urlencode(query)}"


def test_an_admin_grants_consent_and_the_app_gets_tokens(emulator: EmulatorProcess) -> None:
    landing = Browser(emulator).sign_in(_consent_url(emulator), ADELE)
    assert landing.url is not None and landing.url.startswith(REDIRECT)
    assert landing.params["admin_consent"] == "True"
    assert landing.params["tenant"] == emulator.tenant_id
    assert landing.params["state"] == "xyz"
    assert "https://graph.microsoft.com/Calendars.ReadWrite" in landing.params["scope"].split()
    token = app_token(emulator)
    assert graph(emulator, "GET", "/users/megan.bowen@contoso.onmicrosoft.com", token).status_code == 200


def test_the_consent_page_names_the_apps_permissions(emulator: EmulatorProcess) -> None:
    page = Browser(emulator).sign_in(_consent_url(emulator), ADELE, decision=None)
    assert "Calendars.ReadWrite" in page.page and "User.Read.All" in page.page
    assert "Accept" in page.page and "Cancel" in page.page


def test_an_admin_who_cancels_sends_consent_required_back(emulator: EmulatorProcess) -> None:
    landing = Browser(emulator).sign_in(_consent_url(emulator), ADELE, decision="cancel")
    assert landing.params["admin_consent"] == "True"
    assert landing.params["error"] == "consent_required"
    assert landing.params["error_description"].startswith("AADSTS65004")
    assert landing.params["state"] == "xyz"
    assert token_request(emulator).json()["error_codes"] == [700016]


def test_a_non_admin_cannot_consent(emulator: EmulatorProcess) -> None:
    browser = Browser(emulator)
    page = browser.sign_in(_consent_url(emulator), "megan.bowen@contoso.onmicrosoft.com", decision=None)
    assert "Need admin approval" in page.page
    landing = browser.sign_in(_consent_url(emulator), "megan.bowen@contoso.onmicrosoft.com", decision="back")
    assert landing.params["error"] == "access_denied"
    assert token_request(emulator).json()["error_codes"] == [700016]


def test_an_unregistered_redirect_uri_gets_an_error_page(emulator: EmulatorProcess) -> None:
    url = _consent_url(emulator, redirect_uri="http://localhost:8000/somewhere/else/")
    response = Browser(emulator).session.get(url, allow_redirects=False)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "AADSTS50011" in response.text


def test_an_unknown_tenant_gets_an_error_page(emulator: EmulatorProcess) -> None:
    response = Browser(emulator).session.get(_consent_url(emulator, tenant="nowhere.example"), allow_redirects=False)
    assert response.status_code == 400
    assert "AADSTS90002" in response.text


def test_an_admin_of_another_tenant_cannot_consent_for_this_one(emulator: EmulatorProcess) -> None:
    page = Browser(emulator).sign_in(_consent_url(emulator), "diego.siciliani@fabrikam.onmicrosoft.com")
    assert page.url is None
    assert token_request(emulator).json()["error_codes"] == [700016]


def test_the_v1_endpoint_grants_consent_with_its_own_parameters(emulator: EmulatorProcess) -> None:
    landing = Browser(emulator).sign_in(_consent_url(emulator, v1=True, tenant=emulator.tenant_domain), ADELE)
    assert landing.params == {"tenant": emulator.tenant_id, "admin_consent": "True", "state": "xyz"}
    assert token_request(emulator).status_code == 200


def test_the_v1_endpoint_reports_a_cancel_as_permission_denied(emulator: EmulatorProcess) -> None:
    landing = Browser(emulator).sign_in(_consent_url(emulator, v1=True), ADELE, decision="cancel")
    assert landing.params["error"] == "permission_denied"


def test_organizations_lets_the_admin_decide_for_their_own_tenant(emulator: EmulatorProcess) -> None:
    landing = Browser(emulator).sign_in(
        _consent_url(emulator, tenant="organizations"), "diego.siciliani@fabrikam.onmicrosoft.com"
    )
    assert landing.params["tenant"] == "f0000000-0000-4000-8000-00000000fab1"
    assert token_request(emulator, "fabrikam.onmicrosoft.com").status_code == 200
    assert token_request(emulator).json()["error_codes"] == [700016]


def test_a_redirect_uri_registered_through_the_control_api_is_accepted(emulator: EmulatorProcess) -> None:
    other = "http://testserver/integrations/microsoft/consent/done/"
    refused = Browser(emulator).session.get(_consent_url(emulator, redirect_uri=other), allow_redirects=False)
    assert refused.status_code == 400
    emulator.control("POST", f"/apps/{emulator.client_id}/redirect-uris", {"add": [other]})
    landing = Browser(emulator).sign_in(_consent_url(emulator, redirect_uri=other), ADELE)
    assert landing.url is not None and landing.url.startswith(other)


def test_a_user_administrator_holds_a_role_but_cannot_grant_consent(emulator: EmulatorProcess) -> None:
    browser = Browser(emulator)
    joni = "joni.sherman@contoso.onmicrosoft.com"
    assert "Need admin approval" in browser.sign_in(_consent_url(emulator), joni, decision=None).page
    landing = browser.sign_in(_consent_url(emulator), joni, decision="back")
    assert landing.params["error"] == "access_denied"
    assert token_request(emulator).json()["error_codes"] == [700016]


def test_a_cloud_application_administrator_cannot_grant_microsoft_graphs_application_permissions(
    emulator: EmulatorProcess,
) -> None:
    browser = Browser(emulator)
    allan = "allan.deyoung@contoso.onmicrosoft.com"
    assert "Need admin approval" in browser.sign_in(_consent_url(emulator), allan, decision=None).page
    landing = browser.sign_in(_consent_url(emulator), allan, decision="accept")  # a forged "accept" too
    assert landing.params["error"] == "access_denied"
    assert token_request(emulator).json()["error_codes"] == [700016]


def test_a_privileged_role_administrator_may_grant_consent(emulator: EmulatorProcess) -> None:
    landing = Browser(emulator).sign_in(_consent_url(emulator), "nestor.wilke@contoso.onmicrosoft.com")
    assert landing.params["admin_consent"] == "True" and "error" not in landing.params
    assert token_request(emulator).status_code == 200


def test_the_sign_in_page_names_each_persons_directory_roles(emulator: EmulatorProcess) -> None:
    page = Browser(emulator).sign_in(_consent_url(emulator), None, decision=None).page
    assert "Adele Vance (Global Administrator)" in page
    assert "Joni Sherman (User Administrator)" in page
    assert "Megan Bowen<br>" in page
