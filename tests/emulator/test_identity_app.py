"""Discovery and the client-credentials token, as MSAL and Overlap's client meet them."""

from __future__ import annotations

import jwt
import msal
import pytest

from m365_emulator.testing import EmulatorProcess
from tests.emulator.helpers import CONTOSO, app_token, token_request


def test_discovery_names_https_token_endpoint_and_browser_authorize_endpoint(emulator: EmulatorProcess) -> None:
    url = f"{emulator.base_url}/{CONTOSO}/v2.0/.well-known/openid-configuration"
    document = emulator.session.get(url, timeout=10).json()
    assert document["token_endpoint"] == f"{emulator.base_url}/{emulator.tenant_id}/oauth2/v2.0/token"
    assert document["authorization_endpoint"] == f"{emulator.browser_url}/{emulator.tenant_id}/oauth2/v2.0/authorize"
    assert document["issuer"] == f"{emulator.base_url}/{emulator.tenant_id}/v2.0"
    keys = emulator.session.get(document["jwks_uri"], timeout=10).json()["keys"]
    assert keys[0]["kty"] == "RSA"


def test_it_answers_an_unknown_tenant_with_aadsts90002(emulator: EmulatorProcess) -> None:
    response = emulator.session.get(f"{emulator.base_url}/nowhere.example/v2.0/.well-known/openid-configuration")
    assert response.status_code == 400
    assert response.json()["error_codes"] == [90002]
    token = token_request(emulator, "nowhere.example")
    assert token.status_code == 400
    assert token.json()["error_description"].startswith("AADSTS90002")


def test_it_refuses_client_credentials_before_admin_consent(emulator: EmulatorProcess) -> None:
    response = token_request(emulator)
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"
    assert response.json()["error_codes"] == [700016]


def test_it_refuses_a_wrong_secret_with_aadsts7000215(emulator: EmulatorProcess) -> None:
    emulator.grant_admin_consent()
    response = token_request(emulator, client_secret="not-the-secret")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.json()["error_codes"] == [7000215]


def test_an_admin_consented_app_gets_an_app_only_token_with_its_roles(emulator: EmulatorProcess) -> None:
    emulator.grant_admin_consent()
    response = token_request(emulator)
    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "Bearer"
    assert 3600 <= body["expires_in"] <= 5400
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["tid"] == emulator.tenant_id
    assert claims["appid"] == emulator.client_id
    assert sorted(claims["roles"]) == ["Calendars.ReadWrite", "User.Read.All"]
    assert claims["exp"] - claims["iat"] == body["expires_in"]


def test_consent_for_one_tenant_does_not_open_another(emulator: EmulatorProcess) -> None:
    emulator.grant_admin_consent()
    assert token_request(emulator, "fabrikam.onmicrosoft.com").json()["error_codes"] == [700016]


def test_revoking_admin_consent_stops_new_tokens(emulator: EmulatorProcess) -> None:
    emulator.grant_admin_consent()
    app_token(emulator)
    emulator.grant_admin_consent(granted=False)
    assert token_request(emulator).json()["error_codes"] == [700016]


def test_the_token_lifetime_can_be_set(emulator: EmulatorProcess) -> None:
    emulator.grant_admin_consent()
    emulator.control("POST", "/token-lifetime", {"seconds": 5})
    assert token_request(emulator).json()["expires_in"] == 5


def test_msal_gets_a_client_credentials_token(emulator: EmulatorProcess) -> None:
    emulator.grant_admin_consent()
    app = msal.ConfidentialClientApplication(
        emulator.client_id,
        client_credential=emulator.client_secret,
        authority=f"{emulator.base_url}/{emulator.tenant_domain}",
        instance_discovery=False,
        http_client=emulator.new_session(),
    )
    result = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
    assert "access_token" in result, result
    claims = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert claims["tid"] == emulator.tenant_id


def test_msal_reports_an_unknown_tenant_when_the_app_is_built(emulator: EmulatorProcess) -> None:
    with pytest.raises(ValueError):
        msal.ConfidentialClientApplication(
            emulator.client_id,
            client_credential=emulator.client_secret,
            authority=f"{emulator.base_url}/nowhere.example",
            instance_discovery=False,
            http_client=emulator.new_session(),
        )


def test_a_tenant_that_cannot_be_a_tenant_gets_aadsts900023(emulator: EmulatorProcess) -> None:
    response = token_request(emulator, "not_a_tenant")
    assert response.status_code == 400
    assert response.json()["error_codes"] == [900023]


def test_before_consent_even_a_wrong_secret_hears_that_the_app_is_not_in_the_tenant(emulator: EmulatorProcess) -> None:
    assert token_request(emulator, client_secret="wrong").json()["error_codes"] == [700016]


def test_a_withdrawn_user_consent_leaves_the_app_in_the_tenant_without_roles(emulator: EmulatorProcess) -> None:
    path = f"/tenants/{emulator.tenant_id}/users/megan.bowen@contoso.onmicrosoft.com/consent"
    emulator.control("POST", path, {"client_id": emulator.client_id, "scopes": "User.Read"})
    emulator.control("POST", path, {"client_id": emulator.client_id, "granted": False})
    claims = jwt.decode(app_token(emulator), options={"verify_signature": False})
    assert "roles" not in claims
