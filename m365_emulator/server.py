"""The emulator as one WSGI application: identity pages and endpoints, Graph v1.0, and the control API.

`Emulator` holds the world (`EmulatorState`), the signing key, the request log, throttling and latency.
Graph calls go through `handle_graph`, which checks the bearer token, applies latency and throttling,
dispatches to a handler (directory, calendar, `$batch`) and logs the outcome; `$batch` sub-requests come
back through the same function. While Microsoft is set unreachable (`POST /_emulator/unreachable`), every
request but the control API's is dropped before it is read: the connection closes with no answer.
"""

from __future__ import annotations

import re
import secrets
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from m365_emulator import (
    batch,
    control,
    crowd,
    directory,
    directory_delta,
    graph_calendar,
    identity,
    pages,
    places,
    rooms_control,
    rooms_policy,
)
from m365_emulator.fixtures import build_world
from m365_emulator.host import Outcome, outcome_of
from m365_emulator.http import GraphCall, GraphError, graph_json
from m365_emulator.log import LogEntry, RequestLog, now_text, readable_body, response_ids
from m365_emulator.routing import Route, Router
from m365_emulator.sessions import IdentityStore
from m365_emulator.state import DirectoryUser, EmulatorState, Tenant
from m365_emulator.throttle import OUTAGES, Key, LostReplies, Refusal, Throttler
from m365_emulator.tokens import Signer, TokenRejected

# What Graph sends with a 401 (observed): where a token for Graph comes from.
_CHALLENGE = {
    "WWW-Authenticate": 'Bearer realm="", '
    'authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", '
    'client_id="00000003-0000-0000-c000-000000000000"'
}
VERSION_ROOTS = ("/v1.0", "/beta")
_EVENT_CREATE = re.compile(r"/(me|users/[^/]+)(/calendar)?/events/?$", re.IGNORECASE)
CONTROL_ROOT = "/_emulator/"


class Unreachable(ConnectionAbortedError):
    """Raised to the server for a request dropped while Microsoft is unreachable: it closes the connection
    without an answer (serving._Handler), as a caller meets a service it cannot reach."""


# The delta routes first: `/users/delta` is a function, not a user named "delta".
HANDLER_MODULES = (identity, pages, control, crowd, directory_delta, directory, graph_calendar, places, rooms_control)


def routes() -> Router:
    """Every route, as the handler modules register them."""
    router = Router()
    for module in HANDLER_MODULES:
        module.register(router)
    return router


