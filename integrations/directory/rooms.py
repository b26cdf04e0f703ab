"""Rooms and room lists, kept in step with the places API (both modes: the tenant's app-only token).

The places API has no delta query, so every sync reads rooms and room lists in full (paged, 100 a page; an
organization has hundreds of rooms, not hundreds of thousands). Rooms hidden from the address list are never
returned by Graph, so they never appear here; a room Graph no longer lists (removed in Exchange, or hidden
since) is deleted here, and a booking keeps the room's name and address. Only rooms with an address are kept:
an address is what getSchedule and a resource attendee need. Rooms whose booking type is `reserved` cannot be
booked and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from integrations.connection.clients import organization_client
from integrations.connection.log import audit
from integrations.connection.lookup import connection_rows
from integrations.microsoft.client import GraphClient
from integrations.microsoft.types import Room as GraphRoom
from integrations.microsoft.types import RoomList as GraphRoomList
from integrations.models import IntegrationEvent, Room, RoomList

_ROOM_FIELDS = (
    "name",
    "capacity",
    "building",
    "floor_label",
    "floor_number",
    "has_display",
    "has_video",
    "has_audio",
    "wheelchair",
    "room_list",
    "synced_at",
)


@dataclass
class RoomsSyncResult:
    added: int = 0
    updated: int = 0
    removed: int = 0
    lists: int = 0

    @property
    def summary(self) -> str:
        return f"{self.added} room(s) added, {self.updated} updated, {self.removed} removed; {self.lists} room list(s)"


def rooms_sync(*, organization: Organization) -> RoomsSyncResult:
    """Read every room and room list Graph lists and make Overlap's rooms the same. Raises the client's errors
    (the task retries the transient ones); nothing is written unless the whole read worked."""
    client = organization_client(organization=organization)
    lists = client.room_lists()
    rooms = [r for r in client.rooms() if r.address and "@" in r.address and r.bookable]
    list_of = _list_of_each_room(client, lists)
    with transaction.atomic():
        result = _apply(organization, lists, rooms, list_of)
        connection_rows(organization=organization).update(
            rooms_synced_at=timezone.now(), rooms_sync_summary=result.summary[:300]
        )
    if result.added or result.removed:
        audit(organization=organization, actor=None, kind=IntegrationEvent.Kind.ROOMS_SYNCED, detail=result.summary)
    return result


def _list_of_each_room(client: GraphClient, lists: list[GraphRoomList]) -> dict[str, str]:
    """Each room's address to its room list's address (a room in two lists keeps the first)."""
    found: dict[str, str] = {}
    for room_list in lists:
        for room in client.rooms_of_list(room_list.address):
            found.setdefault(room.address, room_list.address)
    return found


def _apply(
    organization: Organization, lists: list[GraphRoomList], rooms: list[GraphRoom], list_of: dict[str, str]
) -> RoomsSyncResult:
    result = RoomsSyncResult(lists=len(lists))
    by_address = _apply_lists(organization, lists)
    known = {room.address: room for room in Room.objects.filter(organization=organization)}
    now = timezone.now()
    for graph_room in rooms:
        fields = _fields(graph_room, by_address.get(list_of.get(graph_room.address, "")), now)
        row = known.pop(graph_room.address, None)
        if row is None:
            Room.objects.create(organization=organization, address=graph_room.address, **fields)
            result.added += 1
        elif any(getattr(row, name) != value for name, value in fields.items() if name != "synced_at"):
            Room.objects.filter(pk=row.pk).update(**fields)
            result.updated += 1
    result.removed = Room.objects.filter(pk__in=[room.pk for room in known.values()]).delete()[0]
    return result


def _apply_lists(organization: Organization, lists: list[GraphRoomList]) -> dict[str, RoomList]:
    now = timezone.now()
    kept: dict[str, RoomList] = {}
    for graph_list in lists:
        if not graph_list.address:
            continue
        row, _ = RoomList.objects.update_or_create(
            organization=organization,
            address=graph_list.address,
            defaults={"name": graph_list.display_name[:200], "synced_at": now},
        )
        kept[row.address] = row
    RoomList.objects.filter(organization=organization).exclude(address__in=list(kept)).delete()
    return kept


def _fields(room: GraphRoom, room_list: RoomList | None, now: object) -> dict[str, object]:
    return {
        "name": room.display_name[:200],
        "capacity": room.capacity if room.capacity is not None and room.capacity >= 0 else None,
        "building": room.building[:200],
        "floor_label": room.floor_label[:100],
        "floor_number": room.floor_number,
        "has_display": bool(room.display_device),
        "has_video": bool(room.video_device),
        "has_audio": bool(room.audio_device),
        "wheelchair": room.wheelchair,
        "room_list": room_list,
        "synced_at": now,
    }
