"""What a handler module may use of the running emulator, without importing the server that calls it.

The server (`server.py`) imports the handler modules to route requests to them; they in turn see it only as this
`Host`, so the imports point one way. `Outcome` is what a handler adds to the request log's entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from werkzeug.wrappers import Request, Response

from m365_emulator.log import RequestLog
from m365_emulator.sessions import IdentityStore
from m365_emulator.state import EmulatorState, Tenant
from m365_emulator.throttle import LostReplies, Throttler
from m365_emulator.tokens import Signer


@dataclass
class Outcome:
    """What the log records about a request beyond method, path and status; handlers fill it in."""

    tenant: str | None = None
    token_kind: str | None = None
    user: str | None = None
    app: str | None = None
    mailbox: str | None = None
    request_id: str | None = None


def outcome_of(request: Request) -> Outcome:
    found = request.environ.get("emulator.outcome")
    if isinstance(found, Outcome):
        return found
    fresh = Outcome()
    request.environ["emulator.outcome"] = fresh
    return fresh


class Host(Protocol):
    """The running emulator as its handlers see it (server.Emulator is the one implementation)."""

    client_secret: str
    base_url: str
    browser_url: str
    signer: Signer
    state: EmulatorState
    log: RequestLog
    throttler: Throttler
    identity: IdentityStore
    latency_ms: float
    reply_ms: float
    unreachable_until: float
    unreachable_dropped: int
    token_lifetime: int | None
    lost_replies: LostReplies
    tokens_expired_before: float
    epoch: str
    fixture: str
    seed: int

    def reset(self, *, fixture: str | None = None, seed: int | None = None) -> None: ...

    def tenant(self, key: str) -> Tenant | None: ...

    def unreachable(self) -> bool: ...

    def handle_graph(self, request: Request, *, batch_seq: int | None = None) -> Response: ...
