"""OpenID Connect sign-in at Entra ID: who a person is, proven by an ID token Overlap verified itself.

Authorization code with PKCE and a nonce (MSAL builds the request and redeems the code); the ID token's
signature is then checked against the tenant's published keys (JWKS) with PyJWT, with `aud`, `iss`,
`exp` and the nonce. Only `tid` and `oid` of a verified token identify a person; `preferred_username`
and `email` are for display.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from typing import Any

import jwt

from integrations.microsoft.auth import _authority, _msal_call, start_delegated_sign_in
from integrations.microsoft.config import MicrosoftConfig
from integrations.microsoft.errors import BadRequest, ConsentMissing, MicrosoftError
from integrations.microsoft.transport import new_session

# Directory roles (template ids, the `wids` claim) that can grant tenant-wide admin consent to an app.
CONSENT_ROLES = {
    "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
}
ANY_ORGANIZATION = "organizations"
# MSAL adds openid, profile and offline_access. Entra asks a person to consent to signing in once per tenant
# (the app must exist there); User.Read is what that first consent names.
SIGN_IN_SCOPES = ("User.Read",)
_GUID = re.compile(r"^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$")
_LEEWAY_SECONDS = 120
_keys: dict[tuple[str, str], jwt.PyJWKSet] = {}
_keys_lock = threading.Lock()


class IdentityNotProven(MicrosoftError):
    """The sign-in's ID token failed verification (signature, audience, issuer, expiry, nonce)."""

    permanent = True


@dataclass(frozen=True)
class VerifiedSignIn:
    """Who signed in, from a verified ID token. `wids` is None when the token carried no role claim at all."""

    tid: str
    oid: str
    name: str
    username: str
    wids: frozenset[str] | None

    @property
    def consent_roles(self) -> list[str]:
        return sorted(CONSENT_ROLES[w] for w in (self.wids or ()) if w in CONSENT_ROLES)


def start_sign_in(
    config: MicrosoftConfig, *, tenant: str, redirect_uri: str, login_hint: str | None = None
) -> dict[str, Any]:
    """Begin an OpenID Connect sign-in (code + PKCE + nonce). Keep the dict in the session; send the browser to
    its "auth_uri". `tenant` is a tenant id or domain, or "organizations" for any work account."""
    flow = start_delegated_sign_in(
        config,
        tenant=tenant,
        redirect_uri=redirect_uri,
        scopes=SIGN_IN_SCOPES,
        login_hint=login_hint,
        prompt="select_account",
    )
    flow["tenant"] = tenant
    return dict(flow)


def finish_sign_in(config: MicrosoftConfig, *, flow: dict[str, Any], params: dict[str, Any]) -> VerifiedSignIn:
    """Redeem the code and verify the ID token; raises ConsentMissing (declined), BadRequest or IdentityNotProven."""
    if params.get("error"):
        message = str(params.get("error_description") or params["error"])
        if params["error"] in ("access_denied", "consent_required"):
            raise ConsentMissing(message, code=str(params["error"]))
        raise BadRequest(message, code=str(params["error"]))
    app = _authority(config, str(flow.get("tenant") or ANY_ORGANIZATION)).app
    msal_flow = {k: v for k, v in flow.items() if k != "tenant"}
    try:
        result = _msal_call(lambda: app.acquire_token_by_auth_code_flow(msal_flow, dict(params)))
    except BadRequest as exc:
        raise BadRequest("The sign-in answer does not match this sign-in.", code="state_mismatch") from exc
    if "id_token" not in (result or {}):
        raise IdentityNotProven("Microsoft returned no ID token.", code="no_id_token")
    # MSAL keeps the secret nonce in the flow and sends its SHA-256 to Entra ID, which puts that in the token.
    sent = hashlib.sha256(str(flow.get("nonce") or "").encode("ascii")).hexdigest() if flow.get("nonce") else ""
    return verify_id_token(config, str(result["id_token"]), nonce=sent)


def verify_id_token(config: MicrosoftConfig, token: str, *, nonce: str) -> VerifiedSignIn:
    """Check the signature with the issuing tenant's keys, then `aud`, `iss`, `exp`, `nonce`, `tid`, `oid`."""
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
        tid = str(unverified.get("tid") or "").lower()
        if not _GUID.match(tid):
            raise IdentityNotProven("The ID token names no tenant.", code="no_tid")
        key = _signing_key(config, tid, jwt.get_unverified_header(token).get("kid", ""))
        claims = jwt.decode(
            token,
            key=key,
            algorithms=["RS256"],
            audience=config.client_id,
            issuer=f"{config.login_url.rstrip('/')}/{tid}/v2.0",
            leeway=_LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "aud", "iss", "oid", "tid"]},
        )
    except jwt.PyJWTError as exc:
        raise IdentityNotProven(f"The ID token failed verification: {exc}.", code="id_token_invalid") from exc
    if not nonce or claims.get("nonce") != nonce:
        raise IdentityNotProven("The ID token does not belong to this sign-in (nonce).", code="nonce_mismatch")
    wids = claims.get("wids")
    return VerifiedSignIn(
        tid=tid,
        oid=str(claims["oid"]).lower(),
        name=str(claims.get("name") or ""),
        username=str(claims.get("preferred_username") or claims.get("upn") or "").lower(),
        wids=frozenset(str(w).lower() for w in wids) if isinstance(wids, list) else None,
    )


def _signing_key(config: MicrosoftConfig, tid: str, kid: str) -> Any:
    """The tenant's published key with this id; the key set is fetched again once when the id is new (rotation)."""
    cache_key = (config.login_url, tid)
    for attempt in range(2):
        with _keys_lock:
            keys = _keys.get(cache_key)
        if keys is None or attempt:
            keys = _fetch_keys(config, tid)
            with _keys_lock:
                _keys[cache_key] = keys
        found = next((k for k in keys.keys if k.key_id == kid), None)
        if found is not None:
            return found.key
    raise IdentityNotProven("The ID token is signed with a key the tenant does not publish.", code="unknown_kid")


def _fetch_keys(config: MicrosoftConfig, tid: str) -> jwt.PyJWKSet:
    url = f"{config.login_url.rstrip('/')}/{tid}/discovery/v2.0/keys"
    response = _msal_call(lambda: new_session(config).get(url))
    if response.status_code != 200:
        raise IdentityNotProven(f"The tenant's signing keys could not be read ({response.status_code}).", code="jwks")
    return jwt.PyJWKSet.from_dict(response.json())
