"""The request log: every identity and Graph request the emulator served, for tests to read back.

Each entry keeps every value of every query parameter, and the ids the response carried (`response_ids`: the
`id` of a created, read or updated event and of each event a listing returned; `response_ical_uids`: their
iCalUIds), so that a check can prove each read by id targets an event the caller created itself. The log holds
the newest `MAX_ENTRIES`; it counts what it forgot (`dropped`) and says from which sequence number it is whole.
"""

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
    query: dict[str, list[str]]  # every value of each parameter, in the order sent
    body: Any
    status: int
    tenant: str | None = None
    token_kind: str | None = None  # "app", "delegated" or None (identity pages, token endpoint, refused calls)
    user: str | None = None  # the signed-in user's UPN for delegated tokens
    app: str | None = None  # client id
    mailbox: str | None = None  # the mailbox a Graph call addressed, when it named one
    request_id: str | None = None
    client_request_id: str | None = None  # the caller's `client-request-id` header, as Graph echoes it
    batch: int | None = None  # the seq of the $batch request this one came in
    response_ids: list[str] = field(default_factory=list)
    response_ical_uids: list[str] = field(default_factory=list)


RESPONSE_IDS = "emulator.response_ids"


def note_response_ids(environ: dict[str, Any], ids: list[str], ical_uids: list[str]) -> None:
    """A handler records the ids its response carries; the server copies them into the request's log entry."""
    found = environ.setdefault(RESPONSE_IDS, ([], []))
    found[0].extend(ids)
    found[1].extend(ical_uids)


def response_ids(environ: dict[str, Any]) -> tuple[list[str], list[str]]:
    ids, uids = environ.get(RESPONSE_IDS, ([], []))
    return list(ids), list(uids)


@dataclass
class RequestLog:
    capacity: int = MAX_ENTRIES
    _entries: deque[LogEntry] = field(default_factory=deque)
    _seq: int = 0
    _dropped: int = 0  # forgotten because the log was full, since the last clear
    _dropped_through: int = 0  # the newest seq forgotten that way
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    def add(self, entry: LogEntry) -> None:
        with self._lock:
            self._entries.append(entry)
            while len(self._entries) > self.capacity:
                oldest = self._entries.popleft()
                self._dropped += 1
                self._dropped_through = max(self._dropped_through, oldest.seq)

    def since(self, seq: int) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(entry) for entry in sorted(self._entries, key=lambda e: e.seq) if entry.seq > seq]

    def summary(self, since: int) -> dict[str, Any]:
        """What the log still holds: the first seq kept, how many entries it forgot, and whether every entry
        after `since` is still there (False once an entry after `since` was dropped)."""
        with self._lock:
            first = min((e.seq for e in self._entries), default=self._seq + 1)
            return {"first_seq": first, "dropped": self._dropped, "complete": self._dropped_through <= since}

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._dropped = self._dropped_through = 0

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
