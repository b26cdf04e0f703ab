"""The control API under `/_emulator/`, apart from the Graph surface. JSON in, JSON out.

`<tenant>` is a tenant GUID or verified domain; `<user>` an object id, UPN or mail address.

GET  /_emulator/health
    {"ok": true, "fixture", "seed"}.
GET  /_emulator/tenants
    Every tenant: id, displayName, domains, groups, consented apps, access policy, and its users
    (id, userPrincipalName, mail, displayName, accountEnabled, userType, directoryRoles, isAdmin, groups);
    isAdmin: one of the person's directory roles may grant tenant-wide admin consent. The demo's roles: Adele
    Vance and Fabrikam's Diego Siciliani are Global Administrators, Nestor Wilke Privileged Role Administrator
    (these may grant any consent); Allan Deyoung Cloud Application Administrator, Henrietta Mueller Application
    Administrator (these may grant consent, but not to Microsoft Graph's application permissions); Joni Sherman
    is User Administrator, a role that may not. Everyone else holds no role.
POST /_emulator/reset                                   {"fixture"?: "demo"|"minimal", "seed"?: int}
    A fresh world (also re-seeds calendars); retires every token, code, session, throttle rule, latency
    setting and token-lifetime setting, and empties the request log (sequence numbers keep growing).
POST /_emulator/fixture                                 {"name": "demo"|"minimal", "seed"?: int}
    Load a fixture; the same as reset with that fixture.
POST /_emulator/tenants/<tenant>/consent                {"client_id", "granted": bool}
    Grant admin consent (app permissions, and the delegated ones for every user), or revoke it as an admin
    does by removing the app from the tenant: then every user's consent goes too, and client credentials
    get AADSTS700016 again.
POST /_emulator/tenants/<tenant>/users/<user>/consent   {"client_id", "scopes": [..] | "a b c", "granted": bool}
    Grant (add) or revoke (all) one user's delegated consent; the app stays in the tenant either way.
POST /_emulator/tenants/<tenant>/users/<user>/revoke-sessions
    An admin's "revoke sessions": the user's refresh tokens fail with AADSTS50173; browser sessions end.
POST /_emulator/tenants/<tenant>/users/<user>/refresh-tokens/expire
    The user's refresh tokens expire as if unused for 90 days (AADSTS700082).
POST /_emulator/tenants/<tenant>/access-policy          {"client_id", "group": <group id or mail> | null}
    Restrict the app's app-only access to one mail-enabled security group (null lifts it).
POST /_emulator/tenants/<tenant>/users                  {"user"?: <id|upn>, "userPrincipalName"?, "displayName"?,
                                                         "givenName"?, "surname"?, "jobTitle"?, "mail"?, "id"?,
                                                         "accountEnabled"?, "userType"?, "hasMailbox"?,
                                                         "mailboxTimeZone"?, "groups"?: [<group id or mail>],
                                                         "directoryRoles"?: [<role template id or name>],
                                                         "isAdmin"?: bool}
    Add a person, or patch one named by "user" (or by an existing id or userPrincipalName): disable, rename,
    change "mail" (Entra never verifies it; ID tokens then carry the new `email`), move between groups, assign
    directory roles (template ids, e.g. 62e90394-69f5-4237-9190-012177145e10, or names: "Global Administrator",
    "Privileged Role Administrator", "Cloud Application Administrator", "Application Administrator",
    "User Administrator"; the list replaces the person's roles). "isAdmin" is a shorthand: true adds Global
    Administrator, false drops every role that may grant consent. A new person gets a new object id if one
    with the same userPrincipalName was deleted before. Answers the person as GET /_emulator/tenants lists them.
DELETE /_emulator/tenants/<tenant>/users/<user>[?permanent=true]
    Remove a person from the directory: their consents go, their refresh tokens fail (AADSTS50034).
    `/users/delta` then reports them `@removed` with reason "changed" (soft-deleted, in the recycle bin), or
    "deleted" with permanent=true.
POST /_emulator/tenants/<tenant>/users/<user>/recreate  {same optional fields as above}
    Delete the person and create a new one with the same userPrincipalName, mail, profile and groups, but a
    new object id and no directory roles (as an admin who deletes and re-creates an account in Entra).
    Answers {"previousId", "user"}.
POST /_emulator/tenants/<tenant>/crowd                  {"count": int (1..200000), "seed"?: int (1)}
    Add `count` generated people to the tenant, the same for the same seed (calling again adds more, numbered
    on): names first.lastN@<default domain>, spread over eight time zones (mailboxSettings and working hours,
    some with other hours or a Sunday-Thursday week), about 2% disabled accounts and 1% guests, each in one of
    12 department groups nested in 4 divisions nested in "All crowd" (checkMemberGroups and the access policy
    resolve the nesting), most in "Overlap users"; about one in ten gets a few meetings in the coming weeks,
    the others an empty calendar. 100,000 people take a few seconds. Answers {"ok", "added", "users",
    "guests", "disabled", "first"}: "first" is the first added person's userPrincipalName.
POST /_emulator/tenants/<tenant>/crowd/changes          {"count": int, "seed"?: int, "kinds"?: ["rename",
                                                         "disable", "enable", "delete", "add"]}
    `count` changes among the crowd's people, spread over the kinds (default all five), the same for the same
    seed and state: a rename changes displayName and surname, a delete is a soft delete. Every change feeds
    `/users/delta`. Answers {"ok", "renamed", "disabled", "enabled", "deleted", "added"} (userPrincipalNames).
POST /_emulator/tenants/<tenant>/delta-tokens/expire
    Every `/users/delta` token (deltaLink or nextLink) issued so far for the tenant is refused from now on with
    400 syncStateNotFound, as Graph answers a delta link older than 7 days: the caller must sync in full again.
Every change to a person made through this API (add, patch, delete, re-create, crowd, changes) is what a
later `GET /users/delta` with an earlier deltaLink reports (see directory_delta.py).
GET  /_emulator/apps
    Every app registration: clientId, displayName, redirectUris, applicationPermissions, delegatedPermissions,
    groupMembershipClaims.
POST /_emulator/apps/<client_id>/group-membership-claims  {"value": "None" | "SecurityGroup" | "DirectoryRole" |
                                                           "ApplicationGroup" | "All" | "A, B" | null}
    The manifest's groupMembershipClaims. ID tokens carry `wids` (the person's directory role template ids,
    and the default member role b79fbf4d-3ef9-4689-8143-76b194e85509 for members) only with "DirectoryRole"
    or "All", and `groups` (security group ids) only with "SecurityGroup" or "All". The demo app starts with
    "DirectoryRole", as the README tells a real admin to set it.
POST /_emulator/apps/<client_id>/redirect-uris          {"add"?: [uri], "remove"?: [uri]}
    Change the app's registered redirect URIs (`*` after a colon: any port; elsewhere: any path). The demo app
    starts with http://127.0.0.1:*/ and http://localhost:*/ under /integrations/microsoft/ and
    /accounts/microsoft/login/callback/.
POST /_emulator/throttle   {"tenant"?, "mailbox"?: <address> | [..], "retry_after"?: float (1.0),
                            "count"?: int, "rate"?: int, "window"?: float seconds (600), "concurrency"?: int,
                            "status"?: 429 | 500 | 502 | 503 | 504, "clear"?: bool}
    "count": the next N matching Graph calls get 429 TooManyRequests with Retry-After. "rate": at most that
    many calls per window per app and mailbox. "concurrency": in-flight calls per app and mailbox (default 4).
    "clear": drop every rule first (alone, it only clears; also the peaks below).
    "status" (with "count"): 503, 504, 500 or 502 instead of 429, to model an outage (Retry-After is sent
    only when "retry_after" is given).
GET  /_emulator/throttle
    {"peak_in_flight": {mailbox: n}}: the most Graph calls in flight at once per mailbox (keyed by its object
    id; an unknown address as named, lowercased) since the last reset or clear; $batch sub-requests count.
POST /_emulator/lost-replies  {"count": int, "mailbox"?: <address>}
    The next `count` event creates (POST .../events) in that mailbox (any mailbox without "mailbox") succeed:
    the event and the attendees' copies stand, as Exchange made them; but the reply is lost on the way and the
    caller gets 504 GatewayTimeout (the log records 504 with the created event's id in response_ids).
    Answers {"ok", "pending": {mailbox id or "*": count left}, "lost": replies lost since the reset}.
    A count of 0 with "mailbox" drops that mailbox's pending count; reset drops them all.
POST /_emulator/latency    {"ms"?: number, "reply_ms"?: number}
    "ms": delay every Graph request by that many milliseconds before it takes effect (0 turns it off).
    "reply_ms": delay every Graph reply by that many milliseconds after its request took effect and was logged
    (an event created stands, and the log shows it, while the caller still waits). Each is kept when not given.
POST /_emulator/unreachable  {"seconds": number}
    Microsoft cannot be reached for that many seconds from now (0 ends it at once): every request but this
    control API's (Graph, sign-in, tokens) is dropped before it is read, the connection closed with no answer,
    as a caller meets a host it cannot reach. Answers {"ok", "unreachable", "seconds_left", "dropped"}.
GET  /_emulator/unreachable
    {"unreachable": bool, "seconds_left", "dropped": requests dropped since the last reset}.
POST /_emulator/token-lifetime  {"seconds": int | null}
    Lifetime of access tokens issued from now on (null: Entra's default, random 60 to 90 minutes).
POST /_emulator/access-tokens/expire
    Every access token issued so far expires now, wherever it is (a cache, a request in flight):
    Graph answers 401 InvalidAuthenticationToken "Lifetime validation failed, the token is expired."; tokens
    issued from this instant on are good. Answers {"ok", "expired_before": epoch seconds}.
GET  /_emulator/log?since=<seq>
    {"entries": [{seq, time, method, path, query, body, status, tenant, token_kind, user, app, mailbox,
    request_id, client_request_id, batch, response_ids, response_ical_uids}], "last_seq", "first_seq", "dropped",
    "complete"};
    secrets in form bodies are masked. `query` maps each parameter to every value sent, in order.
    `response_ids` / `response_ical_uids`: the ids of the events the response carried (created, read, updated,
    listed). The log keeps the newest 50,000 entries: "first_seq" is the oldest kept, "dropped" how many were
    forgotten since the last reset, "complete" false when an entry after `since` was forgotten.
The calendar part adds its own endpoints (answer an invitation, move or cancel an event) under the same root, and
the rooms theirs (list a tenant's rooms, book one in Outlook, set a policy, grant Place.Read.All): rooms_control.py.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from m365_emulator.fixtures import UnknownFixture, stable_id
from m365_emulator.state import (
    CONSENT_ROLES,
    GLOBAL_ADMINISTRATOR,
    GROUP_CLAIM_VALUES,
    ROLE_NAMES,
    AppRegistration,
    DirectoryUser,
    Tenant,
    new_id,
)
from m365_emulator.throttle import OUTAGES, Rule

if TYPE_CHECKING:
    from m365_emulator.host import Host
    from m365_emulator.routing import Router


_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def reply(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def problem(status: int, message: str) -> Response:
    return reply({"error": message}, status)


def _body(request: Request) -> dict[str, Any]:
    raw = request.get_data()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise ControlError(400, "The body must be JSON.") from None
    if not isinstance(body, dict):
        raise ControlError(400, "The body must be a JSON object.")
    return body


def _tenant(emulator: Host, key: str) -> Tenant:
    tenant = emulator.tenant(key)
    if tenant is None:
        raise ControlError(404, f"No tenant {key!r}.")
    return tenant


def _user(tenant: Tenant, key: str) -> DirectoryUser:
    user = tenant.user_by_address(key)
    if user is None:
        raise ControlError(404, f"No user {key!r} in {tenant.display_name}.")
    return user


def _client_id(emulator: Host, body: dict[str, Any]) -> str:
    client_id = str(body.get("client_id") or "")
    if client_id not in emulator.state.apps:
        raise ControlError(400, f"Unknown client_id {client_id!r}.")
    return client_id


# -- the world -----------------------------------------------------------------------------------------


def health(emulator: Host, request: Request) -> Response:
    return reply({"ok": True, "fixture": emulator.fixture, "seed": emulator.seed})


def reset(emulator: Host, request: Request) -> Response:
    body = _body(request)
    return _load(emulator, body.get("fixture"), body.get("seed"))


def load_fixture(emulator: Host, request: Request) -> Response:
    body = _body(request)
    if not body.get("name"):
        raise ControlError(400, "Name the fixture to load.")
    return _load(emulator, body["name"], body.get("seed"))


def _load(emulator: Host, fixture: Any, seed: Any) -> Response:
    if seed is not None and not isinstance(seed, int):
        raise ControlError(400, "seed must be a whole number.")
    try:
        emulator.reset(fixture=str(fixture) if fixture else None, seed=seed)
    except UnknownFixture as error:
        raise ControlError(400, str(error)) from None
    return reply({"ok": True, "fixture": emulator.fixture, "seed": emulator.seed, "tenants": _tenants(emulator)})


def tenants(emulator: Host, request: Request) -> Response:
    return reply({"tenants": _tenants(emulator)})


def _tenants(emulator: Host) -> list[dict[str, Any]]:
    with emulator.state.lock:
        return [_describe_tenant(tenant) for tenant in emulator.state.tenants.values()]


def _describe_tenant(tenant: Tenant) -> dict[str, Any]:
    return {
        "id": tenant.id,
        "displayName": tenant.display_name,
        "domains": list(tenant.domains),
        "groups": [{"id": g.id, "displayName": g.display_name, "mail": g.mail} for g in tenant.groups.values()],
        "adminConsentedApps": sorted(tenant.admin_consented_apps),
        "extraPermissions": {client: sorted(names) for client, names in tenant.extra_permissions.items()},
        "servicePrincipals": sorted(tenant.service_principals),
        "accessPolicy": dict(tenant.access_policy_group),
        "users": [describe_user(user) for user in tenant.users.values()],
    }


def describe_user(user: DirectoryUser) -> dict[str, Any]:
    return {
        "id": user.id,
        "userPrincipalName": user.user_principal_name,
        "mail": user.mail,
        "displayName": user.display_name,
        "accountEnabled": user.account_enabled,
        "userType": user.user_type,
        "isAdmin": user.is_admin,
        "directoryRoles": sorted(user.directory_roles),
        "hasMailbox": user.has_mailbox,
        "mailboxTimeZone": user.mailbox_time_zone,
        "groups": sorted(user.group_ids),
    }


# -- consent and sessions ------------------------------------------------------------------------------


def admin_consent(emulator: Host, request: Request, tenant: str) -> Response:
    body = _body(request)
    found, client_id = _tenant(emulator, tenant), _client_id(emulator, body)
    if not isinstance(body.get("granted"), bool):
        raise ControlError(400, "granted must be true or false.")
    with emulator.state.lock:
        if body["granted"]:
            found.admin_consented_apps.add(client_id)
            found.service_principals.add(client_id)
        else:
            _remove_app(found, client_id)
    return reply({"ok": True, "granted": client_id in found.admin_consented_apps})


def _remove_app(tenant: Tenant, client_id: str) -> None:
    """An admin removes the app from the tenant: its admin consent and every user's consent go with it."""
    tenant.admin_consented_apps.discard(client_id)
    tenant.service_principals.discard(client_id)
    tenant.extra_permissions.pop(client_id, None)
    for key in [key for key in tenant.user_consents if key[0] == client_id]:
        del tenant.user_consents[key]


