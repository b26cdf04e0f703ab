"""The request log: every identity and Graph request the emulator served, for tests to read back."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

MAX_ENTRIES = 50_000
_SECRET_FIELDS = {"client_secret", "client_assertion", "code_verifier", "refresh_token", "code", "password"}


@dataclass
class LogEntry:
    seq: int
    time: str
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int
    tenant: str | None = None
    token_kind: str | None = None  # "app", "delegated" or None (identity pages, token endpoint, refused calls)
    user: str | None = None  # the signed-in user's UPN for delegated tokens
    app: str | None = None  # client id
    mailbox: str | None = None  # the mailbox a Graph call addressed, when it named one
    request_id: str | None = None
    batch: int | None = None  # the seq of the $batch request this one came in


@dataclass
class RequestLog:
    _entries: deque[LogEntry] = field(default_factory=lambda: deque(maxlen=MAX_ENTRIES))
    _seq: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    def add(self, entry: LogEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def since(self, seq: int) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(entry) for entry in sorted(self._entries, key=lambda e: e.seq) if entry.seq > seq]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    @property
    def last_seq(self) -> int:
        return self._seq


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def readable_body(raw: bytes, content_type: str) -> Any:
    """JSON bodies parsed, form bodies as a dict with secrets masked, anything else as text (or None)."""
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type:
        try:
            return json.loads(text)
        except ValueError:
            return text
    if "x-www-form-urlencoded" in content_type:
        pairs = parse_qsl(text, keep_blank_values=True)
        return {key: "***" if key in _SECRET_FIELDS else value for key, value in pairs}
    return text
