"""An ID token counts only when the tenant's published key signed it, for Overlap, with this sign-in's nonce."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from integrations.microsoft.config import MicrosoftConfig
from integrations.microsoft.oidc import IdentityNotProven, verify_id_token
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
