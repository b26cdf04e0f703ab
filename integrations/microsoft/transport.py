"""HTTP to Microsoft: a shared `requests.Session` per configuration, timeouts, Retry-After-aware retries, $batch.

The only module besides `auth` that touches `requests`; every failure leaves as a `MicrosoftError`. Each call
waits for a slot of its mailbox (`limits`) and carries the id bound in `correlation` (the web request's or the
task's) as Graph's `client-request-id`, so that one id finds a booking's request, its task and its Graph calls.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests
from requests.adapters import HTTPAdapter

from integrations.microsoft import correlation, limits
from integrations.microsoft.config import MicrosoftConfig
from integrations.microsoft.errors import BadRequest, MicrosoftError, Timeout, Unavailable, graph_error

logger = logging.getLogger("integrations.microsoft.graph")

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
# Outlook-style preferences on every request: UTC times, and ids that survive folder moves.
PREFER = 'outlook.timezone="UTC", IdType="ImmutableId"'
BATCH_LIMIT = 20
_RETRYABLE = (429, 503, 504)


class TokenSource(Protocol):
    """Gives a bearer token; `force_refresh` after Graph refused the last one (401)."""

    def __call__(self, *, force_refresh: bool = False) -> str: ...


POOL_SIZE = 48  # connections kept to Graph per process: a Celery worker's 16 threads (gunicorn's 8) x 3 parallel calls


class TimeoutSession(requests.Session):
    """A session with default timeouts that ignores REQUESTS_CA_BUNDLE and proxies from the environment."""

    def __init__(self, verify: str | bool, timeout: tuple[float, float]) -> None:
        super().__init__()
        # Otherwise REQUESTS_CA_BUNDLE would override `verify` and the emulator's CA would be lost.
        self.trust_env = False
        self.verify = verify
        self.default_timeout = timeout
        self.headers["User-Agent"] = "Overlap/0.1"
        # One pool per process, shared by its threads: requests keeps 10 connections a host by default, fewer than
        # the calls a process makes at once (its threads x 3 parallel calls), and a call past the pool's size
        # opens a TLS connection it then throws away.
        for scheme in ("https://", "http://"):
            self.mount(scheme, HTTPAdapter(pool_connections=POOL_SIZE, pool_maxsize=POOL_SIZE))

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        kwargs.setdefault("verify", self.verify)
        return super().request(method, url, *args, **kwargs)


def new_session(
    config: MicrosoftConfig, timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT)
) -> TimeoutSession:
    return TimeoutSession(config.verify, timeout)


_shared_sessions: dict[tuple[str | bool, str], TimeoutSession] = {}
_shared_lock = threading.Lock()


def shared_session(config: MicrosoftConfig) -> TimeoutSession:
    """The process's one Graph session for this configuration, so that TLS connections are reused.

    Graph clients are built per request or per task; their session (and its connection pool) is not.
    """
    key = (config.verify, config.graph_base)
    with _shared_lock:
        session = _shared_sessions.get(key)
        if session is None:
            session = _shared_sessions[key] = new_session(config)
        return session


@dataclass
class GraphResponse:
    status: int
    body: Any
    headers: dict[str, str]
    request_id: str | None


@dataclass
class BatchItem:
    """One request inside a $batch; `url` is relative to /v1.0 (e.g. "/users/x/events/y")."""

    id: str
    method: str
    url: str
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RetryPolicy:
    """How long to keep trying a throttled or unavailable Graph: `budget` seconds in all."""

    budget: float = 30.0
    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 8.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Retry-After when Graph gave one (plus a little jitter), else jittered exponential backoff."""
        if retry_after is not None:
            return retry_after + random.uniform(0, min(0.25, retry_after * 0.1 + 0.05))
        ceiling = min(self.max_delay, self.base_delay * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)


def retry_after_seconds(headers: Any) -> float | None:
    """Retry-After as seconds (Graph sends fractional seconds); None if absent or unreadable."""
    value = headers.get("Retry-After") if headers else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


