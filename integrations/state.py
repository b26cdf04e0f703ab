"""The OAuth ``state`` Overlap sends to Microsoft and checks on the way back.

A state is signed (nobody can forge one), short-lived, bound to the admin's session and user, names the
organization (so the callback URL never has to), and single-use: its nonce sits in the session until the
callback redeems it, and a second use finds it gone.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from django.contrib.sessions.backends.base import SessionBase
from django.core import signing

MAX_AGE_SECONDS = 600
_SALT = "integrations.oauth-state"
_SESSION_KEY = "integrations_pending_states"
_MAX_PENDING = 10


class InvalidState(Exception):
    """The state is forged, expired, already used, or from another session or person."""


@dataclass(frozen=True)
class RedeemedState:
    organization_code: uuid.UUID
    tenant: str = ""  # admin consent: the tenant its admin proved by signing in just before


def issue_state(
    session: SessionBase,
    *,
    purpose: str,
    organization_code: uuid.UUID,
    user_id: int,
    tenant: str = "",
) -> str:
    """A new signed state for one round trip to Microsoft; remembers its nonce in the session."""
    nonce = secrets.token_urlsafe(16)
    pending = list(session.get(_SESSION_KEY, []))[-(_MAX_PENDING - 1) :]
    session[_SESSION_KEY] = [*pending, nonce]
    payload = {"p": purpose, "o": str(organization_code), "u": user_id, "n": nonce, "t": tenant}
    return signing.dumps(payload, salt=_SALT, compress=True)


def redeem_state(session: SessionBase, state: str, *, purpose: str, user_id: int | None) -> RedeemedState:
    """Check a returned state and use it up; raises `InvalidState` for anything but a fresh, own state."""
    try:
        payload = signing.loads(state, salt=_SALT, max_age=MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise InvalidState("This sign-in link has expired.") from None
    except signing.BadSignature:
        raise InvalidState("This sign-in link was not issued by Overlap.") from None
    if payload.get("p") != purpose or payload.get("u") != user_id:
        raise InvalidState("This sign-in link belongs to another person or another step.")
    _use_nonce(session, str(payload.get("n")))
    return RedeemedState(organization_code=uuid.UUID(payload["o"]), tenant=str(payload.get("t") or ""))


def _use_nonce(session: SessionBase, nonce: str) -> None:
    pending = list(session.get(_SESSION_KEY, []))
    if nonce not in pending:
        raise InvalidState("This sign-in link was already used, or was started in another browser.")
    pending.remove(nonce)
    session[_SESSION_KEY] = pending
