"""The checks every ID token passes, wherever it came from: for Overlap (`aud`), issued by its own tenant
(`iss`, `tid`), in date (`exp`, `iat`), and belonging to this very sign-in (`nonce`).

Sign-in also checks the signature against the tenant's published keys (`oidc`). The calendar connection's
token came over TLS straight from the token endpoint, where OpenID Connect Core 1.0 §3.1.3.7 lets the client
rely on TLS instead of the signature; every other claim is checked all the same.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

import jwt

from integrations.microsoft.config import MicrosoftConfig
from integrations.microsoft.errors import MicrosoftError

LEEWAY_SECONDS = 120
_GUID = re.compile(r"^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$")
_REQUIRED = ["exp", "iat", "aud", "iss", "oid", "tid"]


class IdentityNotProven(MicrosoftError):
    """An ID token failed verification (signature, audience, issuer, tenant, expiry, nonce)."""

    permanent = True


def sent_nonce(flow: Mapping[str, Any]) -> str:
    """The nonce Entra ID puts in the token: MSAL keeps the secret one in the flow and sends its SHA-256."""
    secret = str(flow.get("nonce") or "")
    return hashlib.sha256(secret.encode("ascii")).hexdigest() if secret else ""


def token_tenant(token: str) -> str:
    """The tenant the (not yet verified) token names; only a GUID can be put into the keys' URL."""
    try:
        tid = str(jwt.decode(token, options={"verify_signature": False}).get("tid") or "").lower()
    except jwt.PyJWTError as exc:
        raise IdentityNotProven(f"The ID token cannot be read: {exc}.", code="id_token_invalid") from exc
    if not _GUID.match(tid):
        raise IdentityNotProven("The ID token names no tenant.", code="no_tid")
    return tid


def checked_claims(
    config: MicrosoftConfig, token: str, *, key: Any | None, nonce: str, tenant: str | None = None
) -> dict[str, Any]:
    """The token's claims once every check passed; `key` None skips only the signature (see the module).

    `tenant`: the tenant the token must come from (None: any work account's tenant, as sign-in accepts).
    Raises `IdentityNotProven`.
    """
    tid = token_tenant(token)
    if tenant is not None and tid != tenant.lower():
        raise IdentityNotProven("The ID token was issued by another tenant.", code="tenant_mismatch")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key if key is not None else "",  # "" is never used: the signature is not checked then
            algorithms=["RS256"],
            audience=config.client_id,
            issuer=f"{config.login_url.rstrip('/')}/{tid}/v2.0",
            leeway=LEEWAY_SECONDS,
            options={
                "verify_signature": key is not None,
                "verify_aud": True,
                "verify_iss": True,
                "verify_exp": True,
                "verify_iat": True,
                "require": _REQUIRED,
            },
        )
    except jwt.PyJWTError as exc:
        raise IdentityNotProven(f"The ID token failed verification: {exc}.", code="id_token_invalid") from exc
    if not nonce or claims.get("nonce") != nonce:
        raise IdentityNotProven("The ID token does not belong to this sign-in (nonce).", code="nonce_mismatch")
    return claims
