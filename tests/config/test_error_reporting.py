"""Errors reach a person: Sentry when a DSN is set (scrubbed of tokens and personal data), mail to the admins
otherwise. Sentry's transport is replaced by one that keeps the events in memory: nothing leaves the machine."""

from __future__ import annotations

import json
import logging.config
from collections.abc import Iterator
from typing import Any

import pytest
import sentry_sdk
from django.core import mail
from django.test import Client
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport
from sentry_sdk.types import Event

from config import errors
from config.logs import logging_config
from tests.config.carried import ADDRESS, JWT, NAME, REFRESH

pytestmark = pytest.mark.urls("tests.config.failing_app")


class KeptTransport(Transport):
    """Sentry's documented way to send events elsewhere: here, to a list."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)


@pytest.fixture
def sentry() -> Iterator[KeptTransport]:
    transport = KeptTransport()
    errors.sentry_start(dsn="https://public@sentry.invalid/1", environment="test", transport=transport)
    yield transport
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # no DSN: the rest of the run reports nothing


def sent_events(transport: KeptTransport) -> list[Event]:
    sentry_sdk.flush()
    return [event for envelope in transport.envelopes if (event := envelope.get_event()) is not None]


def test_a_500_reaches_sentry_without_the_token_the_refresh_token_the_address_or_the_oauth_code(
    db: None, sentry: KeptTransport, admin_user: Any
) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    assert client.get("/boom?code=M.C507_secret-code&state=abc").status_code == 500
    events = [e for e in sent_events(sentry) if e.get("exception")]
    assert len(events) == 1
    exception = events[0]["exception"]["values"][-1]
    assert exception["type"] == "RuntimeError"
    assert exception["value"].startswith("Graph refused Bearer [Filtered] for [email]")
    sent = json.dumps(events[0])
    for secret in (JWT, REFRESH, ADDRESS, "M.C507_secret-code", NAME, admin_user.email):
        assert secret not in sent
    assert set(events[0]["user"]) <= {"id"}  # at most the person's id, never their address


def test_without_a_dsn_a_500_is_mailed_to_the_admins(db: None, settings: Any) -> None:
    settings.ADMINS = errors.admins(["Ops <ops@overlap.example>"])
    logging.config.dictConfig(logging_config(level="INFO", json_lines=False, mail_admins=True))
    try:
        assert Client(raise_request_exception=False).get("/boom").status_code == 500
    finally:
        logging.config.dictConfig(settings.LOGGING)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ops@overlap.example"]
    assert "Internal Server Error: /boom" in mail.outbox[0].subject


def test_the_admins_setting_reads_names_and_bare_addresses() -> None:
    assert errors.admins(["Ops <ops@overlap.example>", "oncall@overlap.example"]) == [
        ("Ops", "ops@overlap.example"),
        ("oncall@overlap.example", "oncall@overlap.example"),
    ]


def test_the_scrub_drops_tokens_in_breadcrumbs_and_headers_and_keeps_what_happened() -> None:
    event: Any = {
        "message": "token refresh failed for megan@contoso.example",
        "request": {"headers": {"Authorization": f"Bearer {JWT}", "User-Agent": "Firefox"}, "cookies": "sessionid=x"},
        "breadcrumbs": {"values": [{"message": f"POST /token client_secret=abc&code=xyz {JWT}"}]},
        "user": {"id": "7", "email": "megan@contoso.example", "ip_address": "10.0.0.9"},
    }
    scrubbed: Any = errors.scrub(event)
    assert scrubbed["message"] == "token refresh failed for [email]"
    assert scrubbed["request"]["headers"] == {"Authorization": "[Filtered]", "User-Agent": "Firefox"}
    assert scrubbed["request"]["cookies"] == "[Filtered]"
    assert (
        scrubbed["breadcrumbs"]["values"][0]["message"]
        == "POST /token client_secret=[Filtered]&code=[Filtered] [Filtered]"
    )
    assert scrubbed["user"] == {"id": "7"}
