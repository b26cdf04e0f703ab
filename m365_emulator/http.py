"""What a Graph handler gets and gives: the checked call, Graph-shaped errors and JSON responses.

The server (`server.py`) checks the bearer token, resolves the tenant and builds a `GraphCall`;
handlers raise `GraphError` for anything Graph would refuse and return `graph_json(...)`.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from werkzeug.wrappers import Request, Response

from m365_emulator.state import AppRegistration, DirectoryUser, EmulatorState, Tenant

_PREFER_TZ = re.compile(r'outlook\.timezone\s*=\s*"([^"]+)"', re.IGNORECASE)
_PREFER_IMMUTABLE = re.compile(r'IdType\s*=\s*"ImmutableId"', re.IGNORECASE)


class GraphError(Exception):
    """A refusal in Graph's error shape: {"error": {"code", "message", "innerError": {...}}}."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def response(self, request_id: str) -> Response:
        inner = {"date": _now_text(), "request-id": request_id, "client-request-id": request_id}
        body = {"error": {"code": self.code, "message": self.message, "innerError": inner}}
        return graph_json(self.status, body, self.headers, request_id=request_id)


def _now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def graph_json(
    status: int, body: Any, headers: dict[str, str] | None = None, *, request_id: str | None = None
) -> Response:
    response = Response(
        json.dumps(body) if body is not None else b"",
        status=status,
        content_type="application/json; odata.metadata=minimal" if body is not None else None,
    )
    rid = request_id or str(uuid.uuid4())
    response.headers["request-id"] = rid
    response.headers["client-request-id"] = rid
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@dataclass
class GraphCall:
    """One authenticated Graph request, after the server checked its token."""

    state: EmulatorState
    tenant: Tenant
    request: Request
    app: AppRegistration
    token_kind: Literal["app", "delegated"]
    caller: DirectoryUser | None  # the signed-in user, for delegated tokens
    roles: set[str] = field(default_factory=set)  # application permissions in an app-only token
    scopes: set[str] = field(default_factory=set)  # delegated scopes in a user token
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def prefer_time_zone(self) -> str | None:
        match = _PREFER_TZ.search(",".join(self.request.headers.getlist("Prefer")))
        return match.group(1) if match else None

    @property
    def immutable_ids(self) -> bool:
        return bool(_PREFER_IMMUTABLE.search(",".join(self.request.headers.getlist("Prefer"))))

    def json(self) -> dict[str, Any]:
        try:
            body = json.loads(self.request.get_data() or b"{}")
        except ValueError:
            raise GraphError(400, "BadRequest", "Unable to read JSON request payload.") from None
        if not isinstance(body, dict):
            raise GraphError(400, "BadRequest", "The request body must be a JSON object.")
        return body

    def require(self, *, app_roles: set[str], delegated_scopes: set[str]) -> None:
        """403 unless the token carries one of the permissions the endpoint accepts."""
        granted = self.roles if self.token_kind == "app" else self.scopes
        wanted = app_roles if self.token_kind == "app" else delegated_scopes
        if not granted & wanted:
            raise GraphError(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")

    def mailbox(self, segment: str) -> DirectoryUser:
        """The user named in the path (`me`, an id or a UPN), with Graph's refusals for each case."""
        if segment.lower() == "me":
            if self.caller is None:
                raise GraphError(
                    400, "Request_BadRequest", "/me request is only valid with delegated authentication flow."
                )
            user = self.caller
        else:
            found = self.tenant.user_by_address(segment)
            if found is None:
                raise GraphError(404, "ErrorInvalidUser", f"The requested user '{segment}' is invalid.")
            user = found
        if not user.has_mailbox or user.user_type == "Guest":
            raise GraphError(
                404,
                "MailboxNotEnabledForRESTAPI",
                "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
            )
        if self.token_kind == "app" and not self.tenant.can_reach(self.app.client_id, user):
            raise GraphError(403, "ErrorAccessDenied", "Access to OData is disabled.")
        return user
