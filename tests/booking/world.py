"""An organization connected to the emulator's Contoso, in either mode, and its people as members."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from django.test import Client
from django.urls import reverse

from accounts.models import Membership, User
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.emulator.helpers import app_token
from tests.integrations.helpers import browser, connect, connect_calendar, in_directory

DOMAIN = "contoso.onmicrosoft.com"


def address(name: str) -> str:
    """ "Megan Bowen" -> megan.bowen@contoso.onmicrosoft.com"""
    return name.lower().replace(" ", ".") + "@" + DOMAIN


def member(org: Org, name: str) -> Membership:
    """The Contoso person of this name as an active member (the directory sync may already have made them)."""
    user, _ = User.objects.get_or_create(email=address(name), defaults={"name": name})
    membership, _ = Membership.objects.get_or_create(user=user, organization=org.organization)
    return in_directory(membership)


def connected(org: Org, emulator: EmulatorProcess, mode: str, organizer: str = "Megan Bowen") -> Membership:
    """The organization connected in `mode`; the organizer's own calendar connected in individual mode."""
    connect(browser(org.admin), org, emulator, mode=mode)
    membership = member(org, organizer)
    if mode == "delegated":
        connect_calendar(browser(membership.user), org, emulator, membership.user.email)
    return membership


def next_week(days: int = 5) -> tuple[datetime, datetime]:
    """Next Monday 00:00 UTC to `days` days later."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    monday = today + timedelta(days=7 - today.weekday())
    return monday, monday + timedelta(days=days)


TENANT_USERS = "/tenants/contoso.onmicrosoft.com/users"


def set_zone(membership: Membership, zone: str) -> None:
    membership.user.time_zone = zone
    membership.user.save(update_fields=["time_zone"])


def schedule_calls(emulator: EmulatorProcess, since: int, until: int | None = None) -> int:
    """getSchedule calls Graph served after `since` (up to `until`), read from the emulator's own request log."""
    return sum(
        1
        for e in emulator.log(since)
        if e["path"].endswith("/calendar/getSchedule") and (until is None or e["seq"] <= until)
    )


def graph_calls(emulator: EmulatorProcess, since: int, until: int | None = None) -> list[str]:
    """Every Graph call served after `since` (up to `until`), as "METHOD path"."""
    return [
        f"{e['method']} {e['path']}"
        for e in emulator.log(since)
        if e["path"].startswith("/v1.0") and (until is None or e["seq"] <= until)
    ]


def find_bodies(emulator: EmulatorProcess, since: int) -> list[dict[str, Any]]:
    """The request bodies of the findMeetingTimes calls served after `since`, as Graph received them."""
    return [e["body"] for e in emulator.log(since) if e["path"] == "/v1.0/me/findMeetingTimes"]


def raw_busy(
    emulator: EmulatorProcess, token: str, addresses: list[str], start: datetime, end: datetime
) -> dict[str, list[tuple[datetime, datetime, str]]]:
    """Each person's busy items as Graph's own JSON says them (read apart from Overlap's client and parser)."""
    body = {
        "schedules": addresses,
        "startTime": {"dateTime": start.replace(tzinfo=None).isoformat(), "timeZone": "UTC"},
        "endTime": {"dateTime": end.replace(tzinfo=None).isoformat(), "timeZone": "UTC"},
        "availabilityViewInterval": 15,
    }
    answer = emulator.session.post(
        f"{emulator.base_url}/v1.0/users/{addresses[0]}/calendar/getSchedule",
        json=body,
        headers={"Authorization": f"Bearer {token}", "Prefer": 'outlook.timezone="UTC"'},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text

    def instant(value: dict[str, str]) -> datetime:
        return datetime.fromisoformat(value["dateTime"][:19]).replace(tzinfo=UTC)

    return {
        entry["scheduleId"]: [
            (instant(i["start"]), instant(i["end"]), i["status"]) for i in entry.get("scheduleItems", [])
        ]
        for entry in answer.json()["value"]
    }


def search_page(
    client: Client,
    org: Org,
    *,
    required: list[Membership],
    optional: list[Membership] = (),  # type: ignore[assignment]
    minutes: int = 30,
    days: tuple[date, date] | None = None,
    required_ids: list[str] | None = None,
    **extra: str | list[str],
) -> tuple[str, list[datetime]]:
    """Search as the page's htmx request does; returns the answer, with the days "Show more days" adds after it
    (as a member who asks for every day sees them), and the UTC starts of the times it links."""
    first, last = days or next_week_days()
    query: dict[str, Any] = {
        "required": required_ids if required_ids is not None else [str(m.user.uuid) for m in required],
        "optional": [str(m.user.uuid) for m in optional],
        "minutes": str(minutes),
        "start_date": first.isoformat(),
        "end_date": last.isoformat(),
        "subject": "Quarterly planning",
        "teams": "on",
        **extra,
    }
    response = client.get(reverse("booking_page", kwargs={"code": org.code}), query, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    page = response.content.decode()
    page += more_days(client, page)
    return page, linked_starts(page)


def more_days(client: Client, page: str) -> str:
    """The days the page's "Show more days" adds, as its htmx request gets them ("" when it has no such link)."""
    link = re.search(r'id="show-more-days" href="([^"]+)"', page)
    if link is None:
        return ""
    response = client.get(html.unescape(link.group(1)), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return str(response.content.decode())


def linked_starts(page: str) -> list[datetime]:
    """The distinct UTC starts of the times the page links to the confirmation step, sorted."""
    found = {
        datetime.fromisoformat(unquote(match).replace("Z", "+00:00"))
        for match in re.findall(r"/book/confirm\?start=([^&\"]+)", html.unescape(page))
    }
    return sorted(found)


def next_week_days() -> tuple[date, date]:
    """Next Monday to Friday (dates)."""
    start, _ = next_week()
    return start.date(), start.date() + timedelta(days=4)


def plant(emulator: EmulatorProcess, mailbox: str, body: dict[str, Any]) -> None:
    """An event put straight into a mailbox (as its owner would in Outlook), through Graph with the app's token."""
    answer = emulator.session.post(
        f"{emulator.base_url}/v1.0/users/{mailbox}/events",
        json=body,
        headers={"Authorization": f"Bearer {app_token(emulator)}"},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text


def event(start: datetime, minutes: int, subject: str, **fields: Any) -> dict[str, Any]:
    """An event body in UTC; `fields` add e.g. showAs or a recurrence."""
    end = start + timedelta(minutes=minutes)
    return {
        "subject": subject,
        "start": {"dateTime": start.replace(tzinfo=None).isoformat(), "timeZone": "UTC"},
        "end": {"dateTime": end.replace(tzinfo=None).isoformat(), "timeZone": "UTC"},
        **fields,
    }
