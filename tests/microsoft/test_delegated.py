"""A member's own sign-in (auth-code flow with PKCE), driven through the emulator's pages like a browser."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from cryptography.fernet import Fernet

from integrations.microsoft import auth
from integrations.microsoft.client import GraphClient
from integrations.microsoft.config import MicrosoftConfig
from integrations.microsoft.crypto import encrypt
from integrations.microsoft.errors import BadRequest, ConsentMissing, ReauthenticationRequired
from integrations.microsoft.types import DelegatedGrant
from m365_emulator.testing import EmulatorProcess
from tests.microsoft.conftest import ALEX, MEGAN, graph_calls, next_monday, token_requests

REDIRECT_URI = "http://127.0.0.1:8000/integrations/microsoft/callback/"
_FLOW_FIELD = re.compile(r"name='flow' value='([^']+)'")


def browse_to_callback(
    emulator: EmulatorProcess, auth_uri: str, login: str, decision: str = "accept"
) -> dict[str, str]:
    """What a browser does: open the sign-in page, sign in, answer consent; the redirect's query comes back."""
    browser = emulator.new_session()
    page = browser.get(auth_uri, allow_redirects=False)
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(auth_uri))
    tenant = urlsplit(auth_uri).path.split("/")[1]
    flow_id = _FLOW_FIELD.search(page.text)
    assert flow_id, page.text
    answer = browser.post(f"{origin}/{tenant}/login", data={"flow": flow_id[1], "login": login}, allow_redirects=False)
    if answer.status_code == 200:  # the consent page
        consent = {"flow": flow_id[1], "decision": decision}
        answer = browser.post(f"{origin}/{tenant}/consent", data=consent, allow_redirects=False)
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI), location
    return dict(parse_qsl(urlsplit(location).query))


def sign_in(config: MicrosoftConfig, emulator: EmulatorProcess, login: str = MEGAN) -> DelegatedGrant:
    flow = auth.start_delegated_sign_in(config, tenant=emulator.tenant_id, redirect_uri=REDIRECT_URI, login_hint=login)
    params = browse_to_callback(emulator, flow["auth_uri"], login)
    return auth.finish_delegated_sign_in(config, tenant=emulator.tenant_id, flow=flow, params=params)


def member_client(
    config: MicrosoftConfig, emulator: EmulatorProcess, grant: DelegatedGrant, saved: list[str]
) -> GraphClient:
    tokens = auth.MemberTokens(config, emulator.tenant_id, grant.cache_blob, grant.oid, save=saved.append)
    return GraphClient.for_member(config, emulator.tenant_id, tokens)


def test_the_sign_in_page_is_on_the_browser_login_url_with_pkce(
    config: MicrosoftConfig, emulator: EmulatorProcess
) -> None:
    flow = auth.start_delegated_sign_in(config, tenant=emulator.tenant_id, redirect_uri=REDIRECT_URI)

    url = urlsplit(flow["auth_uri"])
    query = dict(parse_qsl(url.query))
    assert f"{url.scheme}://{url.netloc}" == emulator.browser_url
    assert query["code_challenge_method"] == "S256" and query["code_challenge"]
    assert set(query["scope"].split()) >= {"offline_access", "openid", "Calendars.ReadWrite", "Calendars.Read.Shared"}


def test_a_member_signs_in_and_overlap_learns_who_they_are(config: MicrosoftConfig, emulator: EmulatorProcess) -> None:
    grant = sign_in(config, emulator)

    assert (grant.oid, grant.tid, grant.username, grant.name) == (
        emulator.user_id(MEGAN),
        emulator.tenant_id,
        MEGAN,
        "Megan Bowen",
    )
    assert {"User.Read", "Calendars.ReadWrite", "Calendars.Read.Shared"} <= set(grant.scopes)
    assert "refresh" not in grant.cache_blob.lower() and "secret" not in grant.cache_blob.lower()


