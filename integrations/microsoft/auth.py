"""Tokens from Entra ID through MSAL: app-only per tenant, delegated per member, consent URLs.

One long-lived MSAL ConfidentialClientApplication per (registration, authority), so its token cache
and discovery are reused. Every MSAL or requests failure leaves as a `MicrosoftError`.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import msal
import requests

from integrations.microsoft.config import MicrosoftConfig
from integrations.microsoft.crypto import decrypt, encrypt
from integrations.microsoft.errors import (
    BadRequest,
    ClientConfigurationError,
    ConsentMissing,
    MicrosoftError,
    ReauthenticationRequired,
    TenantNotFound,
    Timeout,
    Unavailable,
    token_error,
)
from integrations.microsoft.id_token import IdentityNotProven, checked_claims, sent_nonce
from integrations.microsoft.transport import new_session
from integrations.microsoft.types import DelegatedGrant

logger = logging.getLogger("integrations.microsoft.auth")

GRAPH_RESOURCE = "https://graph.microsoft.com"
GRAPH_DEFAULT_SCOPE = f"{GRAPH_RESOURCE}/.default"
# Delegated mode's permissions; MSAL adds openid, profile and offline_access itself.
DELEGATED_SCOPES = ("User.Read", "Calendars.ReadWrite", "Calendars.Read.Shared")
_RESERVED_SCOPES = {"openid", "profile", "offline_access"}
# A GUID, a domain, or "organizations" (any work account: Overlap's own sign-in only).
_TENANT = re.compile(
    r"^(?:organizations|[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)$"
)
_MICROSOFT_HOSTS = {"login.microsoftonline.com", "login.microsoft.com", "login.windows.net", "sts.windows.net"}
T = TypeVar("T")


class _DiscoveryOnlyCache(dict[str, Any]):
    """MSAL's http_cache, keeping only discovery GETs.

    MSAL would otherwise replay a cached token-endpoint 400 for a minute, so a tenant whose admin
    has just granted consent would still look unconsented.
    """

    def __setitem__(self, key: str, value: Any) -> None:
        if not key.startswith("POST "):
            super().__setitem__(key, value)


@dataclass
class _Authority:
    """MSAL's view of one tenant for one registration; shared by every caller in the process."""

    app: msal.ConfidentialClientApplication
    session: requests.Session
    http_cache: _DiscoveryOnlyCache


_authorities: dict[tuple[str, ...], _Authority] = {}
_registry_lock = threading.Lock()


def _key(config: MicrosoftConfig, tenant: str) -> tuple[str, ...]:
    return (config.client_id, config.client_secret, config.login_url, config.ca_bundle or "", tenant.lower())


def _checked_tenant(tenant: str) -> str:
    """A tenant GUID or domain; anything else cannot name a tenant (nor be put into a URL)."""
    tenant = tenant.strip()
    if not _TENANT.match(tenant):
        raise TenantNotFound(f"{tenant!r} is not a tenant ID or domain.", code="AADSTS900023")
    return tenant


def _msal_call(action: Callable[[], T]) -> T:
    """Run an MSAL call, turning network failures into transient errors and refusals into permanent ones.

    Only what the network or Entra ID did is translated; anything else (a bug in Overlap or in MSAL) surfaces.
    """
    try:
        return action()
    except MicrosoftError:
        raise
    except requests.Timeout as exc:
        raise Timeout("Entra ID did not answer in time.", code="timeout") from exc
    except requests.RequestException as exc:  # connection refused or reset, TLS, and 5xx (MSAL raises for status)
        raise Unavailable(f"Entra ID could not be reached: {type(exc).__name__}.", code="unreachable") from exc
    except json.JSONDecodeError as exc:  # an answer that is not JSON: a proxy's or an outage's page
        raise Unavailable("Entra ID answered with something that is not JSON.", code="unreadable") from exc
    except ValueError as exc:  # MSAL refuses what Entra ID said: unknown tenant at discovery, state mismatch
        raise BadRequest(f"MSAL refused the request: {exc}", code="msal_value_error") from exc