def user_consent(emulator: Host, request: Request, tenant: str, user: str) -> Response:
    body = _body(request)
    found = _tenant(emulator, tenant)
    person, client_id = _user(found, user), _client_id(emulator, body)
    raw = body.get("scopes") or []
    scopes = set(raw.split() if isinstance(raw, str) else [str(s) for s in raw])
    with emulator.state.lock:
        key = (client_id, person.id)
        if body.get("granted", True):
            found.user_consents[key] = found.user_consents.get(key, set()) | scopes
            found.service_principals.add(client_id)
        else:
            found.user_consents.pop(key, None)
        granted = sorted(found.user_consents.get(key, set()))
    return reply({"ok": True, "scopes": granted})


def revoke_sessions(emulator: Host, request: Request, tenant: str, user: str) -> Response:
    person = _user(_tenant(emulator, tenant), user)
    count = _mark_grants(emulator, person.id, revoked=True)
    emulator.identity.end_sessions_of(person.id)
    return reply({"ok": True, "refresh_tokens": count})


def expire_refresh_tokens(emulator: Host, request: Request, tenant: str, user: str) -> Response:
    person = _user(_tenant(emulator, tenant), user)
    return reply({"ok": True, "refresh_tokens": _mark_grants(emulator, person.id, expired=True)})