def test_a_signed_in_member_reads_their_profile_and_groups(config: MicrosoftConfig, emulator: EmulatorProcess) -> None:
    graph = member_client(config, emulator, sign_in(config, emulator), [])
    groups = {g["mail"]: g["id"] for t in emulator.control("GET", "/tenants")["tenants"] for g in t["groups"]}
    overlap_users = groups["overlap-users@contoso.onmicrosoft.com"]

    assert graph.me().address == MEGAN
    assert graph.check_member_groups("me", [overlap_users, "00000000-0000-4000-8000-000000000000"]) == {overlap_users}


def test_a_member_gets_graphs_suggestions_with_reasons(config: MicrosoftConfig, emulator: EmulatorProcess) -> None:
    graph = member_client(config, emulator, sign_in(config, emulator), [])
    start = next_monday()

    result = graph.find_meeting_times([ALEX], start, start + timedelta(days=5), timedelta(minutes=30))

    assert result.suggestions and result.empty_reason == ""
    first = result.suggestions[0]
    assert first.end - first.start == timedelta(minutes=30) and start <= first.start
    assert first.attendees[0].address == ALEX and first.reason


def test_a_member_reads_free_busy_through_me(config: MicrosoftConfig, emulator: EmulatorProcess) -> None:
    graph = member_client(config, emulator, sign_in(config, emulator), [])
    since = emulator.last_seq()

    schedules = graph.get_schedules(MEGAN, [MEGAN, ALEX], next_monday(), next_monday() + timedelta(days=1))

    assert schedules[ALEX].error is None and len(schedules[ALEX].availability_view) == 96
    assert [c["path"] for c in graph_calls(emulator, since)] == ["/v1.0/me/calendar/getSchedule"]


def test_an_expired_access_token_is_refreshed_and_the_new_refresh_token_kept(
    config: MicrosoftConfig, emulator: EmulatorProcess
) -> None:
    emulator.control("POST", "/token-lifetime", {"seconds": 1})
    grant = sign_in(config, emulator)
    saved: list[str] = []
    graph = member_client(config, emulator, grant, saved)
    time.sleep(1.5)
    # The renewed token lives long: on a loaded machine a 1-second one could lapse again before Graph reads it.
    emulator.control("POST", "/token-lifetime", {"seconds": 3600})
    since = emulator.last_seq()

    assert graph.me().address == MEGAN

    [refresh] = token_requests(emulator, since)
    assert refresh["body"]["grant_type"] == "refresh_token" and refresh["status"] == 200
    assert len(saved) == 1 and saved[0] != grant.cache_blob
    # The old blob's refresh token still works once more (Entra does not revoke it), the new one is what is kept.
    token, _ = auth.delegated_token(config, tenant=emulator.tenant_id, cache_blob=saved[0], account_oid=grant.oid)
    assert token


def test_a_revoked_refresh_token_needs_a_new_sign_in_after_one_token_request(
    config: MicrosoftConfig, emulator: EmulatorProcess
) -> None:
    emulator.control("POST", "/token-lifetime", {"seconds": 1})
    grant = sign_in(config, emulator)
    emulator.control("POST", f"/tenants/{emulator.tenant_id}/users/{MEGAN}/revoke-sessions")
    graph = member_client(config, emulator, grant, [])
    time.sleep(1.5)
    since = emulator.last_seq()

    with pytest.raises(ReauthenticationRequired) as raised:
        graph.me()

    assert raised.value.permanent and "50173" in raised.value.message
    assert len(token_requests(emulator, since)) == 1 and graph_calls(emulator, since) == []


