"""`POST /$batch`: up to 20 requests, `dependsOn`, a status per response, 424 for failed dependencies.

Sub-requests go through the server's own Graph dispatch, so each one is authenticated, throttled and
logged on its own. They run one after another: Graph runs dependent batches sequentially and at most four
of an unordered one at a time against Outlook, and running them in order keeps the emulator predictable.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from m365_emulator.http import GraphCall, GraphError, graph_json

if TYPE_CHECKING:
    from m365_emulator.host import Host

MAX_REQUESTS = 20
_KEPT_HEADERS = {"content-type", "retry-after", "location", "preference-applied", "etag"}


def run(emulator: Host, call: GraphCall, seq: int) -> Response:
    items = _validated(call.json())
    results: dict[str, int] = {}
    responses = []
    for item in items:
        responses.append(_one(emulator, call, item, results, seq))
        results[str(item["id"]).lower()] = responses[-1]["status"]
    return graph_json(200, {"responses": responses}, request_id=call.request_id)


def _validated(body: dict[str, Any]) -> list[dict[str, Any]]:
    items = body.get("requests")
    if not isinstance(items, list) or not items:
        raise GraphError(400, "BadRequest", "Invalid batch payload format.")
    if len(items) > MAX_REQUESTS:
        raise GraphError(400, "BadRequest", f"Number of requests has exceeded the maximum of {MAX_REQUESTS}.")
    seen: set[str] = set()
    for item in items:
        _check_item(item, seen)
        seen.add(str(item["id"]).lower())
    return items


def _check_item(item: Any, earlier: set[str]) -> None:
    if not isinstance(item, dict) or not all(item.get(key) for key in ("id", "method", "url")):
        raise GraphError(400, "BadRequest", "Each batch request needs an id, a method and a url.")
    if str(item["id"]).lower() in earlier:
        raise GraphError(400, "BadRequest", f"Request with id '{item['id']}' is duplicated in the batch.")
    if item.get("body") is not None and not _content_type(item):
        raise GraphError(400, "BadRequest", "Content-Type header is required for a request with a body.")
    depends = item.get("dependsOn") or []
    if not isinstance(depends, list) or any(str(dep).lower() not in earlier for dep in depends):
        raise GraphError(400, "BadRequest", f"Request '{item['id']}' depends on an id not found before it.")


def _content_type(item: dict[str, Any]) -> str | None:
    headers = item.get("headers") or {}
    if not isinstance(headers, dict):
        return None
    return next((str(v) for k, v in headers.items() if str(k).lower() == "content-type"), None)


def _one(emulator: Host, call: GraphCall, item: dict[str, Any], results: dict[str, int], seq: int) -> dict[str, Any]:
    failed = [dep for dep in item.get("dependsOn") or [] if not 200 <= results.get(str(dep).lower(), 0) < 300]
    if failed:
        error = {"code": "FailedDependency", "message": f"Dependency {failed[0]} failed."}
        return {"id": str(item["id"]), "status": 424, "headers": {}, "body": {"error": error}}
    response = emulator.handle_graph(_sub_request(call.request, item), batch_seq=seq)
    return {
        "id": str(item["id"]),
        "status": response.status_code,
        "headers": {k: v for k, v in response.headers.items() if k.lower() in _KEPT_HEADERS},
        "body": _body(response),
    }


def _sub_request(outer: Request, item: dict[str, Any]) -> Request:
    url = str(item["url"])
    url = url if url.startswith("/") else "/" + url
    path, _, query = url.partition("?")
    root = "/beta" if outer.path.startswith("/beta") else "/v1.0"
    headers = {str(k): str(v) for k, v in (item.get("headers") or {}).items()}
    headers.setdefault("Authorization", outer.headers.get("Authorization", ""))
    body = item.get("body")
    data = json.dumps(body) if isinstance(body, dict | list) else body
    builder = EnvironBuilder(
        path=root + path,
        query_string=query,
        method=str(item["method"]).upper(),
        headers=list(headers.items()),
        data=data,
        base_url=outer.host_url,
    )
    return Request(builder.get_environ())


def _body(response: Response) -> Any:
    raw = response.get_data()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")