def _mark_grants(emulator: Host, user_id: str, *, revoked: bool = False, expired: bool = False) -> int:
    with emulator.state.lock:
        grants = [g for g in emulator.state.refresh_grants.values() if g.user_id == user_id]
        for grant in grants:
            grant.revoked = grant.revoked or revoked
            grant.expired = grant.expired or expired
    return len(grants)


def access_policy(emulator: Host, request: Request, tenant: str) -> Response:
    body = _body(request)
    found, client_id = _tenant(emulator, tenant), _client_id(emulator, body)
    group_key = body.get("group")
    with emulator.state.lock:
        if group_key is None:
            found.access_policy_group.pop(client_id, None)
            return reply({"ok": True, "group": None})
        group = _group(found, str(group_key))
        found.access_policy_group[client_id] = group
    return reply({"ok": True, "group": group})


def _group(tenant: Tenant, key: str) -> str:
    for group in tenant.groups.values():
        if key.lower() in (group.id.lower(), group.mail.lower()):
            if not (group.mail_enabled and group.security_enabled):
                raise ControlError(400, f"{group.display_name} is not a mail-enabled security group.")
            return group.id
    raise ControlError(404, f"No group {key!r} in {tenant.display_name}.")


# -- the directory -------------------------------------------------------------------------------------