class Emulator:
    """The running emulator; a WSGI callable."""

    def __init__(
        self, *, fixture: str = "demo", seed: int = 1, client_secret: str | None = None, base_url: str = ""
    ) -> None:
        self.client_secret = client_secret or secrets.token_urlsafe(30)
        self.base_url = base_url
        self.browser_url = base_url
        self.signer = Signer.generate()
        self.state = EmulatorState()
        self.log = RequestLog()
        self.throttler = Throttler()
        self.identity = IdentityStore()
        self.latency_ms = 0.0
        self.reply_ms = 0.0  # every Graph reply waits this long after its request took effect
        self.unreachable_until = 0.0  # time.monotonic() until which only the control API answers
        self.unreachable_dropped = 0  # requests dropped meanwhile, since the last reset
        self.token_lifetime: int | None = None  # None: Entra's default, random between 60 and 90 minutes
        self.lost_replies = LostReplies()
        self.tokens_expired_before = 0.0  # access tokens issued before this instant are refused as expired
        self.epoch = ""
        self.fixture = fixture
        self.seed = seed
        router = routes()
        self._graph_map, self._graph_handlers = _endpoints(router.graph, strict_slashes=False)
        self._graph_shapes = [_segments(route.path) for route in router.graph]
        self._control_map, self._control_handlers = self._build_control_map(router)
        self._identity_map, self._identity_handlers = _endpoints(router.pages)
        self.reset(fixture=fixture, seed=seed)

    # -- the world ---------------------------------------------------------------------------------------

    def reset(self, *, fixture: str | None = None, seed: int | None = None) -> None:
        """A fresh world from a fixture; tokens, codes, sessions, throttling and latency start over."""
        fixture = fixture or self.fixture
        seed = self.seed if seed is None else seed
        world = build_world(fixture, seed=seed, client_secret=self.client_secret)
        with self.state.lock:
            self.state.tenants = world.tenants
            self.state.apps = world.apps
            self.state.refresh_grants = {}
            self.fixture, self.seed = fixture, seed
            # Tokens carry the epoch they were issued in, so a reset retires every token issued before it.
            self.epoch = uuid.uuid4().hex[:12]
        self.identity.clear()
        self.throttler.clear()
        self.latency_ms = self.reply_ms = 0.0
        self.unreachable_until, self.unreachable_dropped = 0.0, 0
        self.token_lifetime = None
        self.lost_replies.clear()
        self.tokens_expired_before = 0.0
        self.log.clear()

    def tenant(self, key: str) -> Tenant | None:
        return self.state.tenant(key)

    # -- WSGI --------------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        if self.unreachable() and not request.path.startswith(CONTROL_ROOT):
            self.unreachable_dropped += 1
            raise Unreachable(f"Microsoft is unreachable for {self.unreachable_until - time.monotonic():.1f} s more")
        request.get_data()  # read the whole body now: a keep-alive connection must not keep unread bytes
        try:
            response = self._route(request)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            response = graph_json(500, {"error": {"code": "InternalServerError", "message": "Emulator failure."}})
        return response(environ, start_response)

    def unreachable(self) -> bool:
        """Whether Microsoft is unreachable now (POST /_emulator/unreachable)."""
        return time.monotonic() < self.unreachable_until

    def _route(self, request: Request) -> Response:
        path = request.path
        if path.startswith(CONTROL_ROOT):
            return self._control(request)
        if any(path == root or path.startswith(root + "/") for root in VERSION_ROOTS):
            return self.handle_graph(request)
        return self._identity(request)

    # -- identity ----------------------------------------------------------------------------------------

    def _identity(self, request: Request) -> Response:
        seq = self.log.next_seq()
        try:
            endpoint, values = self._identity_map.bind_to_environ(request.environ).match()
            response = self._identity_handlers[str(endpoint)](self, request, **values)
        except NotFound:
            response = pages.error_page(404, "AADSTS90027", "The requested page does not exist.")
        except MethodNotAllowed:
            response = pages.error_page(405, "AADSTS900561", "The endpoint only accepts other request methods.")
        self._record(seq, request, response, outcome_of(request), None)
        return response

    # -- control -----------------------------------------------------------------------------------------

    def _build_control_map(self, router: Router) -> tuple[Map, dict[str, Callable[..., Response]]]:
        on_host = [
            replace(r, path="/_emulator" + r.path, handler=_bind_core_control(self, r.handler)) for r in router.control
        ]
        on_state = [
            replace(r, path="/_emulator" + r.path, handler=_bind_state_control(self, r.handler))
            for r in router.control_on_state
        ]
        return _endpoints([*on_host, *on_state])

    def _control(self, request: Request) -> Response:
        try:
            endpoint, values = self._control_map.bind_to_environ(request.environ).match()
        except NotFound:
            return control.problem(404, f"No control endpoint {request.method} {request.path}.")
        except MethodNotAllowed:
            return control.problem(405, f"{request.path} does not take {request.method}.")
        try:
            return self._control_handlers[str(endpoint)](request, dict(values))
        except control.ControlError as error:
            return control.problem(error.status, str(error))

    # -- Graph -------------------------------------------------------------------------------------------

    def handle_graph(self, request: Request, *, batch_seq: int | None = None) -> Response:
        """One Graph request (top level or from a batch): token, latency, throttling, handler, log."""
        seq = self.log.next_seq()
        outcome = outcome_of(request)
        outcome.request_id = outcome.request_id or str(uuid.uuid4())
        try:
            response = self._graph(request, outcome, seq, batch_seq)
        except GraphError as error:
            response = error.response(outcome.request_id)
        client_request_id = request.headers.get("client-request-id")
        if client_request_id:  # Graph echoes the caller's id so that both sides can quote one value
            response.headers["client-request-id"] = client_request_id
        self._record(seq, request, response, outcome, batch_seq)
        if self.reply_ms > 0 and batch_seq is None:  # done and in the log; the caller hears of it later
            time.sleep(self.reply_ms / 1000)
        return response

    def _graph(self, request: Request, outcome: Outcome, seq: int, batch_seq: int | None) -> Response:
        call = self.authenticate(request, outcome)
        rooms_policy.answer_due(call.tenant)  # rooms answer the invitations of earlier requests (rooms_policy.py)
        relative = _relative_path(request.path)
        if relative.rstrip("/") == "/$batch" and batch_seq is None:
            if request.method != "POST":
                raise GraphError(405, "BadRequest", "Only POST is supported on $batch.")
            self._delay()
            return batch.run(self, call, seq)
        endpoint, values = self._match_graph(relative, request.method)
        _refuse_repeated_options(request)
        mailbox, address = self._mailbox_key(call, relative, values)
        outcome.mailbox = address
        key = Key(call.app.client_id, call.tenant.id, mailbox)
        with self.throttler.admit(key) as refusal:
            if refusal is not None:
                return _refused(refusal, call.request_id)
            if batch_seq is None:
                self._delay()  # inside the admitted section: a slow call counts against the concurrency limit
            response = self._graph_handlers[endpoint](call, **values)
        created = request.method == "POST" and response.status_code == 201 and _EVENT_CREATE.search(relative)
        if created and self.lost_replies.take(mailbox):  # the event stands in the mailbox; the caller never hears so
            raise GraphError(504, *OUTAGES[504])
        return response

    def _delay(self) -> None:
        if self.latency_ms > 0:
            time.sleep(self.latency_ms / 1000)

    def _match_graph(self, relative: str, method: str) -> tuple[str, dict[str, Any]]:
        adapter = self._graph_map.bind("emulator")
        try:
            endpoint, values = adapter.match(relative, method=method)
        except NotFound:
            segment = _unserved_segment(_segments(relative), self._graph_shapes)
            raise GraphError(400, "BadRequest", f"Resource not found for the segment '{segment}'.") from None
        except MethodNotAllowed:
            raise GraphError(405, "Request_BadRequest", f"The HTTP method '{method}' is not allowed.") from None
        return str(endpoint), dict(values)

    def _mailbox_key(self, call: GraphCall, relative: str, values: dict[str, Any]) -> tuple[str | None, str | None]:
        """The mailbox a call addresses: its object id (what throttling counts by) and its address (for the log)."""
        named = values.get("user")
        if (named is None and relative.lower().startswith("/me/")) or str(named).lower() == "me":
            person = call.caller
        elif isinstance(named, str):
            person = call.tenant.user_by_address(named)
            if person is None:
                return named.lower(), named.lower()
        else:
            return None, None
        if person is None:
            return None, None
        return person.id, person.user_principal_name

    def authenticate(self, request: Request, outcome: Outcome) -> GraphCall:
        """The GraphCall for a bearer token this emulator issued, or Graph's 401."""
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if header and scheme.lower() != "bearer":
            message = "CompactToken parsing failed with error code: 80049217"
            raise GraphError(401, "InvalidAuthenticationToken", message, _CHALLENGE)
        try:
            claims = self.signer.read_access_token(token.strip())
        except TokenRejected as rejected:
            raise GraphError(401, "InvalidAuthenticationToken", str(rejected), _CHALLENGE) from None
        return self._call_from_claims(request, claims, outcome)

    def _call_from_claims(self, request: Request, claims: dict[str, Any], outcome: Outcome) -> GraphCall:
        tenant = self.state.tenants.get(str(claims.get("tid")))
        app = self.state.apps.get(str(claims.get("appid")))
        if claims.get("emu_epoch") != self.epoch or tenant is None or app is None:
            raise GraphError(401, "InvalidAuthenticationToken", "Access token validation failure.")
        if float(claims.get("emu_issued") or claims.get("iat") or 0) < self.tokens_expired_before:
            raise GraphError(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
        outcome.tenant, outcome.app = tenant.id, app.client_id
        caller: DirectoryUser | None = None
        if claims.get("idtyp") == "user":
            caller = tenant.users.get(str(claims.get("oid")))
            if caller is None:
                raise GraphError(401, "InvalidAuthenticationToken", "Access token validation failure.")
            outcome.token_kind, outcome.user = "delegated", caller.user_principal_name
        else:
            outcome.token_kind = "app"
        return GraphCall(
            state=self.state,
            tenant=tenant,
            request=request,
            app=app,
            token_kind="delegated" if caller else "app",
            caller=caller,
            roles=set(claims.get("roles") or []),
            scopes=set(str(claims.get("scp") or "").split()),
            request_id=outcome.request_id or str(uuid.uuid4()),
        )

    # -- log ---------------------------------------------------------------------------------------------

    def _record(self, seq: int, request: Request, response: Response, outcome: Outcome, batch_seq: int | None) -> None:
        entry = LogEntry(
            seq=seq,
            time=now_text(),
            method=request.method,
            path=request.path,
            query=request.args.to_dict(flat=False),
            body=readable_body(request.get_data(), request.content_type or ""),
            status=response.status_code,
            tenant=outcome.tenant,
            token_kind=outcome.token_kind,
            user=outcome.user,
            app=outcome.app,
            mailbox=outcome.mailbox,
            request_id=outcome.request_id,
            client_request_id=request.headers.get("client-request-id"),
            batch=batch_seq,
        )
        entry.response_ids, entry.response_ical_uids = response_ids(request.environ)
        self.log.add(entry)


def _refuse_repeated_options(request: Request) -> None:
    """An OData system query option given twice is refused, with the OData library's wording (UNCONFIRMED that
    Graph passes it on unchanged); the log still shows both values."""
    for name, values in request.args.lists():
        if name.startswith("$") and len(values) > 1:
            message = f"Query option '{name}' was specified more than once, but it must be specified at most once."
            raise GraphError(400, "BadRequest", message)


def _segments(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


def _unserved_segment(parts: list[str], shapes: list[list[str]]) -> str:
    """The first segment no served route has at its place, as Graph names it in its 400 BadRequest "Resource not
    found for the segment '…'" (observed in Graph's answers quoted in microsoftgraph issue threads); `<…>` in a
    route matches any value.

    `/users/{id}/calendarView` names `calendarView`, not `users`. When every segment leads somewhere (the path
    stops inside a route), the last one is named.
    """

    def fits(shape: list[str], count: int) -> bool:
        return len(shape) >= count and all(
            want.startswith("<") or want == have for want, have in zip(shape, parts[:count], strict=False)
        )

    for count in range(1, len(parts) + 1):
        if not any(fits(shape, count) for shape in shapes):
            return parts[count - 1]
    return parts[-1] if parts else ""


def _relative_path(path: str) -> str:
    for root in VERSION_ROOTS:
        if path == root or path.startswith(root + "/"):
            return path[len(root) :] or "/"
    return path


def _refused(refusal: Refusal, request_id: str) -> Response:
    headers = {"Retry-After": f"{refusal.retry_after:g}"} if refusal.retry_after is not None else {}
    if refusal.status != 429:
        return GraphError(refusal.status, refusal.code, refusal.message, headers).response(request_id)
    code, message = refusal.code, refusal.message
    if code == "TooManyRequests":
        inner = {"code": "429", "status": "429", "date": now_text(), "request-id": request_id}
        body: dict[str, Any] = {"error": {"code": code, "message": message, "innerError": inner}}
    else:
        body = {"error": {"code": code, "message": message}}
    return graph_json(429, body, headers, request_id=request_id)


def _endpoints(found: list[Route], *, strict_slashes: bool = True) -> tuple[Map, dict[str, Callable[..., Response]]]:
    """A URL map and its handlers, each route named by its place in the list."""
    rules = [Rule(r.path, endpoint=f"route{i}", methods=list(r.methods)) for i, r in enumerate(found)]
    return Map(rules, strict_slashes=strict_slashes), {f"route{i}": r.handler for i, r in enumerate(found)}


def _bind_core_control(emulator: Emulator, handler: Callable[..., Response]) -> Callable[..., Response]:
    def run(request: Request, values: dict[str, Any]) -> Response:
        return handler(emulator, request, **values)

    return run


def _bind_state_control(emulator: Emulator, handler: Callable[..., Response]) -> Callable[..., Response]:
    def run(request: Request, values: dict[str, Any]) -> Response:
        return handler(emulator.state, request, **values)

    return run
