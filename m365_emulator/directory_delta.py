"""Graph's delta query for users: `GET /users/delta` (and `/users/microsoft.graph.delta`, as the SDKs send it).

What it does, as Microsoft documents it (LEARN graph/api/user-delta, graph/delta-query-overview,
graph/delta-query-users; Microsoft 365 Developer Blog "Duration of change tracking tokens for identity and
education resources", 2020-07):
- The first call (no token) returns every user now in the directory, page by page: each page carries
  `@odata.nextLink` (a `$skiptoken`), even when its `value` is empty, until the last one, which carries
  `@odata.deltaLink` (a `$deltatoken`) instead; a page never carries both. Users deleted before the first call
  are not returned.
- Query parameters (`$select`) go on the first call only; Graph folds them into the links it returns, which the
  caller uses unchanged.
- Calling the deltaLink later returns only what changed since it was issued: a changed or new user with the
  selected properties (changed ones with their new value, the others with their current value), or, with the
  header `Prefer: return=minimal`, only the id and the selected properties that changed; a user who left the
  directory as `{"id", "@removed": {"reason": "changed"}}` (soft-deleted, restorable for 30 days) or
  `"reason": "deleted"` (deleted for good). It ends with a new deltaLink.
- `$deltatoken=latest` on the first call ("sync from now") answers no users, only a deltaLink for the state now.
- Delta links for identity resources live 7 days. An older (or unknown) one is answered with 400 and code
  `syncStateNotFound`, "The sync state generation is not found. The delta token is expired and data must be
  synchronized again.": the caller starts a full sync again. (Other workloads, such as Outlook's, answer 410
  Gone for the same situation; a client should treat both as "synchronize again".)

In the emulator every change made through the control API (add, patch, disable, rename, delete, re-create, the
crowd and its churn) is recorded in the tenant's `ChangeLog`; a delta token remembers the version it was issued
at. `POST /_emulator/tenants/<tenant>/delta-tokens/expire` makes every token issued so far unknown. Pages hold
200 users (`Prefer: odata.maxpagesize=N` asks for up to 999), in object id order.
"""

from __future__ import annotations

import base64
import json
import re
import time
from bisect import bisect_right
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from m365_emulator.directory import _render, _require_read_all, _selected
from m365_emulator.http import GraphCall, GraphError, graph_json
from m365_emulator.routing import Router
from m365_emulator.state import ChangeLog, Tenant

DELTA_PAGE = 200
MAX_DELTA_PAGE = 999
LIFETIME_SECONDS = 7 * 24 * 3600
EXPIRED_MESSAGE = (
    "The sync state generation is not found. The delta token is expired and data must be synchronized again."
)
_MAX_PAGE_SIZE = re.compile(r"odata\.maxpagesize\s*=\s*(\d+)", re.IGNORECASE)
_MINIMAL = re.compile(r"return\s*=\s*minimal", re.IGNORECASE)


def users_delta(call: GraphCall) -> Response:
    _require_read_all(call)
    args = call.request.args
    with call.state.lock:
        changes = call.tenant.changes
        if args.get("$skiptoken"):
            session = _decode(args["$skiptoken"], changes)
        elif args.get("$deltatoken") and args["$deltatoken"].lower() != "latest":
            issued = _decode(args["$deltatoken"], changes)
            session = {"v": issued["v"], "u": changes.version, "a": "", "s": issued["s"]}
        else:
            session = {"v": -1, "u": changes.version, "a": "", "s": _selected(call)}
            if args.get("$deltatoken", "").lower() == "latest":
                return _answer(call, session, [], done=True)
        return _page(call, session)


def _page(call: GraphCall, session: dict[str, Any]) -> Response:
    tenant, selected = call.tenant, list(session["s"])
    ids = _changed_ids(tenant, since=int(session["v"]), upto=int(session["u"]), after=str(session["a"]))
    size = _page_size(call)
    items = [_item(call, tenant, object_id, selected, since=int(session["v"])) for object_id in ids[:size]]
    if len(ids) > size:
        return _answer(call, {**session, "a": ids[size - 1]}, items, done=False)
    return _answer(call, session, items, done=True)


