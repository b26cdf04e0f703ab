"""What the calendar tests share: Contoso's people, tokens, and Graph calls over real HTTPS."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import requests

from m365_emulator.testing import Browser, EmulatorProcess
from tests.emulator.helpers import CONTOSO, app_token, graph

ADELE = "adele.vance@contoso.onmicrosoft.com"  # W. Europe Standard Time
MEGAN = "megan.bowen@contoso.onmicrosoft.com"  # Pacific Standard Time
ALEX = "alex.wilber@contoso.onmicrosoft.com"  # Eastern Standard Time
LEE = "lee.gu@contoso.onmicrosoft.com"  # India, working hours in a customTimeZone
BOOKING_PROP = "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name OverlapBookingId"
REDIRECT = "http://127.0.0.1:8000/integrations/microsoft/callback/"
DELEGATED_SCOPES = ["User.Read", "Calendars.ReadWrite", "Calendars.Read.Shared"]


def consented_app_token(emulator: EmulatorProcess) -> str:
    emulator.grant_admin_consent()
    return app_token(emulator)


def user_token(emulator: EmulatorProcess, address: str, scopes: list[str] | None = None) -> str:
    """A delegated Graph token for a Contoso person: signed in and consented through the emulator's pages (PKCE)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "client_id": emulator.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": " ".join(scopes or DELEGATED_SCOPES),
        "state": "calendar-tests",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    url = f"{emulator.browser_url}/{emulator.tenant_id}/oauth2/v2.0/authorize?{urlencode(query)}"
    landing = Browser(emulator).sign_in(url, address)
    form = {
        "grant_type": "authorization_code",
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        "code": landing.params["code"],
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    answer = emulator.session.post(f"{emulator.base_url}/{emulator.tenant_id}/oauth2/v2.0/token", data=form, timeout=10)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def quiet_saturday(weeks_ahead: int = 10) -> date:
    """A Saturday past the seeded one-off events, where no seeded series reaches: the test owns the calendar."""
    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday())
    return monday + timedelta(weeks=weeks_ahead, days=5)


def at(day: date, hour: int, minute: int = 0) -> str:
    return datetime(day.year, day.month, day.day, hour, minute).isoformat()


def utc(day: date, hour: int, minute: int = 0) -> dict[str, str]:
    return {"dateTime": at(day, hour, minute), "timeZone": "UTC"}


def post_event(
    emulator: EmulatorProcess, token: str, mailbox: str, body: dict[str, Any], **kw: Any
) -> requests.Response:
    return graph(emulator, "POST", f"/users/{mailbox}/events", token, json=body, **kw)


def meeting(day: date, hour: int, minutes: int, attendees: list[str], **fields: Any) -> dict[str, Any]:
    start = datetime(day.year, day.month, day.day, hour)
    return {
        "subject": fields.pop("subject", "Overlap: planning"),
        "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
        "end": {"dateTime": (start + timedelta(minutes=minutes)).isoformat(), "timeZone": "UTC"},
        "attendees": [{"emailAddress": {"address": a}, "type": "required"} for a in attendees],
        **fields,
    }


def mailbox(emulator: EmulatorProcess, address: str) -> list[dict[str, Any]]:
    """What the mailbox holds, through the control API."""
    events: list[dict[str, Any]] = emulator.control("GET", f"/tenants/{CONTOSO}/mailboxes/{address}/events")["value"]
    return events


def copy_of(emulator: EmulatorProcess, address: str, ical_uid: str) -> dict[str, Any]:
    return next(e for e in mailbox(emulator, address) if e["iCalUId"] == ical_uid)


def schedule(
    emulator: EmulatorProcess, token: str, addresses: list[str], start: dict[str, str], end: dict[str, str], **kw: Any
) -> requests.Response:
    body = {"schedules": addresses, "startTime": start, "endTime": end, **kw.pop("body", {})}
    return graph(emulator, "POST", f"/users/{ADELE}/calendar/getSchedule", token, json=body, **kw)


def empty_mailbox(emulator: EmulatorProcess, name: str, zone: str) -> str:
    """A new Contoso person whose calendar holds nothing yet (seeded calendars stay out of the way)."""
    address = f"{name}@contoso.onmicrosoft.com"
    body = {"userPrincipalName": address, "mail": address, "displayName": name, "mailboxTimeZone": zone}
    emulator.control("POST", f"/tenants/{CONTOSO}/users", body)
    return address


def occurrences(emulator: EmulatorProcess, address: str, event_id: str, start: str, end: str) -> list[tuple[str, str]]:
    """A series' occurrences in [start, end) as the control API expands them: (start, end) in UTC, ending in Z."""
    path = f"/tenants/{CONTOSO}/mailboxes/{address}/events?{urlencode({'start': start, 'end': end})}"
    event = next(e for e in emulator.control("GET", path)["value"] if e["id"] == event_id)
    return [(o["start"][:19] + "Z", o["end"][:19] + "Z") for o in event["occurrences"]]


def schedule_items(
    emulator: EmulatorProcess, token: str, address: str, start: str, end: str, **body: Any
) -> list[dict[str, Any]]:
    """getSchedule's items for one mailbox over [start, end) (UTC dateTimes), times in UTC."""
    response = schedule(
        emulator, token, [address], {"dateTime": start, "timeZone": "UTC"}, {"dateTime": end, "timeZone": "UTC"},
        body=body,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["value"][0]["scheduleItems"]
    return items