def _build_app(
    config: MicrosoftConfig, tenant: str, session: requests.Session, http_cache: dict[str, Any], cache: Any = None
) -> msal.ConfidentialClientApplication:
    if not config.client_id or not config.client_secret:
        raise ClientConfigurationError("MICROSOFT_CLIENT_ID and MICROSOFT_CLIENT_SECRET must be set.", code="no_client")
    try:
        return _msal_call(lambda: _new_app(config, tenant, session, http_cache, cache))
    except BadRequest as exc:
        # MSAL's constructor runs discovery and raises ValueError when it answers 4xx (real Entra: AADSTS90002).
        raise TenantNotFound(f"Entra ID does not know the tenant {tenant!r}.", code="AADSTS90002") from exc


def _new_app(
    config: MicrosoftConfig, tenant: str, session: requests.Session, http_cache: dict[str, Any], cache: Any
) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        config.client_id,
        client_credential=config.client_secret,
        authority=config.authority(tenant),
        # Instance discovery asks login.microsoftonline.com about the host: only for Microsoft's own hosts.
        instance_discovery=(urlsplit(config.login_url).hostname or "") in _MICROSOFT_HOSTS,
        http_client=session,
        http_cache=http_cache,
        token_cache=cache,
    )


def _authority(config: MicrosoftConfig, tenant: str) -> _Authority:
    """The shared MSAL application for this tenant, built (and discovered) on first use."""
    tenant = _checked_tenant(tenant)
    key = _key(config, tenant)
    with _registry_lock:
        found = _authorities.get(key)
    if found is not None:
        return found
    session, http_cache = new_session(config), _DiscoveryOnlyCache()
    built = _Authority(_build_app(config, tenant, session, http_cache), session, http_cache)
    with _registry_lock:
        return _authorities.setdefault(key, built)


def tenant_id(config: MicrosoftConfig, tenant: str) -> str:
    """The tenant's GUID as Entra ID's discovery names it: a verified domain resolves to its tenant.

    Raises TenantNotFound for a tenant Entra ID does not know.
    """
    return str(_authority(config, tenant).app.authority.tenant).lower()


def forget_tenant(config: MicrosoftConfig, tenant: str) -> None:
    """Drop the tenant's MSAL application and its cached tokens (on disconnect, or after new consent)."""
    with _registry_lock:
        _authorities.pop(_key(config, tenant.strip()), None)


def forget_all() -> None:
    """Drop every cached application and token (tests, or a changed client secret)."""
    with _registry_lock:
        _authorities.clear()


def admin_consent_url(
    config: MicrosoftConfig, *, tenant: str, redirect_uri: str, state: str, extra: tuple[str, ...] = ()
) -> str:
    """Where to send a tenant admin to grant Overlap's application permissions (v2 endpoint, /.default).

    `extra`: permissions beyond the configured ones that this consent names (rooms: `Place.Read.All`), as
    Graph's full names next to /.default."""
    scope = " ".join([GRAPH_DEFAULT_SCOPE, *(f"{GRAPH_RESOURCE}/{name}" for name in extra)])
    query = urlencode({"client_id": config.client_id, "scope": scope, "redirect_uri": redirect_uri, "state": state})
    return f"{config.browser_authority(_checked_tenant(tenant))}/v2.0/adminconsent?{query}"


def app_token(config: MicrosoftConfig, tenant: str, *, force_refresh: bool = False) -> str:
    """An app-only Graph token for the tenant (client credentials), cached by MSAL until 5 minutes before expiry.

    Raises TenantNotFound, ConsentMissing (no admin consent yet, or revoked), ClientConfigurationError,
    Unavailable or Timeout.
    """
    authority = _authority(config, tenant)
    if force_refresh:
        _drop_access_tokens(authority.app.token_cache)
    result = _msal_call(lambda: authority.app.acquire_token_for_client(scopes=[GRAPH_DEFAULT_SCOPE]))
    return _access_token(result, delegated=False)