def _changed_ids(tenant: Tenant, *, since: int, upto: int, after: str) -> list[str]:
    """Object ids to report, in order: everyone now (first round) or whoever changed in (since, upto]."""
    changes = tenant.changes
    if since < 0:
        candidates: set[str] | list[str] = [i for i in tenant.users if changes.user_versions.get(i, 0) <= upto]
    else:
        start = bisect_right(changes.log, (since, "\uffff"))
        candidates = {object_id for version, object_id in changes.log[start:] if version <= upto}
        candidates = [i for i in candidates if since < _version(changes, tenant, i) <= upto]
    return sorted(i for i in candidates if i > after)


def _version(changes: ChangeLog, tenant: Tenant, object_id: str) -> int:
    if object_id in tenant.users:
        return changes.user_versions.get(object_id, 0)
    return changes.removed.get(object_id, (-1, ""))[0]


def _item(call: GraphCall, tenant: Tenant, object_id: str, selected: list[str], *, since: int) -> dict[str, Any]:
    user = tenant.users.get(object_id)
    if user is None:
        reason = tenant.changes.removed[object_id][1]
        return {"@odata.type": "#microsoft.graph.user", "id": object_id, "@removed": {"reason": reason}}
    rendered = _render(user, tenant, selected)
    if since >= 0 and _MINIMAL.search(",".join(call.request.headers.getlist("Prefer"))):
        changed = tenant.changes.changed_properties.get(object_id, {})
        if changed.get("*", 0) <= since:  # not new since the token: only what changed
            rendered = {k: v for k, v in rendered.items() if k == "id" or changed.get(k, 0) > since}
    return {**rendered, "id": user.id}


def _page_size(call: GraphCall) -> int:
    match = _MAX_PAGE_SIZE.search(",".join(call.request.headers.getlist("Prefer")))
    return min(max(int(match.group(1)), 1), MAX_DELTA_PAGE) if match else DELTA_PAGE


def _answer(call: GraphCall, session: dict[str, Any], items: list[dict[str, Any]], *, done: bool) -> Response:
    changes = call.tenant.changes
    root = call.request.host_url.rstrip("/") + "/v1.0/users/delta"
    body: dict[str, Any] = {"@odata.context": call.request.host_url.rstrip("/") + "/v1.0/$metadata#users"}
    if done:
        token = _encode({"g": changes.generation, "v": session["u"], "s": session["s"], "t": int(time.time())})
        body["@odata.deltaLink"] = f"{root}?{urlencode({'$deltatoken': token}, safe='$')}"
    else:
        token = _encode({**session, "g": changes.generation, "t": int(time.time())})
        body["@odata.nextLink"] = f"{root}?{urlencode({'$skiptoken': token}, safe='$')}"
    body["value"] = items
    return graph_json(200, body, request_id=call.request_id)


def _encode(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=").decode()


def _decode(token: str, changes: ChangeLog) -> dict[str, Any]:
    """The token's state; an unknown, foreign or expired one is Graph's syncStateNotFound."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        fresh = time.time() - float(data["t"]) <= LIFETIME_SECONDS
        if not isinstance(data, dict) or data["g"] != changes.generation or not fresh:
            raise ValueError(token)
        int(data["v"]), list(data["s"])
    except (ValueError, KeyError, TypeError):
        raise GraphError(400, "syncStateNotFound", EXPIRED_MESSAGE) from None
    return dict(data)


ROUTES: list[tuple[str, str, Callable[..., Response]]] = [
    ("GET", "/users/delta", users_delta),
    ("GET", "/users/microsoft.graph.delta", users_delta),
]


def register(router: Router) -> None:
    router.add_graphs(ROUTES)
