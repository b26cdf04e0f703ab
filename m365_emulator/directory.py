"""Graph's directory surface: `/users` (paged, `$select`, `$filter`), `/users/{id|upn}`, `/me`, checkMemberGroups."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from m365_emulator.http import GraphCall, GraphError, graph_json
from m365_emulator.routing import Router
from m365_emulator.state import DirectoryUser, Tenant

DEFAULT_PAGE = 100
MAX_PAGE = 999
MAX_GROUP_IDS = 20
READ_ALL_ROLES = {"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
READ_ALL_SCOPES = {"User.ReadBasic.All", *READ_ALL_ROLES}
READ_SELF_SCOPES = {"User.Read", "User.ReadWrite", *READ_ALL_SCOPES}
GROUP_ROLES = {"GroupMember.Read.All", "Group.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"}

PROPERTIES: dict[str, Callable[[DirectoryUser, Tenant], Any]] = {
    "id": lambda u, t: u.id,
    "businessPhones": lambda u, t: [],
    "displayName": lambda u, t: u.display_name,
    "givenName": lambda u, t: u.given_name or None,
    "jobTitle": lambda u, t: u.job_title or None,
    "mail": lambda u, t: u.mail or None,
    "mobilePhone": lambda u, t: None,
    "officeLocation": lambda u, t: None,
    "preferredLanguage": lambda u, t: "en-US",
    "surname": lambda u, t: u.surname or None,
    "userPrincipalName": lambda u, t: u.user_principal_name,
    "accountEnabled": lambda u, t: u.account_enabled,
    "userType": lambda u, t: u.user_type,
    "mailNickname": lambda u, t: u.user_principal_name.split("@")[0],
    "companyName": lambda u, t: t.display_name if u.user_type == "Member" else None,
    "department": lambda u, t: None,
    "usageLocation": lambda u, t: None,
    "createdDateTime": lambda u, t: "2024-01-15T09:00:00Z",
}
DEFAULT_PROPERTIES = [
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
]
_CLAUSE = re.compile(r"^\s*(\w+)\s+(eq|ne)\s+(true|false|'(?:[^']|'')*')\s*$", re.IGNORECASE)
_STARTSWITH = re.compile(r"^\s*startswith\(\s*(\w+)\s*,\s*'((?:[^']|'')*)'\s*\)\s*$", re.IGNORECASE)
FILTERABLE = {"accountEnabled", "userType", "mail", "userPrincipalName", "id", "displayName", "givenName", "surname"}


def _denied() -> GraphError:
    return GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


def _require_read_all(call: GraphCall) -> None:
    if call.token_kind == "app":
        if not call.roles & READ_ALL_ROLES:
            raise _denied()
    elif not call.scopes & READ_ALL_SCOPES or (call.caller and call.caller.user_type == "Guest"):
        raise _denied()


def _render(user: DirectoryUser, tenant: Tenant, selected: list[str]) -> dict[str, Any]:
    return {name: PROPERTIES[name](user, tenant) for name in selected}


def _selected(call: GraphCall) -> list[str]:
    raw = call.request.args.get("$select")
    if not raw:
        return DEFAULT_PROPERTIES
    names = [part.strip() for part in raw.split(",") if part.strip()]
    by_lower = {name.lower(): name for name in PROPERTIES}
    for name in names:
        if name.lower() not in by_lower:
            message = f"Could not find a property named '{name}' on type 'microsoft.graph.user'."
            raise GraphError(400, "Request_BadRequest", message)
    return [by_lower[name.lower()] for name in names]


def _context(call: GraphCall, selected: list[str], entity: str) -> str:
    root = call.request.host_url.rstrip("/") + "/v1.0/$metadata#users"
    if call.request.args.get("$select"):
        root += "(" + ",".join(selected) + ")"
    return root + entity


# -- GET /users ----------------------------------------------------------------------------------------


def list_users(call: GraphCall) -> Response:
    _require_read_all(call)
    selected = _selected(call)
    top = _page_size(call.request.args.get("$top"))
    predicate = _filter(call)
    offset = _offset(call.request.args.get("$skiptoken"))
    with call.state.lock:
        everyone = [u for u in call.tenant.users.values() if predicate(u)]
    page = everyone[offset : offset + top]
    body: dict[str, Any] = {"@odata.context": _context(call, selected, "")}
    if offset == 0 and _wants_count(call):
        body["@odata.count"] = len(everyone)
    if offset + top < len(everyone):
        body["@odata.nextLink"] = _next_link(call, offset + top)
    body["value"] = [_render(user, call.tenant, selected) for user in page]
    return graph_json(200, body, request_id=call.request_id)


def _page_size(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PAGE
    if not raw.strip().isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        message = f"Invalid page size specified: '{raw}'. Must be between 1 and {MAX_PAGE} inclusive."
        raise GraphError(400, "Request_BadRequest", message)
    return int(raw)


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        padded = token + "=" * (-len(token) % 4)
        return int(json.loads(base64.urlsafe_b64decode(padded))["o"])
    except (ValueError, KeyError, TypeError):
        raise GraphError(
            400, "Request_BadRequest", "The specified page token value has expired or is invalid."
        ) from None


def _next_link(call: GraphCall, offset: int) -> str:
    token = base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).rstrip(b"=").decode()
    params = [(k, v) for k, v in call.request.args.items(multi=True) if k != "$skiptoken"]
    params.append(("$skiptoken", token))
    return f"{call.request.host_url.rstrip('/')}{call.request.path}?{urlencode(params, safe='$,')}"


def _wants_count(call: GraphCall) -> bool:
    return call.request.args.get("$count", "").lower() == "true" and _advanced(call)


def _advanced(call: GraphCall) -> bool:
    return call.request.headers.get("ConsistencyLevel", "").lower() == "eventual"


def _filter(call: GraphCall) -> Callable[[DirectoryUser], bool]:
    raw = call.request.args.get("$filter")
    if not raw:
        return lambda user: True
    advanced = _advanced(call) and call.request.args.get("$count", "").lower() == "true"
    tests = [_clause(part, advanced) for part in re.split(r"\s+and\s+", raw.strip(), flags=re.IGNORECASE)]
    return lambda user: all(test(user) for test in tests)


def _clause(text: str, advanced: bool) -> Callable[[DirectoryUser], bool]:
    starts = _STARTSWITH.match(text)
    if starts:
        name, prefix = _property(starts.group(1)), starts.group(2).replace("''", "'").lower()
        return lambda user: str(_value(user, name) or "").lower().startswith(prefix)
    match = _CLAUSE.match(text)
    if not match:
        raise GraphError(400, "Request_UnsupportedQuery", f"Unsupported or invalid query filter clause: {text}")
    name, operator, literal = _property(match.group(1)), match.group(2).lower(), match.group(3)
    if operator == "ne" and not advanced:
        message = f"Unsupported or invalid query filter clause specified for property '{name}' of resource 'User'."
        raise GraphError(400, "Request_UnsupportedQuery", message)
    wanted = _literal(literal)
    if operator == "eq":
        return lambda user: _equal(_value(user, name), wanted)
    return lambda user: not _equal(_value(user, name), wanted)


def _property(name: str) -> str:
    by_lower = {p.lower(): p for p in FILTERABLE}
    if name.lower() not in by_lower:
        message = f"Unsupported or invalid query filter clause specified for property '{name}' of resource 'User'."
        raise GraphError(400, "Request_UnsupportedQuery", message)
    return by_lower[name.lower()]


def _literal(text: str) -> bool | str:
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text[1:-1].replace("''", "'")


def _value(user: DirectoryUser, name: str) -> Any:
    return PROPERTIES[name](user, Tenant(id="", display_name="", domains=[]))


def _equal(value: Any, wanted: bool | str) -> bool:
    if isinstance(wanted, bool):
        return value is wanted
    return str(value or "").lower() == wanted.lower()


# -- GET /users/{id|upn}, GET /me ----------------------------------------------------------------------


def get_user(call: GraphCall, user: str) -> Response:
    found = call.tenant.user_by_address(user)
    is_self = call.caller is not None and found is not None and found.id == call.caller.id
    if is_self:
        _require_self(call)
    else:
        _require_read_all(call)
    if found is None:
        message = f"Resource '{user}' does not exist or one of its queried reference-property objects are not present."
        raise GraphError(404, "Request_ResourceNotFound", message)
    return _one(call, found)


def get_me(call: GraphCall) -> Response:
    if call.caller is None:
        raise GraphError(400, "Request_BadRequest", "/me request is only valid with delegated authentication flow.")
    _require_self(call)
    return _one(call, call.caller)


def _require_self(call: GraphCall) -> None:
    if call.token_kind != "app" and not call.scopes & READ_SELF_SCOPES:
        raise _denied()


def _one(call: GraphCall, user: DirectoryUser) -> Response:
    selected = _selected(call)
    body = {"@odata.context": _context(call, selected, "/$entity"), **_render(user, call.tenant, selected)}
    return graph_json(200, body, request_id=call.request_id)


# -- checkMemberGroups ---------------------------------------------------------------------------------


def check_member_groups(call: GraphCall, user: str = "me") -> Response:
    target = _member(call, user)
    if call.token_kind == "app" and not (call.roles & READ_ALL_ROLES and call.roles & GROUP_ROLES):
        raise _denied()
    if call.token_kind == "delegated" and not call.scopes & (READ_SELF_SCOPES | GROUP_ROLES):
        raise _denied()
    wanted = call.json().get("groupIds")
    if not isinstance(wanted, list) or not all(isinstance(item, str) for item in wanted):
        raise GraphError(400, "Request_BadRequest", "Invalid request: groupIds must be an array of strings.")
    if len(wanted) > MAX_GROUP_IDS:
        message = f"The number of group ids ({len(wanted)}) exceeds the limit of {MAX_GROUP_IDS}."
        raise GraphError(400, "Request_BadRequest", message)
    body = {
        "@odata.context": call.request.host_url.rstrip("/") + "/v1.0/$metadata#Collection(Edm.String)",
        "value": [group for group in wanted if group in call.tenant.groups_of(target)],
    }
    return graph_json(200, body, request_id=call.request_id)


def _member(call: GraphCall, user: str) -> DirectoryUser:
    if user.lower() == "me":
        if call.caller is None:
            raise GraphError(400, "Request_BadRequest", "/me request is only valid with delegated authentication flow.")
        return call.caller
    found = call.tenant.user_by_address(user)
    if found is None:
        message = f"Resource '{user}' does not exist or one of its queried reference-property objects are not present."
        raise GraphError(404, "Request_ResourceNotFound", message)
    return found


def check_my_groups(call: GraphCall) -> Response:
    return check_member_groups(call, "me")


ROUTES: list[tuple[str, str, Callable[..., Response]]] = [
    ("GET", "/users", list_users),
    ("GET", "/users/<user>", get_user),
    ("GET", "/me", get_me),
    ("POST", "/users/<user>/checkMemberGroups", check_member_groups),
    ("POST", "/me/checkMemberGroups", check_my_groups),
]


def register(router: Router) -> None:
    router.add_graphs(ROUTES)