def _drop_access_tokens(cache: msal.TokenCache) -> None:
    for entry in list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
        cache.remove_at(entry)


def _access_token(result: dict[str, Any] | None, *, delegated: bool) -> str:
    if not result:
        raise ReauthenticationRequired("No usable sign-in is stored for this member.", code="no_account")
    if "access_token" not in result:
        error = token_error(result, delegated=delegated)
        logger.warning("Token request failed: %s", error)
        raise error
    return str(result["access_token"])


def _member_app(config: MicrosoftConfig, tenant: str, cache: msal.SerializableTokenCache) -> msal.ClientApplication:
    """A short-lived MSAL application over one member's cache, sharing the tenant's session and discovery."""
    shared = _authority(config, tenant)
    return _build_app(config, _checked_tenant(tenant), shared.session, shared.http_cache, cache)


def _msal_scopes(scopes: Iterable[str]) -> list[str]:
    return [s for s in scopes if s.lower() not in _RESERVED_SCOPES]


def start_delegated_sign_in(
    config: MicrosoftConfig,
    *,
    tenant: str,
    redirect_uri: str,
    scopes: Iterable[str] = DELEGATED_SCOPES,
    login_hint: str | None = None,
    response_mode: str = "query",
    prompt: str | None = None,
) -> dict[str, Any]:
    """Begin the auth-code flow with PKCE. Keep the returned dict in the session; send the browser to its "auth_uri"."""
    app = _authority(config, tenant).app
    with warnings.catch_warnings():
        # MSAL recommends form_post; Overlap's callback is a GET that PKCE and the one-time state protect.
        warnings.filterwarnings("ignore", message="response_mode='form_post' is recommended")
        flow = _msal_call(
            lambda: app.initiate_auth_code_flow(
                scopes=_msal_scopes(scopes),
                redirect_uri=redirect_uri,
                login_hint=login_hint,
                response_mode=response_mode,
                prompt=prompt,
            )
        )
    flow["auth_uri"] = _for_browser(config, str(flow["auth_uri"]))
    return dict(flow)


def _for_browser(config: MicrosoftConfig, url: str) -> str:
    """The same URL on the login host a browser can reach (they differ only with the emulator)."""
    server, browser = config.login_url.rstrip("/"), config.browser_login_url.rstrip("/")
    return browser + url[len(server) :] if url.startswith(server) else url


def finish_delegated_sign_in(
    config: MicrosoftConfig, *, tenant: str, flow: dict[str, Any], params: dict[str, Any]
) -> DelegatedGrant:
    """Redeem the code Entra ID sent back (`params` = the redirect's query), with the PKCE verifier in `flow`.

    Raises BadRequest for a forged or stale state, ConsentMissing when the person declined, IdentityNotProven
    for an ID token of another tenant, app or sign-in, and the token errors of `app_token`. `tenant` must be
    the tenant's GUID: the ID token's `tid` must equal it.
    """
    if params.get("error"):
        raise _declined(params)
    cache = msal.SerializableTokenCache()
    result = redeem_code(_member_app(config, tenant, cache), flow, params)
    _access_token(result, delegated=True)
    return _grant(config, result, cache, tenant=tenant, nonce=sent_nonce(flow))


