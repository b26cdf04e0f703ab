"""App-only tokens per tenant (client credentials), against the emulator's Entra ID."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from integrations.microsoft import auth
from integrations.microsoft.client import GraphClient
from integrations.microsoft.config import MicrosoftConfig
from integrations.microsoft.errors import ClientConfigurationError, ConsentMissing, TenantNotFound
from m365_emulator.testing import EmulatorProcess
from tests.microsoft.conftest import graph_calls, token_requests


def test_it_fetches_one_token_for_many_calls(graph: GraphClient, emulator: EmulatorProcess) -> None:
    since = emulator.last_seq()

    graph.get_user("adele.vance@contoso.onmicrosoft.com")
    graph.get_user("megan.bowen@contoso.onmicrosoft.com")

    assert len(token_requests(emulator, since)) == 1
    assert [c["status"] for c in graph_calls(emulator, since)] == [200, 200]


def test_it_builds_msal_once_per_tenant_so_discovery_happens_once(
    config: MicrosoftConfig, emulator: EmulatorProcess
) -> None:
    emulator.grant_admin_consent()
    since = emulator.last_seq()

    auth.app_token(config, emulator.tenant_id)
    auth.app_token(config, emulator.tenant_id, force_refresh=True)

    discovery = [e for e in emulator.log(since) if "openid-configuration" in e["path"]]
    assert len(discovery) == 1 and len(token_requests(emulator, since)) == 2


def test_an_unknown_tenant_is_tenant_not_found(config: MicrosoftConfig) -> None:
    with pytest.raises(TenantNotFound) as raised:
        auth.app_token(config, "no-such-company.onmicrosoft.com")

    assert raised.value.permanent


def test_a_string_that_cannot_name_a_tenant_is_refused_before_any_request(
    config: MicrosoftConfig, emulator: EmulatorProcess
) -> None:
    since = emulator.last_seq()

    with pytest.raises(TenantNotFound):
        auth.app_token(config, "../../_emulator/reset")

    assert emulator.log(since) == []


def test_a_tenant_without_consent_is_consent_missing(config: MicrosoftConfig, emulator: EmulatorProcess) -> None:
    with pytest.raises(ConsentMissing) as raised:
        auth.app_token(config, emulator.tenant_id)

    assert raised.value.permanent and "700016" in raised.value.message and raised.value.request_id


def test_consent_granted_right_after_a_refusal_works_at_once(
    config: MicrosoftConfig, emulator: EmulatorProcess
) -> None:
    with pytest.raises(ConsentMissing):
        auth.app_token(config, emulator.tenant_id)
    emulator.grant_admin_consent()

    assert auth.app_token(config, emulator.tenant_id)


def test_a_wrong_client_secret_is_a_configuration_error(config: MicrosoftConfig, emulator: EmulatorProcess) -> None:
    emulator.grant_admin_consent()
    wrong = MicrosoftConfig(**{**config.__dict__, "client_secret": "the-secret-id-not-its-value"})

    with pytest.raises(ClientConfigurationError) as raised:
        auth.app_token(wrong, emulator.tenant_id)

    assert "7000215" in raised.value.message


def test_a_tenant_domain_resolves_to_its_id(config: MicrosoftConfig, emulator: EmulatorProcess) -> None:
    assert auth.tenant_id(config, emulator.tenant_domain) == emulator.tenant_id


def test_an_access_token_that_expires_between_two_calls_is_replaced(
    graph: GraphClient, emulator: EmulatorProcess
) -> None:
    emulator.control("POST", "/token-lifetime", {"seconds": 1})
    graph.get_user("adele.vance@contoso.onmicrosoft.com")
    time.sleep(1.5)
    # The next token lives long, so that a slow machine cannot let it lapse again between its issue and its use.
    emulator.control("POST", "/token-lifetime", {"seconds": 3600})
    since = emulator.last_seq()

    user = graph.get_user("megan.bowen@contoso.onmicrosoft.com")

    assert user.display_name == "Megan Bowen"
    assert len(token_requests(emulator, since)) == 1
    assert [c["status"] for c in graph_calls(emulator, since)] == [200]


def test_a_token_graph_no_longer_accepts_is_replaced_once_and_the_call_succeeds(
    graph: GraphClient, emulator: EmulatorProcess
) -> None:
    graph.get_user("adele.vance@contoso.onmicrosoft.com")
    emulator.reset()  # every token issued so far is retired; the cached one still looks valid to MSAL
    emulator.grant_admin_consent()
    since = emulator.last_seq()

    user = graph.get_user("megan.bowen@contoso.onmicrosoft.com")

    assert user.display_name == "Megan Bowen"
    assert [c["status"] for c in graph_calls(emulator, since)] == [401, 200]
    assert len(token_requests(emulator, since)) == 1


def test_forgetting_a_tenant_drops_its_tokens(config: MicrosoftConfig, emulator: EmulatorProcess) -> None:
    emulator.grant_admin_consent()
    auth.app_token(config, emulator.tenant_id)
    emulator.grant_admin_consent(granted=False)

    auth.forget_tenant(config, emulator.tenant_id)

    with pytest.raises(ConsentMissing):
        auth.app_token(config, emulator.tenant_id)


def test_the_admin_consent_url_sends_the_browser_to_the_v2_endpoint(config: MicrosoftConfig) -> None:
    url = auth.admin_consent_url(
        config, tenant="contoso.onmicrosoft.com", redirect_uri="http://127.0.0.1:8000/cb/", state="s-1"
    )

    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == config.browser_login_url
    assert parts.path == "/contoso.onmicrosoft.com/v2.0/adminconsent"
    assert parse_qs(parts.query) == {
        "client_id": [config.client_id],
        "scope": ["https://graph.microsoft.com/.default"],
        "redirect_uri": ["http://127.0.0.1:8000/cb/"],
        "state": ["s-1"],
    }
