"""Rooms for booking tests: Contoso's demo rooms (two buildings) turned on and synced, and their calendars set."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

from django.test import TestCase

from integrations.directory.rooms import rooms_sync
from integrations.directory.rooms_access import rooms_permission_check
from integrations.microsoft import auth
from integrations.models import Connection, Room, RoomList
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org

DOMAIN = "contoso.onmicrosoft.com"
TULIP, LISBON, OSLO, VIENNA, AMSTEL = (f"hq-{n}@{DOMAIN}" for n in ("tulip", "lisbon", "oslo", "vienna", "amstel"))
PUGET, RAINIER, CASCADE, OLYMPIC = (f"sea-{n}@{DOMAIN}" for n in ("puget", "rainier", "cascade", "olympic"))
HQ_LIST, SEATTLE_LIST = f"rooms-headquarters@{DOMAIN}", f"rooms-seattle@{DOMAIN}"
EVERY_ROOM = (TULIP, LISBON, OSLO, VIENNA, AMSTEL, PUGET, RAINIER, CASCADE, OLYMPIC)


def rooms_on(org: Org, emulator: EmulatorProcess) -> None:
    """Place.Read.All granted at Microsoft, rooms turned on by the admin, and the rooms synced."""
    body = {"client_id": emulator.client_id, "permissions": ["Place.Read.All"], "granted": True}
    emulator.control("POST", f"/tenants/{DOMAIN}/permissions", body)
    auth.forget_all()  # the grant shows in the next token, as after a consent
    Connection.objects.filter(organization=org.organization).update(rooms_enabled=True)
    with TestCase.captureOnCommitCallbacks(execute=False):  # the sync is run below, in this thread
        assert rooms_permission_check(connection=Connection.objects.get(organization=org.organization))
    rooms_sync(organization=org.organization)
    assert Room.objects.filter(organization=org.organization, address=LISBON).exists()


def room(org: Org, address: str) -> Room:
    return Room.objects.get(organization=org.organization, address=address)


def room_list(org: Org, address: str) -> RoomList:
    return RoomList.objects.get(organization=org.organization, address=address)


def clear_rooms(emulator: EmulatorProcess, start: datetime, end: datetime, rooms: tuple[str, ...] = EVERY_ROOM) -> None:
    """The demo rooms' seeded bookings out of [start, end)."""
    for address in rooms:
        emulator.clear(address, start, end)


def book_in_outlook(emulator: EmulatorProcess, address: str, start: datetime, minutes: int) -> None:
    """Someone books the room in Outlook: an accepted, busy booking in the room's own calendar."""
    span = {"start": start.isoformat(), "end": (start + timedelta(minutes=minutes)).isoformat()}
    emulator.control("POST", f"/tenants/{DOMAIN}/rooms/{address}/bookings", span)


def linked_rooms(org: Org, page: str) -> dict[datetime, str]:
    """Each time the page links to the confirmation step, with the address of the room its link names."""
    codes = {str(r.code): r.address for r in Room.objects.filter(organization=org.organization)}
    found: dict[datetime, str] = {}
    for link in re.findall(r'href="([^"]*/book/confirm\?[^"]+)"', page):
        query = parse_qs(urlsplit(html.unescape(link)).query)
        start = datetime.fromisoformat(unquote(query["start"][0]).replace("Z", "+00:00"))
        found[start] = codes.get(query.get("room", [""])[0], "")
    return found
