"""Entra ID's machine-facing endpoints: OpenID discovery, signing keys and the token endpoint.

Browser-facing pages (authorize, sign-in, consent, admin consent) live in `pages.py`; both share
`resolve_tenant`, the scope helpers and the OAuth error shape defined here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from m365_emulator.host import outcome_of
from m365_emulator.sessions import AuthCode
from m365_emulator.state import AppRegistration, DirectoryUser, RefreshGrant, Tenant
from m365_emulator.tokens import GRAPH_APP_ID, GRAPH_AUDIENCE, now_seconds, pkce_matches

if TYPE_CHECKING:
    from m365_emulator.host import Host
    from m365_emulator.routing import Router

MULTI_TENANT_KEYS = {"common", "organizations"}
OIDC_SCOPES = {"openid", "profile", "email", "offline_access"}
ADMIN_ONLY_SCOPES = {"user.read.all", "user.readwrite.all", "directory.read.all", "group.read.all"}
GRAPH_PREFIXES = (GRAPH_AUDIENCE + "/", GRAPH_APP_ID + "/")
REFRESH_LIFETIME_DAYS = 90
ID_TOKEN_LIFETIME = 3600


class OAuthFailure(Exception):
    """A refusal in the token endpoint's OAuth shape."""

    def __init__(self, status: int, error: str, code: int, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.code, self.description = status, error, code, description

    def response(self, emulator: Host) -> Response:
        return oauth_error(emulator, self.status, self.error, self.code, self.description)


def oauth_error(emulator: Host, status: int, error: str, code: int, description: str) -> Response:
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    text = f"AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {correlation} Timestamp: {stamp}"
    body = {
        "error": error,
        "error_description": text,
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"{emulator.base_url}/error?code={code}",
    }
    return json_response(status, body)


def json_response(status: int, body: Any) -> Response:
    response = Response(json.dumps(body), status=status, content_type="application/json; charset=utf-8")
    response.headers["Cache-Control"] = "no-store, no-cache"
    return response


# -- tenants and scopes --------------------------------------------------------------------------------


def resolve_tenant(emulator: Host, key: str) -> Tenant | None:
    """A tenant by GUID or verified domain; None for an unknown one (the multi-tenant keys are the caller's)."""
    return emulator.tenant(key)


_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


def unknown_tenant(key: str) -> tuple[int, str]:
    """The AADSTS code and message for a tenant that does not resolve: 900023 if it cannot be one at all."""
    if _GUID.match(key) or "." in key:
        return 90002, tenant_not_found(key)
    return 900023, f"Specified tenant identifier '{key}' is neither a valid DNS name, nor a valid external domain."


def tenant_not_found(key: str) -> str:
    return (
        f"Tenant '{key}' not found. Check to make sure you have the correct tenant ID and are signing into "
        "the correct cloud. Check with your subscription administrator, this may happen if there are no "
        "active subscriptions for the tenant."
    )


def normalize_scopes(raw: str, app: AppRegistration | None = None) -> list[str]:
    """Scope names without Graph's resource prefix; `/.default` expands to the app's delegated permissions."""
    names: list[str] = []
    for item in raw.replace(",", " ").split():
        name = item
        for prefix in GRAPH_PREFIXES:
            if item.lower().startswith(prefix.lower()):
                name = item[len(prefix) :]
        if name == ".default" and app is not None:
            names.extend(p for p in app.delegated_permissions if p.lower() not in OIDC_SCOPES)
        elif name and name.lower() not in (n.lower() for n in names):
            names.append(name)
    return _dedupe(names)


def _dedupe(names: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for name in names:
        if name.lower() not in seen:
            seen.add(name.lower())
            out.append(name)
    return out


def resource_scopes(scopes: list[str]) -> list[str]:
    return [s for s in scopes if s.lower() not in OIDC_SCOPES]


def consented_scopes(tenant: Tenant, app: AppRegistration, user: DirectoryUser) -> set[str]:
    """Delegated scopes this user may use with the app: their own consent plus an admin's for everyone."""
    granted = {s.lower() for s in tenant.user_consents.get((app.client_id, user.id), set())}
    if app.client_id in tenant.admin_consented_apps:
        granted |= {p.lower() for p in [*app.delegated_permissions, *extra_permissions(tenant, app)]}
    return granted


def extra_permissions(tenant: Tenant, app: AppRegistration) -> list[str]:
    """Permissions an admin added in this tenant beyond the app's configured ones (rooms' Place.Read.All)."""
    return sorted(tenant.extra_permissions.get(app.client_id, set()))


def app_roles(tenant: Tenant, app: AppRegistration) -> list[str]:
    """The application permissions an app-only token carries: none without admin consent (M365-FACTS §6)."""
    if app.client_id not in tenant.admin_consented_apps:
        return []
    return [*app.application_permissions, *extra_permissions(tenant, app)]


def has_service_principal(tenant: Tenant, client_id: str) -> bool:
    """Whether the app exists in the tenant at all: an admin or a user consented to it once."""
    return client_id in tenant.admin_consented_apps or client_id in tenant.service_principals


def app_not_in_tenant(app_id: str, tenant: Tenant) -> OAuthFailure:
    return OAuthFailure(
        400,
        "unauthorized_client",
        700016,
        f"Application with identifier '{app_id}' was not found in the directory '{tenant.display_name}'. "
        "This can happen if the application has not been installed by the administrator of the tenant or "
        "consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
    )


# -- discovery -----------------------------------------------------------------------------------------


def discovery(emulator: Host, request: Request, tenant: str) -> Response:
    if tenant.lower() in MULTI_TENANT_KEYS:
        segment, issuer_tid = tenant.lower(), "{tenantid}"
    else:
        found = resolve_tenant(emulator, tenant)
        if found is None:
            # Real Entra answers discovery for an unknown tenant with invalid_tenant (observed).
            return oauth_error(emulator, 400, "invalid_tenant", *unknown_tenant(tenant))
        segment = issuer_tid = found.id
    return json_response(200, discovery_document(emulator, segment, issuer_tid))


def discovery_document(emulator: Host, segment: str, issuer_tid: str) -> dict[str, Any]:
    base, browser = emulator.base_url, emulator.browser_url
    return {
        "token_endpoint": f"{base}/{segment}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{base}/{segment}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{base}/{issuer_tid}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{base}/oidc/userinfo",
        # The browser is sent here: the emulator's plain-HTTP twin, so that a person never meets a
        # certificate warning; every machine-to-machine endpoint stays on HTTPS.
        "authorization_endpoint": f"{browser}/{segment}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base}/{segment}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{browser}/{segment}/oauth2/v2.0/logout",
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "preferred_username",
            "name",
            "tid",
            "ver",
            "email",
            "oid",
        ],
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
    }


def keys(emulator: Host, request: Request, tenant: str) -> Response:
    return json_response(200, emulator.signer.jwks())


def home(emulator: Host, request: Request) -> Response:
    lines = [f"{t.display_name}: {t.id} ({', '.join(t.domains)})" for t in emulator.state.tenants.values()]
    text = "Microsoft 365 emulator. Tenants:\n" + "\n".join(lines) + "\n"
    return Response(text, content_type="text/plain; charset=utf-8")


# -- token endpoint ------------------------------------------------------------------------------------


def token(emulator: Host, request: Request, tenant: str) -> Response:
    try:
        return _token(emulator, request, tenant)
    except OAuthFailure as failure:
        return failure.response(emulator)


def _token(emulator: Host, request: Request, tenant_key: str) -> Response:
    form = request.form
    tenant = None if tenant_key.lower() in MULTI_TENANT_KEYS else resolve_tenant(emulator, tenant_key)
    if tenant is None and tenant_key.lower() not in MULTI_TENANT_KEYS:
        raise OAuthFailure(400, "invalid_request", *unknown_tenant(tenant_key))
    client_id, secret = _client_credentials(request)
    outcome = outcome_of(request)
    outcome.app, outcome.tenant = client_id or None, tenant.id if tenant else None
    grant_type = form.get("grant_type", "")
    handler = GRANTS.get(grant_type)
    if handler is None:
        message = f"The provided value for the input parameter 'grant_type' is not valid: {grant_type!r}."
        raise OAuthFailure(400, "unsupported_grant_type", 70003, message)
    app = _authenticate_client(emulator, tenant, client_id, secret)
    return handler(emulator, request, tenant, app)


def _client_credentials(request: Request) -> tuple[str, str]:
    form = request.form
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(auth[6:]).decode()
        except ValueError:
            decoded = ""
        user, _, password = decoded.partition(":")
        client_id, secret = client_id or unquote(user), secret or unquote(password)
    return client_id, secret


def _authenticate_client(emulator: Host, tenant: Tenant | None, client_id: str, secret: str) -> AppRegistration:
    if not client_id:
        message = "The request body must contain the following parameter: 'client_id'."
        raise OAuthFailure(400, "invalid_request", 900144, message)
    app = emulator.state.apps.get(client_id)
    # Entra looks the app up in the tenant before it looks at the secret: an app nobody consented to in
    # this tenant gets AADSTS700016 whatever secret it sends.
    if app is None or (tenant is not None and not has_service_principal(tenant, client_id)):
        raise app_not_in_tenant(client_id, tenant or _placeholder_tenant())
    if not secret:
        message = "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."
        raise OAuthFailure(401, "invalid_client", 7000218, message)
    if not secrets.compare_digest(secret, app.client_secret):
        message = (
            f"Invalid client secret provided. Ensure the secret being sent in the request is the client secret "
            f"value, not the client secret ID, for a secret added to app '{client_id}'."
        )
        raise OAuthFailure(401, "invalid_client", 7000215, message)
    return app


def _placeholder_tenant() -> Tenant:
    return Tenant(id="", display_name="organizations", domains=[])


def _client_credentials_grant(
    emulator: Host, request: Request, tenant: Tenant | None, app: AppRegistration
) -> Response:
    if tenant is None:
        message = (
            "No tenant-identifying information found in either the request or implied by any provided credentials."
        )
        raise OAuthFailure(400, "invalid_request", 50059, message)
    _require_default_scope(request.form.get("scope", ""))
    if not has_service_principal(tenant, app.client_id):
        raise app_not_in_tenant(app.client_id, tenant)
    # Without admin consent the app may still exist in the tenant (a user consented); Entra then issues
    # a token without roles and Graph answers 403 (M365-FACTS §6).
    roles = app_roles(tenant, app)
    access, lifetime = issue_access_token(emulator, tenant, app, roles=roles)
    body = {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": access}
    return json_response(200, body)


def _require_default_scope(scope: str) -> None:
    items = scope.split()
    if len(items) != 1 or not items[0].endswith("/.default"):
        message = (
            f"The provided value for scope {scope or '(none)'} is not valid. Client credential flows must have a "
            "scope value with /.default suffixed to the resource identifier (application ID URI)."
        )
        raise OAuthFailure(400, "invalid_scope", 1002012, message)
    resource = items[0][: -len("/.default")].rstrip("/")
    # The emulator's own origin stands for Graph, so a client built on MICROSOFT_GRAPH_URL may ask for it.
    if resource not in (GRAPH_AUDIENCE, GRAPH_APP_ID) and not resource.startswith(
        ("https://127.", "https://localhost")
    ):
        message = f"The resource principal named {resource} was not found in the tenant."
        raise OAuthFailure(400, "invalid_resource", 500011, message)


def issue_access_token(
    emulator: Host,
    tenant: Tenant,
    app: AppRegistration,
    *,
    roles: list[str] | None = None,
    user: DirectoryUser | None = None,
    scopes: list[str] | None = None,
) -> tuple[str, int]:
    """A signed Graph access token and its lifetime in seconds (random 60 to 90 minutes unless configured)."""
    lifetime = emulator.token_lifetime or random.randint(3600, 5400)
    now = now_seconds()
    claims: dict[str, Any] = {
        "aud": GRAPH_AUDIENCE,
        "iss": f"https://sts.windows.net/{tenant.id}/",
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "appid": app.client_id,
        "app_displayname": app.display_name,
        "appidacr": "1",
        "tid": tenant.id,
        "uti": secrets.token_urlsafe(16),
        "ver": "1.0",
        "emu_epoch": emulator.epoch,
        "emu_issued": time.time(),  # to the microsecond, for /_emulator/access-tokens/expire
    }
    if user is None:
        sp_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sp/{tenant.id}/{app.client_id}"))
        claims.update({"idtyp": "app", "oid": sp_id, "sub": sp_id})
        if roles:
            claims["roles"] = roles
    else:
        claims.update(_user_claims(user, scopes or []))
    return emulator.signer.sign(claims), lifetime


def _user_claims(user: DirectoryUser, scopes: list[str]) -> dict[str, Any]:
    return {
        "idtyp": "user",
        "oid": user.id,
        "sub": user.id,
        "upn": user.user_principal_name,
        "unique_name": user.user_principal_name,
        "name": user.display_name,
        "given_name": user.given_name,
        "family_name": user.surname,
        "scp": " ".join(s for s in scopes if s.lower() != "offline_access"),
    }


def issue_id_token(
    emulator: Host, tenant: Tenant, app: AppRegistration, user: DirectoryUser, scopes: list[str], nonce: str | None
) -> str:
    """A v2 ID token as Entra issues it to the app: signed RS256, `aud` the client id, `iss` per tenant."""
    now = now_seconds()
    claims: dict[str, Any] = {
        "aud": app.client_id,
        "iss": f"{emulator.base_url}/{tenant.id}/v2.0",
        "iat": now,
        "nbf": now,
        "exp": now + ID_TOKEN_LIFETIME,
        "oid": user.id,
        "sub": pairwise_subject(app.client_id, user.id),
        "tid": tenant.id,
        "ver": "2.0",
        "uti": secrets.token_urlsafe(16),
        **_id_token_profile(user, {s.lower() for s in scopes}),
        **_group_claims(tenant, app, user),
    }
    if nonce:
        claims["nonce"] = nonce
    return emulator.signer.sign(claims)


def pairwise_subject(client_id: str, object_id: str) -> str:
    """Entra's `sub`: the same person has a different, stable subject in every app (43 base64url chars)."""
    digest = hashlib.sha256(f"pairwise/{client_id.lower()}/{object_id.lower()}".encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _id_token_profile(user: DirectoryUser, lowered: set[str]) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    if "profile" in lowered:
        claims.update({"name": user.display_name, "preferred_username": user.user_principal_name})
    # Entra never verifies `mail`: it is sent as it stands in the directory, and only when asked for.
    if "email" in lowered and user.mail:
        claims["email"] = user.mail
    return claims


def _group_claims(tenant: Tenant, app: AppRegistration, user: DirectoryUser) -> dict[str, Any]:
    """`wids` and `groups`, only as the app registration's groupMembershipClaims asks for them."""
    claims: dict[str, Any] = {}
    if app.claims_groups("DirectoryRole") and user.wids():  # like Entra, no empty claim (a guest without roles)
        claims["wids"] = user.wids()
    if app.claims_groups("SecurityGroup"):
        security = {g.id for g in tenant.groups.values() if g.security_enabled}
        claims["groups"] = sorted(tenant.groups_of(user) & security)
    return claims


def user_token_response(
    emulator: Host,
    tenant: Tenant,
    app: AppRegistration,
    user: DirectoryUser,
    scopes: list[str],
    nonce: str | None,
    *,
    refreshing: bool = False,
) -> dict[str, Any]:
    """Access token, plus a refresh token (offline_access, or any refresh) and an id token for openid.

    Like Entra's v2 endpoint, the access token carries every Graph scope the user consented to for the app,
    not only those asked for this time.
    """
    granted = _with_consented([s for s in scopes if s.lower() != "offline_access"], tenant, app, user)
    access, lifetime = issue_access_token(emulator, tenant, app, user=user, scopes=granted)
    body: dict[str, Any] = {
        "token_type": "Bearer",
        "scope": " ".join(granted),
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access,
    }
    lowered = {s.lower() for s in scopes}
    if "offline_access" in lowered or refreshing:
        body["refresh_token"] = new_refresh_grant(
            emulator, tenant, app, user, _dedupe([*scopes, "offline_access"])
        ).token
    if "openid" in lowered:
        body["id_token"] = issue_id_token(emulator, tenant, app, user, scopes, nonce)
        body["client_info"] = _client_info(tenant, user)
    return body


def _with_consented(scopes: list[str], tenant: Tenant, app: AppRegistration, user: DirectoryUser) -> list[str]:
    names = list(tenant.user_consents.get((app.client_id, user.id), set()))
    if app.client_id in tenant.admin_consented_apps:
        names += [*app.delegated_permissions, *extra_permissions(tenant, app)]
    return _dedupe([*scopes, *sorted(s for s in names if s.lower() not in OIDC_SCOPES)])


def _client_info(tenant: Tenant, user: DirectoryUser) -> str:
    raw = json.dumps({"uid": user.id, "utid": tenant.id}).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def new_refresh_grant(
    emulator: Host, tenant: Tenant, app: AppRegistration, user: DirectoryUser, scopes: list[str]
) -> RefreshGrant:
    now = datetime.now(UTC)
    grant = RefreshGrant(
        token="1.A" + secrets.token_urlsafe(64),
        client_id=app.client_id,
        user_id=user.id,
        scopes=list(scopes),
        issued_at=now,
        last_used_at=now,
        tenant_id=tenant.id,
    )
    with emulator.state.lock:
        emulator.state.refresh_grants[grant.token] = grant
    return grant


def _authorization_code_grant(
    emulator: Host, request: Request, tenant: Tenant | None, app: AppRegistration
) -> Response:
    form = request.form
    code = _redeemable_code(emulator, form.get("code", ""), app)
    _check_redirect_and_pkce(code, form.get("redirect_uri", ""), form.get("code_verifier"))
    home_tenant = emulator.state.tenants.get(code.tenant_id)
    if home_tenant is None or (tenant is not None and tenant.id != home_tenant.id):
        raise OAuthFailure(400, "invalid_grant", 70000, "The provided value for the 'code' parameter is not valid.")
    user = _active_user(home_tenant, code.user_id)
    outcome = outcome_of(request)
    outcome.tenant, outcome.user = home_tenant.id, user.user_principal_name
    body = user_token_response(emulator, home_tenant, app, user, code.scopes, code.nonce)
    return json_response(200, body)


def _redeemable_code(emulator: Host, value: str, app: AppRegistration) -> AuthCode:
    if not value:
        raise OAuthFailure(
            400, "invalid_request", 900144, "The request body must contain the following parameter: 'code'."
        )
    code, first = emulator.identity.take_code(value)
    if code is None:
        raise OAuthFailure(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
    if not first:
        message = (
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an "
            "existing refresh token."
        )
        raise OAuthFailure(400, "invalid_grant", 54005, message)
    if code.expired:
        message = "The provided authorization code or refresh token has expired due to inactivity."
        raise OAuthFailure(400, "invalid_grant", 70008, message)
    if code.client_id != app.client_id:
        raise OAuthFailure(400, "invalid_grant", 70000, "The provided value for the 'code' parameter is not valid.")
    return code


def _check_redirect_and_pkce(code: AuthCode, redirect_uri: str, verifier: str | None) -> None:
    if redirect_uri != code.redirect_uri:
        # The exact code for a mismatched redirect_uri at redemption is UNCONFIRMED; 500112 is the closest.
        message = (
            f"The reply address '{redirect_uri}' does not match the reply address '{code.redirect_uri}' "
            "provided when requesting Authorization code."
        )
        raise OAuthFailure(400, "invalid_grant", 500112, message)
    if code.code_challenge is None:
        return
    if not verifier or not pkce_matches(verifier, code.code_challenge, code.code_challenge_method):
        message = "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE."
        raise OAuthFailure(400, "invalid_grant", 501481, message)


def _active_user(tenant: Tenant, user_id: str) -> DirectoryUser:
    user = tenant.users.get(user_id)
    if user is None:
        raise OAuthFailure(400, "invalid_grant", 50034, "The user account does not exist in the directory.")
    if not user.account_enabled:
        raise OAuthFailure(400, "invalid_grant", 50057, "The user account is disabled.")
    return user


def _refresh_token_grant(emulator: Host, request: Request, tenant: Tenant | None, app: AppRegistration) -> Response:
    grant = _live_grant(emulator, request.form.get("refresh_token", ""), app)
    home_tenant = emulator.state.tenants.get(grant.tenant_id)
    if home_tenant is None or (tenant is not None and tenant.id != home_tenant.id):
        raise OAuthFailure(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
    user = _active_user(home_tenant, grant.user_id)
    outcome = outcome_of(request)
    outcome.tenant, outcome.user = home_tenant.id, user.user_principal_name
    scopes = _refresh_scopes(request.form.get("scope", ""), grant, home_tenant, app, user)
    grant.last_used_at = datetime.now(UTC)
    body = user_token_response(emulator, home_tenant, app, user, scopes, None, refreshing=True)
    return json_response(200, body)


def _live_grant(emulator: Host, value: str, app: AppRegistration) -> RefreshGrant:
    if not value:
        message = "The request body must contain the following parameter: 'refresh_token'."
        raise OAuthFailure(400, "invalid_request", 900144, message)
    grant = emulator.state.refresh_grants.get(value)
    if grant is None or grant.client_id != app.client_id:
        raise OAuthFailure(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
    if grant.revoked:
        message = (
            "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might "
            "have changed or reset their password. The grant was issued on "
            f"'{grant.issued_at.isoformat()}' and the TokensValidFrom date (before which tokens are not valid) "
            "for this user is later."
        )
        raise OAuthFailure(400, "invalid_grant", 50173, message)
    inactive_days = (datetime.now(UTC) - grant.last_used_at).days
    if grant.expired or inactive_days >= REFRESH_LIFETIME_DAYS:
        message = (
            f"The refresh token has expired due to inactivity. The token was issued on "
            f"{grant.issued_at.isoformat()} and was inactive for {REFRESH_LIFETIME_DAYS}.00:00:00."
        )
        raise OAuthFailure(400, "invalid_grant", 700082, message)
    return grant


def _refresh_scopes(
    raw: str, grant: RefreshGrant, tenant: Tenant, app: AppRegistration, user: DirectoryUser
) -> list[str]:
    wanted = normalize_scopes(raw, app) if raw.strip() else list(grant.scopes)
    allowed = consented_scopes(tenant, app, user) | OIDC_SCOPES
    missing = [s for s in resource_scopes(wanted) if s.lower() not in allowed]
    if missing or not {s.lower() for s in resource_scopes(grant.scopes)} <= allowed:
        message = (
            f"The user or administrator has not consented to use the application with ID '{app.client_id}' "
            f"named '{app.display_name}'. Send an interactive authorization request for this user and resource."
        )
        raise OAuthFailure(400, "invalid_grant", 65001, message)
    return wanted


GRANTS: dict[str, Callable[[Host, Request, Tenant | None, AppRegistration], Response]] = {
    "client_credentials": _client_credentials_grant,
    "authorization_code": _authorization_code_grant,
    "refresh_token": _refresh_token_grant,
}


def register(router: Router) -> None:
    """The sign-in service's machine endpoints: discovery, keys, token; and its home page."""
    for path, methods, handler in (
        ("/<tenant>/v2.0/.well-known/openid-configuration", ["GET"], discovery),
        ("/<tenant>/.well-known/openid-configuration", ["GET"], discovery),
        ("/<tenant>/discovery/v2.0/keys", ["GET"], keys),
        ("/<tenant>/discovery/keys", ["GET"], keys),
        ("/<tenant>/oauth2/v2.0/token", ["POST"], token),
        ("/", ["GET"], home),
    ):
        router.add_page(path, methods, handler)