_USER_FIELDS = {
    "userPrincipalName": "user_principal_name",
    "mail": "mail",
    "displayName": "display_name",
    "givenName": "given_name",
    "surname": "surname",
    "jobTitle": "job_title",
    "accountEnabled": "account_enabled",
    "userType": "user_type",
    "hasMailbox": "has_mailbox",
    "mailboxTimeZone": "mailbox_time_zone",
}


def upsert_user(emulator: Host, request: Request, tenant: str) -> Response:
    body = _body(request)
    found = _tenant(emulator, tenant)
    with emulator.state.lock:
        person = _existing(found, body)
        created = person is None
        person = person or _new_user(found, body)
        changed = _patch(found, person, body)
        found.users[person.id] = person
        if created or changed:
            found.changes.touch(person.id, None if created else changed)
    return reply({"ok": True, "created": created, "user": describe_user(person)}, 201 if created else 200)


def _existing(tenant: Tenant, body: dict[str, Any]) -> DirectoryUser | None:
    if body.get("user"):
        return _user(tenant, str(body["user"]))
    for key in ("id", "userPrincipalName"):
        if body.get(key):
            person = tenant.user_by_address(str(body[key]))
            if person is not None:
                return person
    return None


def _new_user(tenant: Tenant, body: dict[str, Any]) -> DirectoryUser:
    upn = str(body.get("userPrincipalName") or "")
    if "@" not in upn or not body.get("displayName"):
        raise ControlError(400, "A new person needs a userPrincipalName and a displayName.")
    fixed = stable_id("user", upn)
    # A person made again after a deletion is a new object, as in Entra: never the old object id.
    fresh = new_id() if fixed in tenant.deleted_user_ids else fixed
    return DirectoryUser(
        id=str(body.get("id") or fresh),
        user_principal_name=upn,
        mail=str(body.get("mail") or upn),
        display_name=str(body["displayName"]),
    )


