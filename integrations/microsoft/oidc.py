"""OpenID Connect sign-in at Entra ID: who a person is, proven by an ID token Overlap verified itself.

Authorization code with PKCE and a nonce (MSAL builds the request and redeems the code); the ID token's
signature is then checked against the tenant's published keys (JWKS) with PyJWT, with `aud`, `iss`,
`exp` and the nonce. Only `tid` and `oid` of a verified token identify a person; `preferred_username`
and `email` are for display.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt

from integrations.microsoft.auth import _authority, _msal_call, redeem_code, start_delegated_sign_in
from integrations.microsoft.config import MicrosoftConfig
from integrations.microsoft.errors import BadRequest, ConsentMissing
from integrations.microsoft.id_token import IdentityNotProven, checked_claims, sent_nonce, token_tenant
from integrations.microsoft.transport import new_session

__all__ = ["IdentityNotProven"]

GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_ROLE_ADMINISTRATOR = "e8611ab8-c189-46e8-94e1-60213ab1f814"
# Directory roles (template ids, the `wids` claim) that can grant what Overlap's admin consent asks for: its
# application permissions of Microsoft Graph (`/.default` names them, in either mode). Cloud Application
# Administrator and Application Administrator can consent to delegated permissions and to other APIs' app
# roles, but not to Microsoft Graph's app roles.
CONSENT_ROLES = {
    GLOBAL_ADMINISTRATOR: "Global Administrator",
    PRIVILEGED_ROLE_ADMINISTRATOR: "Privileged Role Administrator",
}
WHO_CAN_CONSENT = "a Global Administrator or a Privileged Role Administrator"
ANY_ORGANIZATION = "organizations"
# MSAL adds openid, profile and offline_access. Entra asks a person to consent to signing in once per tenant
# (the app must exist there); User.Read is what that first consent names.
SIGN_IN_SCOPES = ("User.Read",)
# A key id the cached set does not know makes Overlap read the keys again, but not more often than this:
# tokens with made-up key ids must not turn into a stream of requests to Entra ID.
_REFETCH_SECONDS = 300
_keys: dict[tuple[str, str], tuple[float, jwt.PyJWKSet]] = {}
_keys_lock = threading.Lock()


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
    result = redeem_code(app, msal_flow, params)
    if "id_token" not in result:
        raise IdentityNotProven("Microsoft returned no ID token.", code="no_id_token")
    return verify_id_token(config, str(result["id_token"]), nonce=sent_nonce(flow))


def verify_id_token(config: MicrosoftConfig, token: str, *, nonce: str) -> VerifiedSignIn:
    """Check the signature with the issuing tenant's keys, then `aud`, `iss`, `exp`, `nonce`, `tid`, `oid`."""
    tid = token_tenant(token)
    try:
        kid = jwt.get_unverified_header(token).get("kid", "")
    except jwt.PyJWTError as exc:
        raise IdentityNotProven(f"The ID token cannot be read: {exc}.", code="id_token_invalid") from exc
    claims = checked_claims(config, token, key=signing_key(config, tid, kid), nonce=nonce)
    wids = claims.get("wids")
    return VerifiedSignIn(
        tid=tid,
        oid=str(claims["oid"]).lower(),
        name=str(claims.get("name") or ""),
        username=str(claims.get("preferred_username") or claims.get("upn") or "").lower(),
        wids=frozenset(str(w).lower() for w in wids) if isinstance(wids, list) else None,
    )


def signing_key(config: MicrosoftConfig, tid: str, kid: str) -> Any:
    """The tenant's published key with this id.

    The key set is kept for `config.signing_keys_max_age`, and read again sooner for a key id it does not
    know (a rotation), at most once every few minutes per tenant.
    """
    cache_key = (config.login_url, tid)
    with _keys_lock:
        fetched_at, keys = _keys.get(cache_key, (0.0, None))
    age = time.time() - fetched_at
    if keys is None or age >= config.signing_keys_max_age or (_find(keys, kid) is None and age >= _REFETCH_SECONDS):
        keys = _fetch_keys(config, tid)
        with _keys_lock:
            _keys[cache_key] = (time.time(), keys)
    found = _find(keys, kid)
    if found is None:
        raise IdentityNotProven("The ID token is signed with a key the tenant does not publish.", code="unknown_kid")
    return found


def _find(keys: jwt.PyJWKSet, kid: str) -> Any | None:
    return next((k.key for k in keys.keys if k.key_id == kid), None)


def _fetch_keys(config: MicrosoftConfig, tid: str) -> jwt.PyJWKSet:
    url = f"{config.login_url.rstrip('/')}/{tid}/discovery/v2.0/keys"
    response = _msal_call(lambda: new_session(config).get(url))
    if response.status_code != 200:
        raise IdentityNotProven(f"The tenant's signing keys could not be read ({response.status_code}).", code="jwks")
    try:
        return jwt.PyJWKSet.from_dict(response.json())
    except (ValueError, jwt.PyJWTError) as exc:  # not JSON, or no key PyJWT can use
        raise IdentityNotProven(f"The tenant's signing keys cannot be read: {exc}.", code="jwks") from exc
