"""Short-lived identity state: sign-in flows in progress, browser sessions and authorization codes."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

CODE_LIFETIME = 600.0  # seconds; Entra's codes last about ten minutes
FLOW_LIFETIME = 3600.0


@dataclass
class Flow:
    """An authorize or admin-consent request waiting for a person to sign in and decide."""

    id: str
    kind: str  # "authorize" | "adminconsent" | "adminconsent-v1"
    tenant_key: str  # as written in the URL: a GUID, a domain, "organizations" or "common"
    client_id: str
    redirect_uri: str
    state: str | None
    scopes: list[str]
    response_mode: str = "query"
    nonce: str | None = None
    prompt: str | None = None
    login_hint: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str = "plain"
    user_id: str | None = None  # set once someone signed in
    tenant_id: str | None = None  # the signed-in person's tenant
    created: float = field(default_factory=time.monotonic)


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    tenant_id: str
    user_id: str
    scopes: list[str]
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str
    issued: float = field(default_factory=time.monotonic)
    redeemed: bool = False

    @property
    def expired(self) -> bool:
        return time.monotonic() - self.issued > CODE_LIFETIME


@dataclass
class IdentityStore:
    flows: dict[str, Flow] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    sessions: dict[str, tuple[str, str]] = field(default_factory=dict)  # cookie value -> (tenant id, user id)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self.lock:
            self.flows.clear()
            self.codes.clear()
            self.sessions.clear()

    def start_flow(self, flow: Flow) -> Flow:
        with self.lock:
            self.flows[flow.id] = flow
        return flow

    def flow(self, flow_id: str) -> Flow | None:
        with self.lock:
            flow = self.flows.get(flow_id)
        if flow is None or time.monotonic() - flow.created > FLOW_LIFETIME:
            return None
        return flow

    def finish_flow(self, flow_id: str) -> None:
        with self.lock:
            self.flows.pop(flow_id, None)

    def issue_code(self, code: AuthCode) -> str:
        with self.lock:
            self.codes[code.code] = code
        return code.code

    def take_code(self, value: str) -> tuple[AuthCode | None, bool]:
        """The code and whether this is its first redemption; every redemption marks it used."""
        with self.lock:
            code = self.codes.get(value)
            if code is None:
                return None, False
            first = not code.redeemed
            code.redeemed = True
        return code, first

    def open_session(self, tenant_id: str, user_id: str) -> str:
        value = secrets.token_urlsafe(24)
        with self.lock:
            self.sessions[value] = (tenant_id, user_id)
        return value

    def session(self, value: str | None) -> tuple[str, str] | None:
        if not value:
            return None
        with self.lock:
            return self.sessions.get(value)

    def end_sessions_of(self, user_id: str) -> None:
        with self.lock:
            for key in [k for k, (_, uid) in self.sessions.items() if uid == user_id]:
                del self.sessions[key]


def new_flow_id() -> str:
    return secrets.token_urlsafe(18)


def new_code() -> str:
    return "0.A" + secrets.token_urlsafe(48)