def _patch(tenant: Tenant, person: DirectoryUser, body: dict[str, Any]) -> list[str]:
    """Apply the body's fields; the names of the directory properties that changed (for `/users/delta`)."""
    changed = []
    for key, attribute in _USER_FIELDS.items():
        if key in body and getattr(person, attribute) != body[key]:
            setattr(person, attribute, body[key])
            changed.append(key)
    if "groups" in body:
        person.group_ids = {_any_group(tenant, str(key)) for key in body["groups"] or []}
    if "directoryRoles" in body:
        person.directory_roles = _roles(body["directoryRoles"])
    if "isAdmin" in body:
        person.directory_roles = _with_admin(person.directory_roles, bool(body["isAdmin"]))
    return changed


def _roles(value: Any) -> set[str]:
    """Role template ids, or Entra's role names ("Global Administrator") for the roles the emulator knows."""
    if not isinstance(value, list):
        raise ControlError(400, "directoryRoles must be a list of role template ids or names.")
    by_name = {name.lower(): role for role, name in ROLE_NAMES.items()}
    roles = set()
    for item in value:
        role = by_name.get(str(item).lower(), str(item).lower())
        if not _GUID.match(role):
            raise ControlError(400, f"Unknown directory role {item!r}: give a role template id or a known name.")
        roles.add(role)
    return roles


