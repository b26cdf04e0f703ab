"""One id per request that follows it everywhere: its log lines, the tasks it enqueues, their Graph calls.

The id is kept in `integrations.microsoft.correlation`, where the Graph client reads it. It is a UUID, because
it ends as Graph's `client-request-id`, which Microsoft defines as a GUID. A proxy's `X-Request-ID` is kept
when it is one (nginx's `$request_id`, 32 hex digits, is, once given hyphens); anything else is replaced by a
fresh id, so that no header can write into the logs. The response always carries the id
in `X-Request-ID`. A Celery task carries its caller's id in a message header; a task started by nobody (beat)
uses its own task id.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from integrations.microsoft.correlation import bind, bound, current, new, unbind

HEADER = "X-Request-ID"
TASK_HEADER = "overlap_request_id"
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
__all__ = ["bound", "current", "new", "valid"]


def valid(value: object) -> str | None:
    """`value` as a canonical lowercase UUID, or None when it is not one."""
    if not isinstance(value, str) or not _UUID.match(value):
        return None
    return str(uuid.UUID(value))


class RequestIdMiddleware:
    """Takes a valid `X-Request-ID` or makes one, binds it for the request, and answers with it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = valid(request.headers.get(HEADER)) or new()
        with bound(request_id):
            response = self.get_response(request)
        response[HEADER] = request_id
        return response


# Celery: the id rides in the task message's headers and is bound while the worker runs the task.


def add_to_task_headers(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """`before_task_publish`: a task enqueued during a request (or a task) carries that id."""
    request_id = current()
    if request_id and headers is not None and TASK_HEADER not in headers:
        headers[TASK_HEADER] = request_id


_task_tokens: dict[str, Any] = {}


def bind_for_task(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    """`task_prerun`: the caller's id (from the message, or the request itself when the task runs eagerly),
    else the task's own id, for the task's log lines and Graph calls."""
    sent = valid(getattr(getattr(task, "request", None), TASK_HEADER, None))
    request_id = sent or current() or valid(task_id) or new()
    if task_id:
        _task_tokens[task_id] = bind(request_id)


def unbind_for_task(task_id: str | None = None, **_: Any) -> None:
    """`task_postrun`: forget the task's id, so the next task on this worker thread starts clean."""
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is not None:
        try:
            unbind(token)
        except ValueError:  # set in another context (a pool that switches); clearing is what matters
            bind(None)
