"""Signing a person in: authorize with PKCE, the sign-in and consent pages, codes, refresh tokens (via MSAL too)."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlencode

import jwt
import msal
import pytest

from m365_emulator.testing import Browser, EmulatorProcess
from tests.emulator.helpers import graph

REDIRECT = "http://127.0.0.1:8000/integrations/microsoft/callback/"
MEGAN = "megan.bowen@contoso.onmicrosoft.com"
SCOPES = ["User.Read", "Calendars.ReadWrite", "Calendars.Read.Shared"]


def _msal_app(emulator: EmulatorProcess) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        emulator.client_id,
        client_credential=emulator.client_secret,
        authority=f"{emulator.base_url}/{emulator.tenant_id}",
        instance_discovery=False,
        http_client=emulator.new_session(),
    )


def _authorize_url(emulator: EmulatorProcess, tenant: str | None = None, **params: str) -> str:
    query = {
        "client_id": emulator.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "openid profile offline_access User.Read Calendars.ReadWrite",
        "state": "st-1",
        **params,
    }
    return f"{emulator.browser_url}/{tenant or emulator.tenant_id}/oauth2/v2.0/authorize?{urlencode(query)}"


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _redeem(emulator: EmulatorProcess, code: str, tenant: str | None = None, **fields: str) -> dict[str, object]:
    data = {
        "grant_type": "authorization_code",
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        "code": code,
        "redirect_uri": REDIRECT,
        **fields,
    }
    url = f"{emulator.base_url}/{tenant or emulator.tenant_id}/oauth2/v2.0/token"
    response = emulator.session.post(url, data=data, timeout=10)
    body: dict[str, object] = response.json()
    body["_status"] = response.status_code
    return body


def _refresh(emulator: EmulatorProcess, refresh_token: str) -> dict[str, object]:
    data = {
        "grant_type": "refresh_token",
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        "refresh_token": refresh_token,
        "scope": "User.Read offline_access",
    }
    url = f"{emulator.base_url}/organizations/oauth2/v2.0/token"
    response = emulator.session.post(url, data=data, timeout=10)
    body: dict[str, object] = response.json()
    body["_status"] = response.status_code
    return body


def _signed_in_tokens(emulator: EmulatorProcess, user: str = MEGAN) -> dict[str, object]:
    verifier = "v" * 50
    url = _authorize_url(emulator, code_challenge=_challenge(verifier), code_challenge_method="S256")
    landing = Browser(emulator).sign_in(url, user)
    tokens = _redeem(emulator, landing.params["code"], code_verifier=verifier)
    assert tokens["_status"] == 200, tokens
    return tokens


def test_msal_signs_a_person_in_with_pkce_and_refreshes(emulator: EmulatorProcess) -> None:
    app = _msal_app(emulator)
    flow = app.initiate_auth_code_flow(SCOPES, redirect_uri=REDIRECT)
    assert flow["auth_uri"].startswith(f"{emulator.browser_url}/{emulator.tenant_id}/oauth2/v2.0/authorize?")
    landing = Browser(emulator).sign_in(flow["auth_uri"], MEGAN)
    assert landing.url is not None and landing.url.startswith(REDIRECT)
    result = app.acquire_token_by_auth_code_flow(flow, landing.params)
    assert "access_token" in result, result
    assert result["id_token_claims"]["preferred_username"] == MEGAN
    me = graph(emulator, "GET", "/me", result["access_token"]).json()
    assert me["userPrincipalName"] == MEGAN
    refreshed = app.acquire_token_by_refresh_token(result["refresh_token"], scopes=SCOPES)
    assert "access_token" in refreshed, refreshed
    assert refreshed["refresh_token"] != result["refresh_token"]
    assert graph(emulator, "GET", "/me", refreshed["access_token"]).status_code == 200


def test_the_consent_page_lists_the_scopes_and_a_second_sign_in_skips_it(emulator: EmulatorProcess) -> None:
    browser = Browser(emulator)
    consent = browser.sign_in(_authorize_url(emulator), MEGAN, decision=None)
    assert consent.url is None
    assert "Permissions requested" in consent.page and "Calendars.ReadWrite" in consent.page
    browser.sign_in(_authorize_url(emulator), MEGAN)
    again = Browser(emulator).sign_in(_authorize_url(emulator), MEGAN, decision=None)
    assert again.url is not None and "code" in again.params  # consent remembered, no page this time


def test_a_delegated_token_carries_the_consented_scopes_and_the_user(emulator: EmulatorProcess) -> None:
    tokens = _signed_in_tokens(emulator)
    claims = jwt.decode(str(tokens["access_token"]), options={"verify_signature": False})
    assert claims["upn"] == MEGAN
    assert {"User.Read", "Calendars.ReadWrite"} <= set(claims["scp"].split())
    assert claims["tid"] == emulator.tenant_id
    assert "roles" not in claims
    id_claims = jwt.decode(str(tokens["id_token"]), options={"verify_signature": False})
    assert id_claims["aud"] == emulator.client_id
    assert "refresh_token" in tokens


def test_cancelling_consent_sends_access_denied_back(emulator: EmulatorProcess) -> None:
    landing = Browser(emulator).sign_in(_authorize_url(emulator), MEGAN, decision="cancel")
    assert landing.params["error"] == "access_denied"
    assert landing.params["error_description"].startswith("AADSTS65004")
    assert landing.params["state"] == "st-1"


def test_a_code_can_be_redeemed_only_once(emulator: EmulatorProcess) -> None:
    landing = Browser(emulator).sign_in(_authorize_url(emulator), MEGAN)
    assert _redeem(emulator, landing.params["code"])["_status"] == 200
    second = _redeem(emulator, landing.params["code"])
    assert second["_status"] == 400
    assert second["error"] == "invalid_grant"
    assert second["error_codes"] == [54005]


def test_a_wrong_pkce_verifier_is_refused(emulator: EmulatorProcess) -> None:
    url = _authorize_url(emulator, code_challenge=_challenge("right" * 10), code_challenge_method="S256")
    landing = Browser(emulator).sign_in(url, MEGAN)
    refused = _redeem(emulator, landing.params["code"], code_verifier="wrong" * 10)
    assert refused["_status"] == 400
    assert refused["error"] == "invalid_grant"


def test_the_redirect_uri_must_match_at_redemption(emulator: EmulatorProcess) -> None:
    landing = Browser(emulator).sign_in(_authorize_url(emulator), MEGAN)
    refused = _redeem(
        emulator, landing.params["code"], redirect_uri="http://127.0.0.1:8000/integrations/microsoft/other/"
    )
    assert refused["_status"] == 400
    assert refused["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "redirect",
    ["http://127.0.0.1:8000/elsewhere/callback/", "http://evil.example:8000/integrations/microsoft/callback/"],
)
def test_an_unregistered_redirect_uri_gets_an_error_page_never_a_redirect(
    emulator: EmulatorProcess, redirect: str
) -> None:
    response = Browser(emulator).session.get(_authorize_url(emulator, redirect_uri=redirect), allow_redirects=False)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "AADSTS50011" in response.text


def test_form_post_mode_posts_the_code_and_state(emulator: EmulatorProcess) -> None:
    landing = Browser(emulator).sign_in(_authorize_url(emulator, response_mode="form_post"), MEGAN)
    assert landing.url == REDIRECT
    assert landing.params["state"] == "st-1"
    assert _redeem(emulator, landing.params["code"])["_status"] == 200


def test_prompt_none_without_a_session_answers_login_required(emulator: EmulatorProcess) -> None:
    landing = Browser(emulator).sign_in(_authorize_url(emulator, prompt="none"))
    assert landing.params["error"] == "login_required"


def test_prompt_none_with_a_session_and_consent_returns_a_code_silently(emulator: EmulatorProcess) -> None:
    browser = Browser(emulator)
    browser.sign_in(_authorize_url(emulator), MEGAN)
    landing = browser.sign_in(_authorize_url(emulator, prompt="none"))
    assert "code" in landing.params


def test_login_hint_fills_in_the_sign_in_page(emulator: EmulatorProcess) -> None:
    page = Browser(emulator).sign_in(_authorize_url(emulator, login_hint=MEGAN))
    assert f"value='{MEGAN}'" in page.page


def test_a_person_of_another_tenant_cannot_sign_in_to_this_one(emulator: EmulatorProcess) -> None:
    landing = Browser(emulator).sign_in(_authorize_url(emulator), "diego.siciliani@fabrikam.onmicrosoft.com")
    assert landing.url is None
    assert "find an account with that username" in landing.page


def test_the_organizations_endpoint_signs_in_people_of_any_tenant(emulator: EmulatorProcess) -> None:
    landing = Browser(emulator).sign_in(
        _authorize_url(emulator, "organizations"), "diego.siciliani@fabrikam.onmicrosoft.com"
    )
    refused = _redeem(emulator, landing.params["code"])  # a Contoso endpoint refuses a Fabrikam sign-in
    assert refused["_status"] == 400 and "access_token" not in refused
    landing = Browser(emulator).sign_in(
        _authorize_url(emulator, "organizations"), "diego.siciliani@fabrikam.onmicrosoft.com"
    )
    tokens = _redeem(emulator, landing.params["code"], "organizations")
    claims = jwt.decode(str(tokens["access_token"]), options={"verify_signature": False})
    assert claims["tid"] == "f0000000-0000-4000-8000-00000000fab1"


def test_a_disabled_account_cannot_sign_in(emulator: EmulatorProcess) -> None:
    landing = Browser(emulator).sign_in(_authorize_url(emulator), "pradeep.gupta@contoso.onmicrosoft.com")
    assert landing.url is None
    assert "AADSTS50057" in landing.page


def test_an_admins_session_revocation_kills_refresh_tokens(emulator: EmulatorProcess) -> None:
    tokens = _signed_in_tokens(emulator)
    emulator.control("POST", f"/tenants/{emulator.tenant_domain}/users/{MEGAN}/revoke-sessions")
    refused = _refresh(emulator, str(tokens["refresh_token"]))
    assert refused["_status"] == 400
    assert (refused["error"], refused["error_codes"]) == ("invalid_grant", [50173])


def test_an_inactive_refresh_token_expires_with_aadsts700082(emulator: EmulatorProcess) -> None:
    tokens = _signed_in_tokens(emulator)
    emulator.control("POST", f"/tenants/{emulator.tenant_domain}/users/{MEGAN}/refresh-tokens/expire")
    refused = _refresh(emulator, str(tokens["refresh_token"]))
    assert (refused["error"], refused["error_codes"]) == ("invalid_grant", [700082])


def test_withdrawn_consent_stops_refresh_with_aadsts65001(emulator: EmulatorProcess) -> None:
    tokens = _signed_in_tokens(emulator)
    body = {"client_id": emulator.client_id, "granted": False}
    emulator.control("POST", f"/tenants/{emulator.tenant_domain}/users/{MEGAN}/consent", body)
    refused = _refresh(emulator, str(tokens["refresh_token"]))
    assert (refused["error"], refused["error_codes"]) == ("invalid_grant", [65001])


def test_a_disabled_account_cannot_refresh(emulator: EmulatorProcess) -> None:
    tokens = _signed_in_tokens(emulator)
    emulator.control("POST", f"/tenants/{emulator.tenant_domain}/users", {"user": MEGAN, "accountEnabled": False})
    refused = _refresh(emulator, str(tokens["refresh_token"]))
    assert refused["error_codes"] == [50057]


def test_a_rotated_refresh_token_leaves_the_old_one_usable(emulator: EmulatorProcess) -> None:
    tokens = _signed_in_tokens(emulator)
    first = _refresh(emulator, str(tokens["refresh_token"]))
    assert first["_status"] == 200 and first["refresh_token"] != tokens["refresh_token"]
    assert _refresh(emulator, str(tokens["refresh_token"]))["_status"] == 200


def test_msal_signs_in_through_the_organizations_authority(emulator: EmulatorProcess) -> None:
    app = msal.ConfidentialClientApplication(
        emulator.client_id,
        client_credential=emulator.client_secret,
        authority=f"{emulator.base_url}/organizations",
        instance_discovery=False,
        http_client=emulator.new_session(),
    )
    flow = app.initiate_auth_code_flow(SCOPES, redirect_uri=REDIRECT, response_mode="form_post")
    landing = Browser(emulator).sign_in(flow["auth_uri"], "alex.wilber@contoso.onmicrosoft.com")
    result = app.acquire_token_by_auth_code_flow(flow, landing.params)
    assert result["id_token_claims"]["tid"] == emulator.tenant_id, result


def test_the_log_names_the_delegated_caller(emulator: EmulatorProcess) -> None:
    tokens = _signed_in_tokens(emulator)
    since = emulator.last_seq()
    graph(emulator, "GET", "/me", str(tokens["access_token"]), params={"$select": "displayName"})
    (entry,) = emulator.log(since=since)
    assert (entry["token_kind"], entry["user"], entry["tenant"]) == ("delegated", MEGAN, emulator.tenant_id)
    assert entry["query"] == {"$select": ["displayName"]}


def test_a_refresh_for_one_scope_still_carries_every_consented_scope(emulator: EmulatorProcess) -> None:
    tokens = _signed_in_tokens(emulator)
    refreshed = _refresh(emulator, str(tokens["refresh_token"]))
    claims = jwt.decode(str(refreshed["access_token"]), options={"verify_signature": False})
    assert {"User.Read", "Calendars.ReadWrite"} <= set(claims["scp"].split())
    assert "refresh_token" in refreshed