def _with_admin(roles: set[str], admin: bool) -> set[str]:
    """The shorthand isAdmin: true adds Global Administrator, false drops every role that may grant consent."""
    if admin:
        return roles if roles & CONSENT_ROLES else roles | {GLOBAL_ADMINISTRATOR}
    return roles - CONSENT_ROLES


def _any_group(tenant: Tenant, key: str) -> str:
    for group in tenant.groups.values():
        if key.lower() in (group.id.lower(), group.mail.lower(), group.display_name.lower()):
            return group.id
    raise ControlError(404, f"No group {key!r} in {tenant.display_name}.")


def delete_user(emulator: Host, request: Request, tenant: str, user: str) -> Response:
    found = _tenant(emulator, tenant)
    with emulator.state.lock:
        person = _user(found, user)
        _remove_user(emulator, found, person, permanent=request.args.get("permanent", "").lower() == "true")
    return reply({"ok": True})


def _remove_user(emulator: Host, tenant: Tenant, person: DirectoryUser, *, permanent: bool = False) -> None:
    """Gone from the directory: their consents go, their refresh tokens and sessions stop working."""
    del tenant.users[person.id]
    tenant.deleted_user_ids.add(person.id)
    tenant.changes.remove(person.id, "deleted" if permanent else "changed")
    for key in [key for key in tenant.user_consents if key[1] == person.id]:
        del tenant.user_consents[key]
    emulator.identity.end_sessions_of(person.id)


def recreate_user(emulator: Host, request: Request, tenant: str, user: str) -> Response:
    """Delete a person and create a new one with the same addresses and profile, under a new object id."""
    body = _body(request)
    found = _tenant(emulator, tenant)
    with emulator.state.lock:
        old = _user(found, user)
        _remove_user(emulator, found, old)
        person = replace(old, id=new_id(), directory_roles=set(), group_ids=set(old.group_ids))
        _patch(found, person, body)
        found.users[person.id] = person
        found.changes.touch(person.id)
    return reply({"ok": True, "previousId": old.id, "user": describe_user(person)}, 201)


def apps(emulator: Host, request: Request) -> Response:
    with emulator.state.lock:
        return reply({"apps": [_describe_app(app) for app in emulator.state.apps.values()]})


def _describe_app(app: AppRegistration) -> dict[str, Any]:
    return {
        "clientId": app.client_id,
        "displayName": app.display_name,
        "redirectUris": list(app.redirect_uris),
        "applicationPermissions": list(app.application_permissions),
        "delegatedPermissions": list(app.delegated_permissions),
        "optionalPermissions": list(app.optional_permissions),
        "groupMembershipClaims": app.group_membership_claims,
    }


def _app(emulator: Host, client_id: str) -> AppRegistration:
    app = emulator.state.apps.get(client_id)
    if app is None:
        raise ControlError(404, f"No app {client_id!r}.")
    return app


def group_membership_claims(emulator: Host, request: Request, client_id: str) -> Response:
    app = _app(emulator, client_id)
    value = _group_claims_value(_body(request).get("value"))
    with emulator.state.lock:
        app.group_membership_claims = value
    return reply({"ok": True, "groupMembershipClaims": value})