class GraphTransport:
    """Sends Graph requests with a bearer token from `tokens`, retrying what Graph says may be retried."""

    def __init__(
        self,
        config: MicrosoftConfig,
        tokens: TokenSource,
        *,
        delegated: bool = False,
        session: requests.Session | None = None,
        policy: RetryPolicy | None = None,
        limiter: limits.Limiter | None = None,
    ) -> None:
        self.base = config.graph_base
        self.client_id = config.client_id
        self.tokens = tokens
        self.delegated = delegated
        self.session = session or shared_session(config)
        self.policy = policy or RetryPolicy()
        self.limiter = limiter or limits.shared_limiter(config.redis_url)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        idempotent: bool = True,
    ) -> GraphResponse:
        """One Graph call: retried for 429/503/504 inside the budget, one token refresh after a 401.

        A request that is not `idempotent` is retried only after 429 (Graph did not run it); after a
        503 or 504 it might have taken effect, so the error is raised instead.
        """
        deadline = self.policy.clock() + self.policy.budget
        attempt, refreshed = 0, False
        response = self._send(method, path, params, body)
        while response.status >= 400:
            if response.status == 401 and not refreshed:
                # The token expired (also while waiting out a Retry-After) or was revoked since it was cached.
                refreshed = True
                response = self._send(method, path, params, body, force_refresh=True)
                continue
            error = self._error(response)
            retryable = response.status in _RETRYABLE and (idempotent or response.status == 429)
            if not retryable or not self._wait(attempt, error, deadline):
                raise error
            attempt, refreshed = attempt + 1, False  # a token may lapse again during the next wait
            response = self._send(method, path, params, body)
        return response

    def _wait(self, attempt: int, error: MicrosoftError, deadline: float) -> bool:
        """Sleep before the next attempt; False when the budget or the attempts are spent."""
        if attempt + 1 >= self.policy.max_attempts:
            return False
        delay = self.policy.delay(attempt, getattr(error, "retry_after", None))
        if self.policy.clock() + delay > deadline:
            return False
        logger.info("Graph %s; retrying in %.2fs (request-id %s)", error.code or error.status, delay, error.request_id)
        self.policy.sleep(delay)
        return True

    def _send(
        self, method: str, path: str, params: dict[str, str] | None, body: Any, *, force_refresh: bool = False
    ) -> GraphResponse:
        url = path if path.startswith("https://") else f"{self.base}{path}"
        if not url.startswith(self.base + "/"):  # never send the token to a host a nextLink names
            raise BadRequest(f"Refusing to follow a link outside Graph: {url}", code="foreign_link")
        headers = {"Authorization": f"Bearer {self.tokens(force_refresh=force_refresh)}", "Prefer": PREFER}
        headers["client-request-id"] = correlation.current() or correlation.new()
        slots = limits.mailbox_slots(self.client_id, url.removeprefix(self.base), body, me=self._me())
        started = time.monotonic()
        try:
            with self.limiter.hold(slots):
                raw = self.session.request(method, url, params=params, json=body, headers=headers)
        except requests.Timeout as exc:
            raise Timeout(f"Graph did not answer {method} {path} in time.", code="timeout") from exc
        except requests.RequestException as exc:
            raise Unavailable(f"Graph could not be reached: {type(exc).__name__}.", code="unreachable") from exc
        response = _graph_response(raw)
        logger.info(
            "Graph %s %s -> %s in %.0fms request-id=%s",
            method,
            path.removeprefix(self.base).split("?")[0],
            response.status,
            (time.monotonic() - started) * 1000,
            response.request_id,
        )
        return response

    def _me(self) -> str | None:
        """Whose mailbox /me is: the member's object id, for a delegated token."""
        oid = getattr(self.tokens, "account_oid", None)
        return str(oid) if oid else None

    def _error(self, response: GraphResponse) -> MicrosoftError:
        return graph_error(
            response.status,
            response.body,
            request_id=response.request_id,
            retry_after=retry_after_seconds(response.headers),
            delegated=self.delegated,
        )

    def pages(self, path: str, params: dict[str, str] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a collection, following @odata.nextLink unchanged."""
        for body in self.page_bodies(path, params):
            yield from body.get("value") or []

    def page_bodies(self, path: str, params: dict[str, str] | None = None) -> Iterator[dict[str, Any]]:
        """Each page of a collection as Graph sent it, one at a time (a caller can stream a large directory),
        following @odata.nextLink unchanged; the last page is the one without it."""
        response = self.request("GET", path, params=params)
        while True:
            yield response.body
            next_link = response.body.get("@odata.nextLink")
            if not next_link:
                return
            response = self.request("GET", next_link)

    def batch(self, items: list[BatchItem]) -> dict[str, GraphResponse | MicrosoftError]:
        """Run the requests through $batch, 20 at a time; only throttled items are sent again.

        Every item gets either its response (status < 400) or the error it ended with.
        """
        results: dict[str, GraphResponse | MicrosoftError] = {}
        for start in range(0, len(items), BATCH_LIMIT):
            results.update(self._batch_chunk(items[start : start + BATCH_LIMIT]))
        return results

    def _batch_chunk(self, items: list[BatchItem]) -> dict[str, GraphResponse | MicrosoftError]:
        deadline = self.policy.clock() + self.policy.budget
        results: dict[str, GraphResponse | MicrosoftError] = {}
        pending = {item.id: item for item in items}
        for attempt in range(self.policy.max_attempts):
            retry: dict[str, MicrosoftError] = {}
            for item_id, response in self._post_batch(list(pending.values())).items():
                if response.status < 400:
                    results[item_id] = response
                    continue
                error = self._error(response)
                (retry if response.status in _RETRYABLE else results)[item_id] = error
            pending = {item_id: pending[item_id] for item_id in retry}
            if not pending or not self._wait_for_batch(attempt, list(retry.values()), deadline):
                results.update(retry)
                return results
        return results

    def _wait_for_batch(self, attempt: int, errors: list[MicrosoftError], deadline: float) -> bool:
        # The throttled items go again together, after the longest Retry-After among them.
        return self._wait(attempt, max(errors, key=lambda e: getattr(e, "retry_after", None) or 0.0), deadline)

    def _post_batch(self, items: list[BatchItem]) -> dict[str, GraphResponse]:
        requests_json = [_batch_request(item) for item in items]
        response = self.request("POST", "/$batch", body={"requests": requests_json})
        answered: dict[str, GraphResponse] = {}
        for entry in response.body.get("responses") or []:
            headers = {str(k): str(v) for k, v in (entry.get("headers") or {}).items()}
            request_id = _header(headers, "request-id") or response.request_id
            answered[str(entry.get("id"))] = GraphResponse(int(entry["status"]), entry.get("body"), headers, request_id)
        for item in items:  # Graph answers every id; a missing one is treated as unavailable
            answered.setdefault(item.id, GraphResponse(503, None, {}, response.request_id))
        return answered


def _batch_request(item: BatchItem) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": item.id, "method": item.method, "url": item.url}
    headers = {"Prefer": PREFER, **item.headers}
    if item.body is not None:
        entry["body"] = item.body
        headers.setdefault("Content-Type", "application/json")
    entry["headers"] = headers
    return entry


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name), None)


def _graph_response(raw: requests.Response) -> GraphResponse:
    try:
        body = raw.json() if raw.content else None
    except (ValueError, json.JSONDecodeError):
        body = None
    headers = dict(raw.headers)
    return GraphResponse(raw.status_code, body, headers, _header(headers, "request-id"))
