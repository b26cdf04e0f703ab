"""An ID token counts only when the tenant's published key signed it, for Overlap, with this sign-in's nonce."""

from __future__ import annotations

import time
from dataclasses import replace

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import rsa

from integrations.microsoft import oidc
from integrations.microsoft.config import MicrosoftConfig
from integrations.microsoft.id_token import checked_claims
from integrations.microsoft.oidc import IdentityNotProven, signing_key, verify_id_token
from m365_emulator.testing import EmulatorProcess

CONTOSO_ID = "a1b2c3d4-0000-4000-8000-00000000c0de"


def _config(emulator: EmulatorProcess) -> MicrosoftConfig:
    return MicrosoftConfig(
        client_id=emulator.client_id,
        client_secret=emulator.client_secret,
        login_url=emulator.base_url,
        graph_url=emulator.base_url,
        ca_bundle=emulator.ca_file,
    )


def _forged(emulator: EmulatorProcess, kid: str, **claims: object) -> str:
    now = int(time.time())
    body = {
        "aud": emulator.client_id,
        "iss": f"{emulator.base_url}/{CONTOSO_ID}/v2.0",
        "iat": now,
        "exp": now + 600,
        "tid": CONTOSO_ID,
        "oid": "34e32c5f-fd9c-592d-9c56-5525a201fb75",
        "nonce": "n",
        "wids": ["62e90394-69f5-4237-9190-012177145e10"],
        **claims,
    }
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


def _published_kid(emulator: EmulatorProcess) -> str:
    keys = emulator.session.get(f"{emulator.base_url}/{CONTOSO_ID}/discovery/v2.0/keys", timeout=10).json()
    return str(keys["keys"][0]["kid"])


def test_a_token_signed_with_someone_elses_key_under_the_tenants_key_id_is_refused(
    m365_emulator: EmulatorProcess,
) -> None:
    token = _forged(m365_emulator, _published_kid(m365_emulator))

    with pytest.raises(IdentityNotProven, match="failed verification"):
        verify_id_token(_config(m365_emulator), token, nonce="n")


def test_a_token_with_a_key_the_tenant_does_not_publish_is_refused(m365_emulator: EmulatorProcess) -> None:
    with pytest.raises(IdentityNotProven, match="key the tenant does not publish"):
        verify_id_token(_config(m365_emulator), _forged(m365_emulator, "made-up"), nonce="n")


def test_a_token_without_a_tenant_is_refused_before_any_key_is_fetched(m365_emulator: EmulatorProcess) -> None:
    before = m365_emulator.last_seq()

    with pytest.raises(IdentityNotProven, match="names no tenant"):
        verify_id_token(_config(m365_emulator), _forged(m365_emulator, "k", tid="../common"), nonce="n")
    assert m365_emulator.log(before) == []


def _config_with_keys_for(emulator: EmulatorProcess, hours: float) -> MicrosoftConfig:
    return replace(_config(emulator), signing_keys_max_age=hours * 3600)


def _key_reads(emulator: EmulatorProcess, since: int) -> int:
    return len([e for e in emulator.log(since) if e["path"].endswith("/discovery/v2.0/keys")])


@pytest.mark.parametrize(
    ("claims", "refusal"),
    [
        ({"aud": "00000000-0000-0000-0000-0000000a77ac"}, "failed verification: Audience"),
        ({"tid": "f0000000-0000-4000-8000-00000000fab1"}, "issued by another tenant"),
        (
            {"iss": "https://evil.example/a1b2c3d4-0000-4000-8000-00000000c0de/v2.0"},
            "failed verification: Invalid issuer",
        ),
        ({"exp": int(time.time()) - 3600}, "failed verification: Signature has expired"),
        ({"nonce": "another sign-in's"}, "does not belong to this sign-in"),
    ],
)
def test_the_calendar_connections_id_token_of_another_app_tenant_issuer_time_or_sign_in_is_refused(
    claims: dict[str, object], refusal: str, m365_emulator: EmulatorProcess
) -> None:
    token = _forged(m365_emulator, "k", **claims)  # no signature check here: the token came over TLS

    with pytest.raises(IdentityNotProven, match=refusal):
        checked_claims(_config(m365_emulator), token, key=None, nonce="n", tenant=CONTOSO_ID)


def test_the_calendar_connections_own_id_token_passes(m365_emulator: EmulatorProcess) -> None:
    claims = checked_claims(_config(m365_emulator), _forged(m365_emulator, "k"), key=None, nonce="n", tenant=CONTOSO_ID)

    assert claims["tid"] == CONTOSO_ID


def test_sign_in_reads_the_tenants_keys_again_after_the_configured_hours_and_not_for_each_made_up_key_id(
    m365_emulator: EmulatorProcess,
) -> None:
    config, kid = _config_with_keys_for(m365_emulator, 24), _published_kid(m365_emulator)
    oidc._keys.clear()
    before = m365_emulator.last_seq()

    signing_key(config, CONTOSO_ID, kid)
    signing_key(config, CONTOSO_ID, kid)
    for made_up in ("made-up-1", "made-up-2", "made-up-3"):
        with pytest.raises(IdentityNotProven, match="key the tenant does not publish"):
            signing_key(config, CONTOSO_ID, made_up)
    assert _key_reads(m365_emulator, before) == 1  # an unknown id reads again at most every few minutes

    with time_machine.travel(time.time() + 6 * 60, tick=True), pytest.raises(IdentityNotProven):
        signing_key(config, CONTOSO_ID, "made-up-4")
    assert _key_reads(m365_emulator, before) == 2

    with time_machine.travel(time.time() + 25 * 3600, tick=True):
        signing_key(config, CONTOSO_ID, kid)
    assert _key_reads(m365_emulator, before) == 3  # the cached keys expired