def _group_claims_value(raw: Any) -> str:
    """ "None", one of Entra's values, or several joined by commas ("SecurityGroup, DirectoryRole")."""
    if raw is None:
        return "None"
    known = {value.lower(): value for value in GROUP_CLAIM_VALUES}
    items = [item.strip() for item in str(raw).split(",") if item.strip()] if isinstance(raw, str) else []
    if not items or any(item.lower() not in known for item in items):
        raise ControlError(400, f"value must be null or among {', '.join(GROUP_CLAIM_VALUES)} (comma-separated).")
    return ", ".join(known[item.lower()] for item in items)


def redirect_uris(emulator: Host, request: Request, client_id: str) -> Response:
    body = _body(request)
    app = _app(emulator, client_id)
    added, removed = body.get("add") or [], body.get("remove") or []
    if not all(isinstance(uri, str) and "://" in uri for uri in [*added, *removed]):
        raise ControlError(400, "add and remove must be lists of absolute URIs.")
    with emulator.state.lock:
        app.redirect_uris = [uri for uri in app.redirect_uris if uri not in removed]
        app.redirect_uris += [uri for uri in added if uri not in app.redirect_uris]
    return reply({"ok": True, "redirect_uris": list(app.redirect_uris)})


# -- throttling, latency, token lifetime, log ----------------------------------------------------------


def throttle(emulator: Host, request: Request) -> Response:
    body = _body(request)
    if body.get("clear"):
        emulator.throttler.clear()
    if any(body.get(key) for key in ("count", "rate", "concurrency")):
        emulator.throttler.add(_rule(emulator, body))
    return reply({"ok": True, "rules": len(emulator.throttler.rules)})


def throttle_peaks(emulator: Host, request: Request) -> Response:
    return reply({"peak_in_flight": emulator.throttler.peaks()})


def _rule(emulator: Host, body: dict[str, Any]) -> Rule:
    tenant = _tenant(emulator, str(body["tenant"])) if body.get("tenant") else None
    mailboxes = body.get("mailbox") or []
    mailboxes = [mailboxes] if isinstance(mailboxes, str) else list(mailboxes)
    ids = frozenset(_mailbox_id(emulator, tenant, str(m)) for m in mailboxes)
    try:
        return Rule(
            tenant_id=tenant.id if tenant else None,
            mailbox_ids=ids,
            retry_after=float(body["retry_after"]) if "retry_after" in body else _default_retry(body),
            count=int(body["count"]) if body.get("count") else None,
            rate=int(body["rate"]) if body.get("rate") else None,
            window=float(body.get("window", 600.0)),
            concurrency=int(body["concurrency"]) if body.get("concurrency") else None,
            status=_status(body.get("status", 429)),
        )
    except (TypeError, ValueError):
        raise ControlError(400, "retry_after, count, rate, window and concurrency must be numbers.") from None


def _default_retry(body: dict[str, Any]) -> float | None:
    return 1.0 if body.get("status", 429) == 429 else None


def _status(value: Any) -> int:
    if value not in (429, *OUTAGES):
        raise ControlError(400, f"status must be 429 or one of {sorted(OUTAGES)}.")
    return int(value)


def _mailbox_id(emulator: Host, tenant: Tenant | None, address: str) -> str:
    for candidate in [tenant] if tenant else list(emulator.state.tenants.values()):
        person = candidate.user_by_address(address) if candidate else None
        if person is not None:
            return person.id
    return address.lower()


def lost_replies(emulator: Host, request: Request) -> Response:
    body = _body(request)
    try:
        count = int(body.get("count", 0))
    except (TypeError, ValueError):
        raise ControlError(400, "count must be a whole number.") from None
    if count < 0:
        raise ControlError(400, "count must not be negative.")
    mailbox = _mailbox_id(emulator, None, str(body["mailbox"])) if body.get("mailbox") else None
    if count == 0:
        emulator.lost_replies.pending.pop(mailbox, None)
    else:
        emulator.lost_replies.add(mailbox, count)
    pending = {key or "*": left for key, left in emulator.lost_replies.pending.items() if left}
    return reply({"ok": True, "pending": pending, "lost": emulator.lost_replies.lost})