def redeem_code(app: msal.ClientApplication, flow: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Redeem the code of an auth-code flow (with its PKCE verifier); raises BadRequest for another flow's state
    and IdentityNotProven for an ID token of another sign-in."""
    try:
        return dict(_msal_call(lambda: app.acquire_token_by_auth_code_flow(dict(flow), dict(params))) or {})
    except BadRequest as exc:
        raise BadRequest("The sign-in answer does not match this sign-in (state).", code="state_mismatch") from exc
    except RuntimeError as exc:  # MSAL still compares the nonce itself, and raises this when it differs
        raise IdentityNotProven("The ID token does not belong to this sign-in (nonce).", code="nonce_mismatch") from exc


def _declined(params: dict[str, Any]) -> MicrosoftError:
    message = str(params.get("error_description") or params["error"])
    if params["error"] in ("access_denied", "consent_required"):
        return ConsentMissing(message, code=str(params["error"]))
    return BadRequest(message, code=str(params["error"]))


def _grant(
    config: MicrosoftConfig, result: dict[str, Any], cache: msal.SerializableTokenCache, *, tenant: str, nonce: str
) -> DelegatedGrant:
    """The member's grant, once the ID token proves whose it is. MSAL hands over the token's claims without
    checking them, so they are checked here as sign-in checks them, less the signature (see `id_token`)."""
    if not result.get("id_token"):
        raise IdentityNotProven("Microsoft returned no ID token.", code="no_id_token")
    claims = checked_claims(config, str(result["id_token"]), key=None, nonce=nonce, tenant=tenant)
    return DelegatedGrant(
        cache_blob=_seal(config, cache),
        oid=str(claims.get("oid") or ""),
        tid=str(claims.get("tid") or ""),
        username=str(claims.get("preferred_username") or claims.get("upn") or ""),
        name=str(claims.get("name") or ""),
        email=claims.get("email") or None,
        scopes=tuple(str(result.get("scope") or "").split()),
    )


def delegated_token(
    config: MicrosoftConfig,
    *,
    tenant: str,
    cache_blob: str,
    account_oid: str,
    scopes: Iterable[str] = DELEGATED_SCOPES,
    force_refresh: bool = False,
) -> tuple[str, str | None]:
    """A member's access token, refreshed when needed; and the new encrypted blob when the cache changed.

    Store the new blob (the refresh token rotates). A dead refresh token raises ReauthenticationRequired
    after a single token request.
    """
    cache = msal.SerializableTokenCache()
    try:
        cache.deserialize(decrypt(cache_blob, config.token_keys).decode("utf-8"))
    except ValueError:  # decrypted, but not an MSAL cache
        raise ReauthenticationRequired("The stored sign-in is unreadable.", code="token_unreadable") from None
    app = _member_app(config, tenant, cache)
    account = next((a for a in app.get_accounts() if a.get("local_account_id") == account_oid), None)
    if account is None:
        raise ReauthenticationRequired("No sign-in is stored for this member.", code="no_account")
    result = _msal_call(
        lambda: app.acquire_token_silent_with_error(_msal_scopes(scopes), account, force_refresh=force_refresh)
    )
    token = _access_token(result, delegated=True)
    return token, _seal(config, cache) if cache.has_state_changed else None


def _seal(config: MicrosoftConfig, cache: msal.SerializableTokenCache) -> str:
    """The member's MSAL cache, encrypted with the configuration's newest key."""
    return encrypt(cache.serialize().encode("utf-8"), config.token_keys)


@dataclass
class MemberTokens:
    """The one TokenSource for a member: refreshes on demand, hands each rotated cache blob to `save`,
    and tells `refused` (then raises) when Microsoft no longer accepts the member's sign-in."""

    config: MicrosoftConfig
    tenant: str
    cache_blob: str = field(repr=False)
    account_oid: str
    save: Callable[[str], None] = field(default=lambda blob: None, repr=False)
    refused: Callable[[ReauthenticationRequired], None] = field(default=lambda error: None, repr=False)

    def __call__(self, *, force_refresh: bool = False) -> str:
        try:
            token, blob = delegated_token(
                self.config,
                tenant=self.tenant,
                cache_blob=self.cache_blob,
                account_oid=self.account_oid,
                force_refresh=force_refresh,
            )
        except ReauthenticationRequired as error:
            self.refused(error)
            raise
        if blob is not None:
            self.cache_blob = blob
            self.save(blob)
        return token


@dataclass
class TenantTokens:
    """A TokenSource for a tenant's app-only token."""

    config: MicrosoftConfig
    tenant: str

    def __call__(self, *, force_refresh: bool = False) -> str:
        return app_token(self.config, self.tenant, force_refresh=force_refresh)
