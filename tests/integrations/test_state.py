"""The OAuth state: signed, single-use, short-lived, bound to the session and the person."""

from __future__ import annotations

import time
import uuid

import pytest
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core import signing

from integrations import state as oauth_state
from integrations.state import InvalidState, issue_state, redeem_state

CODE = uuid.UUID("6b9c0f4e-1111-4222-8333-444455556666")


def test_it_gives_back_the_organization_of_a_fresh_state() -> None:
    session = SessionStore()
    state = issue_state(session, purpose="consent", organization_code=CODE, user_id=7)

    assert redeem_state(session, state, purpose="consent", user_id=7).organization_code == CODE


def test_it_rejects_a_state_used_twice() -> None:
    session = SessionStore()
    state = issue_state(session, purpose="consent", organization_code=CODE, user_id=7)
    redeem_state(session, state, purpose="consent", user_id=7)

    with pytest.raises(InvalidState, match="already used"):
        redeem_state(session, state, purpose="consent", user_id=7)


def test_it_rejects_a_state_from_another_browser_session() -> None:
    state = issue_state(SessionStore(), purpose="consent", organization_code=CODE, user_id=7)

    with pytest.raises(InvalidState, match="another browser"):
        redeem_state(SessionStore(), state, purpose="consent", user_id=7)


def test_it_rejects_a_state_issued_to_another_person() -> None:
    session = SessionStore()
    state = issue_state(session, purpose="consent", organization_code=CODE, user_id=7)

    with pytest.raises(InvalidState, match="another person"):
        redeem_state(session, state, purpose="consent", user_id=8)


def test_it_rejects_a_forged_state_naming_another_organization() -> None:
    session = SessionStore()
    state = issue_state(session, purpose="consent", organization_code=CODE, user_id=7)
    payload = signing.loads(state, salt="integrations.oauth-state")
    payload["o"] = str(uuid.uuid4())
    forged = signing.dumps(payload, key="not-the-secret-key", salt="integrations.oauth-state")

    with pytest.raises(InvalidState, match="not issued by Overlap"):
        redeem_state(session, forged, purpose="consent", user_id=7)


def test_it_rejects_an_expired_state(monkeypatch: pytest.MonkeyPatch) -> None:
    session = SessionStore()
    state = issue_state(session, purpose="consent", organization_code=CODE, user_id=7)
    later = time.time() + oauth_state.MAX_AGE_SECONDS + 1
    monkeypatch.setattr(time, "time", lambda: later)

    with pytest.raises(InvalidState, match="expired"):
        redeem_state(session, state, purpose="consent", user_id=7)