def latency(emulator: Host, request: Request) -> Response:
    body = _body(request)
    if not {"ms", "reply_ms"} & body.keys():
        body["ms"] = 0  # as before: an empty body turns the request latency off
    try:
        ms = max(float(body.get("ms", emulator.latency_ms)), 0.0)
        reply_ms = max(float(body.get("reply_ms", emulator.reply_ms)), 0.0)
    except (TypeError, ValueError):
        raise ControlError(400, "ms and reply_ms must be numbers.") from None
    emulator.latency_ms, emulator.reply_ms = ms, reply_ms
    return reply({"ok": True, "ms": emulator.latency_ms, "reply_ms": emulator.reply_ms})


def unreachable(emulator: Host, request: Request) -> Response:
    try:
        seconds = float(_body(request).get("seconds", 0))
    except (TypeError, ValueError):
        raise ControlError(400, "seconds must be a number.") from None
    if not 0 <= seconds <= 3600:
        raise ControlError(400, "seconds must be between 0 and 3600.")
    emulator.unreachable_until = time.monotonic() + seconds if seconds else 0.0
    return reply({"ok": True, **_reachability(emulator)})


def reachability(emulator: Host, request: Request) -> Response:
    return reply(_reachability(emulator))


def _reachability(emulator: Host) -> dict[str, Any]:
    left = max(emulator.unreachable_until - time.monotonic(), 0.0)
    return {
        "unreachable": emulator.unreachable(),
        "seconds_left": round(left, 3),
        "dropped": emulator.unreachable_dropped,
    }


def token_lifetime(emulator: Host, request: Request) -> Response:
    seconds = _body(request).get("seconds")
    if seconds is not None and (not isinstance(seconds, int) or seconds < 1):
        raise ControlError(400, "seconds must be a positive whole number or null.")
    emulator.token_lifetime = seconds
    return reply({"ok": True, "seconds": seconds})


def expire_access_tokens(emulator: Host, request: Request) -> Response:
    emulator.tokens_expired_before = time.time()  # tokens carry the instant they were issued (emu_issued)
    return reply({"ok": True, "expired_before": emulator.tokens_expired_before})


def read_log(emulator: Host, request: Request) -> Response:
    try:
        since = int(request.args.get("since", "0"))
    except ValueError:
        raise ControlError(400, "since must be a whole number.") from None
    entries = emulator.log.since(since)
    body = {"entries": entries, "last_seq": emulator.log.last_seq, **emulator.log.summary(since)}
    return reply({**body, "now": datetime.now(UTC).isoformat()})


ROUTES: list[tuple[str, str, Callable[..., Response]]] = [
    ("GET", "/health", health),
    ("GET", "/tenants", tenants),
    ("POST", "/reset", reset),
    ("POST", "/fixture", load_fixture),
    ("POST", "/tenants/<tenant>/consent", admin_consent),
    ("POST", "/tenants/<tenant>/users/<user>/consent", user_consent),
    ("POST", "/tenants/<tenant>/users/<user>/revoke-sessions", revoke_sessions),
    ("POST", "/tenants/<tenant>/users/<user>/refresh-tokens/expire", expire_refresh_tokens),
    ("POST", "/tenants/<tenant>/access-policy", access_policy),
    ("POST", "/tenants/<tenant>/users", upsert_user),
    ("DELETE", "/tenants/<tenant>/users/<user>", delete_user),
    ("POST", "/tenants/<tenant>/users/<user>/recreate", recreate_user),
    ("GET", "/apps", apps),
    ("POST", "/apps/<client_id>/group-membership-claims", group_membership_claims),
    ("POST", "/apps/<client_id>/redirect-uris", redirect_uris),
    ("POST", "/throttle", throttle),
    ("GET", "/throttle", throttle_peaks),
    ("POST", "/lost-replies", lost_replies),
    ("POST", "/latency", latency),
    ("POST", "/unreachable", unreachable),
    ("GET", "/unreachable", reachability),
    ("POST", "/token-lifetime", token_lifetime),
    ("POST", "/access-tokens/expire", expire_access_tokens),
    ("GET", "/log", read_log),
]


def register(router: Router) -> None:
    router.add_controls(ROUTES)
