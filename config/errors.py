"""Errors reach a person: Sentry when `SENTRY_DSN` is set, else mail to `DJANGO_ADMINS` (Django's ADMINS).

What leaves for Sentry is scrubbed first (`scrub`, Sentry's `before_send`): tokens, secrets, cookies and the
OAuth parameters by key and by shape (a JWT, a bearer token, `code=` in a URL), and personal data (addresses,
names, the signed-in person beyond their id, client addresses). Sentry's own default of sending no personal data
is kept; the scrub is for what Overlap itself puts in messages, local variables and breadcrumbs.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sentry_sdk.types import Event

FILTERED = "[Filtered]"
SECRET_KEY = re.compile(
    r"token|secret|password|passwd|authorization|cookie|session|csrf|verifier|assertion|api.?key|dsn|credential",
    re.IGNORECASE,
)
PERSONAL_KEY = re.compile(
    r"^(e?mail|user_?principal_?name|upn|display_?name|given_?name|surname|attendees?|ip_address|username|"
    r"email_address|remote_addr|x[-_]forwarded[-_]for)$",
    re.IGNORECASE,
)
SHAPES = (
    (re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*"), FILTERED),  # a JWT: access and ID tokens
    (re.compile(r"(?i)\bbearer\s+[\w\-.~+/]+=*"), f"Bearer {FILTERED}"),
    (
        re.compile(
            r"(?i)\b(code|state|session_state|client_secret|access_token|refresh_token|id_token|password)=[^&\s'\"]+"
        ),
        rf"\1={FILTERED}",
    ),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
)


def scrub(event: Event, hint: dict[str, Any] | None = None) -> Event:
    """Sentry's `before_send`: the event without tokens and personal data (the person's id is kept)."""
    user = event.get("user")
    event["user"] = {"id": user["id"]} if isinstance(user, dict) and "id" in user else {}
    cleaned: Event = _clean(event)
    return cleaned


def _clean(value: Any, key: str = "") -> Any:
    if key and (SECRET_KEY.search(key) or PERSONAL_KEY.match(key)):
        return FILTERED
    if isinstance(value, dict):
        return {k: _clean(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    if isinstance(value, str):
        for shape, replacement in SHAPES:
            value = shape.sub(replacement, value)
    return value


def sentry_start(*, dsn: str, environment: str, transport: Any = None) -> None:
    """Report unhandled errors (web requests, Celery tasks) and error logs to Sentry, scrubbed by `scrub`.
    `transport`: Sentry's own way to send elsewhere (the tests keep the events in memory)."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        before_send=scrub,
        before_send_transaction=None,
        traces_sample_rate=0.0,
        transport=transport,
    )


def admins(entries: list[str]) -> list[tuple[str, str]]:
    """DJANGO_ADMINS (`Ops <ops@example.com>, oncall@example.com`) as Django's ADMINS: (name, address) pairs."""
    pairs = []
    for entry in entries:
        name, _, address = entry.rpartition("<")
        address = address.rstrip(">").strip() if _ else entry.strip()
        pairs.append((name.strip() or address, address))
    return pairs