def test_a_refresh_token_expired_by_inactivity_needs_a_new_sign_in(
    config: MicrosoftConfig, emulator: EmulatorProcess
) -> None:
    emulator.control("POST", "/token-lifetime", {"seconds": 1})
    grant = sign_in(config, emulator)
    emulator.control("POST", f"/tenants/{emulator.tenant_id}/users/{MEGAN}/refresh-tokens/expire")
    time.sleep(1.5)

    with pytest.raises(ReauthenticationRequired) as raised:
        auth.delegated_token(config, tenant=emulator.tenant_id, cache_blob=grant.cache_blob, account_oid=grant.oid)

    assert "700082" in raised.value.message


def test_a_member_who_declines_consent_is_consent_missing(config: MicrosoftConfig, emulator: EmulatorProcess) -> None:
    flow = auth.start_delegated_sign_in(config, tenant=emulator.tenant_id, redirect_uri=REDIRECT_URI)
    params = browse_to_callback(emulator, flow["auth_uri"], ALEX, decision="decline")

    with pytest.raises(ConsentMissing) as raised:
        auth.finish_delegated_sign_in(config, tenant=emulator.tenant_id, flow=flow, params=params)

    assert raised.value.code == "access_denied"


def test_an_answer_for_another_sign_in_is_refused(config: MicrosoftConfig, emulator: EmulatorProcess) -> None:
    flow = auth.start_delegated_sign_in(config, tenant=emulator.tenant_id, redirect_uri=REDIRECT_URI)
    params = browse_to_callback(emulator, flow["auth_uri"], MEGAN)

    with pytest.raises(BadRequest) as raised:
        auth.finish_delegated_sign_in(
            config, tenant=emulator.tenant_id, flow=flow, params={**params, "state": "forged"}
        )

    assert raised.value.code == "state_mismatch"


def test_a_blob_from_a_retired_key_still_works_and_comes_back_under_the_new_key(
    config: MicrosoftConfig, emulator: EmulatorProcess
) -> None:
    emulator.control("POST", "/token-lifetime", {"seconds": 1})
    grant = sign_in(config, emulator)
    newest = Fernet.generate_key().decode()
    rotated = replace(config, token_keys=(newest, *config.token_keys))
    time.sleep(1.5)

    _, blob = auth.delegated_token(
        rotated, tenant=emulator.tenant_id, cache_blob=grant.cache_blob, account_oid=grant.oid
    )

    assert blob is not None
    with pytest.raises(ReauthenticationRequired):
        auth.delegated_token(config, tenant=emulator.tenant_id, cache_blob=blob, account_oid=grant.oid)
    assert Fernet(newest.encode()).decrypt(blob.encode())


def test_someone_elses_account_id_is_not_in_the_blob(config: MicrosoftConfig, emulator: EmulatorProcess) -> None:
    grant = sign_in(config, emulator)

    with pytest.raises(ReauthenticationRequired):
        auth.delegated_token(
            config, tenant=emulator.tenant_id, cache_blob=grant.cache_blob, account_oid=emulator.user_id(ALEX)
        )


def test_a_blob_that_opens_but_is_not_a_sign_in_needs_a_new_sign_in(config: MicrosoftConfig) -> None:
    blob = encrypt(b"not a token cache", config.token_keys)

    with pytest.raises(ReauthenticationRequired):
        auth.delegated_token(config, tenant="contoso.onmicrosoft.com", cache_blob=blob, account_oid="x")


def test_a_member_whose_consent_was_withdrawn_needs_a_new_sign_in(
    config: MicrosoftConfig, emulator: EmulatorProcess
) -> None:
    emulator.control("POST", "/token-lifetime", {"seconds": 1})
    grant = sign_in(config, emulator)
    withdraw = {"client_id": emulator.client_id, "granted": False}
    emulator.control("POST", f"/tenants/{emulator.tenant_id}/users/{MEGAN}/consent", withdraw)
    time.sleep(1.5)

    with pytest.raises(ReauthenticationRequired) as raised:
        auth.delegated_token(config, tenant=emulator.tenant_id, cache_blob=grant.cache_blob, account_oid=grant.oid)

    assert "65001" in raised.value.message
