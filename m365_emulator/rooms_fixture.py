"""The demo organizations' rooms: room mailboxes with their place records, in room lists per building.

Contoso has two buildings: Headquarters in Amsterdam (W. Europe time) and the Seattle office (Pacific time),
rooms for 2 to 12 people, some with a display or video, one hidden from the address list (the places API never
returns it, getSchedule and invitations still reach it), one that cannot be reserved, and policies other than
the default among them. Fabrikam has one small office, for tests that need a foreign tenant's room.
Ids are fixed (`stable_id`), like people's, so that tests and notes can name a room.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time

from m365_emulator.state import BookingPolicy, DirectoryUser, Room, RoomList, Tenant, WorkingHours

ROOM_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday"]


@dataclass(frozen=True)
class Building:
    name: str
    list_alias: str  # the room list's mailbox alias
    city: str
    country: str
    zone: str  # Windows name: the rooms' mailbox time zone


@dataclass(frozen=True)
class RoomSpec:
    alias: str
    name: str
    capacity: int
    floor: int
    display: str | None = None
    video: str | None = None
    audio: str | None = None
    wheelchair: bool = False
    hidden: bool = False
    booking_type: str = "standard"
    tags: tuple[str, ...] = ()
    policy: Callable[[], BookingPolicy] = field(default=BookingPolicy)


HEADQUARTERS = Building("Headquarters", "rooms-headquarters", "Amsterdam", "Netherlands", "W. Europe Standard Time")
SEATTLE = Building("Seattle office", "rooms-seattle", "Seattle", "United States", "Pacific Standard Time")
FABRIKAM_OFFICE = Building("Fabrikam House", "rooms-fabrikam", "London", "United Kingdom", "GMT Standard Time")
SURFACE_HUB = "Surface Hub 2S"
TEAMS_ROOM = "Teams Rooms camera"

CONTOSO_ROOMS: list[tuple[Building, list[RoomSpec]]] = [
    (
        HEADQUARTERS,
        [
            RoomSpec("hq-tulip", "Focus room 1.01 Tulip", 2, 1),
            RoomSpec("hq-lisbon", "Room 1.12 Lisbon", 4, 1, display="Wall screen"),
            RoomSpec("hq-oslo", "Room 2.04 Oslo", 6, 2, SURFACE_HUB, TEAMS_ROOM, "Ceiling microphones", True),
            RoomSpec("hq-vienna", "Room 3.01 Vienna", 8, 3, SURFACE_HUB, TEAMS_ROOM, wheelchair=True),
            RoomSpec(
                "hq-amstel",
                "Boardroom 4.01 Amstel",
                12,
                4,
                SURFACE_HUB,
                TEAMS_ROOM,
                "Ceiling microphones",
                True,
                tags=("boardroom",),
                policy=lambda: BookingPolicy(maximum_duration_in_minutes=240, allow_recurring_meetings=False),
            ),
            RoomSpec("hq-executive", "Executive suite 4.02", 6, 4, SURFACE_HUB, TEAMS_ROOM, hidden=True),
        ],
    ),
    (
        SEATTLE,
        [
            RoomSpec("sea-puget", "Puget 1", 2, 1),
            RoomSpec("sea-rainier", "Rainier", 4, 2, display="Wall screen", wheelchair=True),
            RoomSpec("sea-cascade", "Cascade", 8, 2, "Wall screen", TEAMS_ROOM),
            RoomSpec(
                "sea-olympic",
                "Olympic",
                10,
                3,
                SURFACE_HUB,
                TEAMS_ROOM,
                policy=lambda: BookingPolicy(automate_processing="AutoUpdate"),
            ),
            RoomSpec("sea-lounge", "Lobby lounge", 12, 1, booking_type="reserved"),
        ],
    ),
]
FABRIKAM_ROOMS: list[tuple[Building, list[RoomSpec]]] = [
    (
        FABRIKAM_OFFICE,
        [RoomSpec("fab-thames", "Thames", 4, 1, display="Wall screen"), RoomSpec("fab-severn", "Severn", 8, 2)],
    )
]


def add_rooms(tenant: Tenant, buildings: list[tuple[Building, list[RoomSpec]]], make_id: Callable[..., str]) -> None:
    """Room lists and room mailboxes into the tenant, addressed in its default domain."""
    domain = tenant.domains[0]
    for building, specs in buildings:
        address = f"{building.list_alias}@{domain}"
        tenant.room_lists[address] = RoomList(
            make_id("roomlist", address), address, f"{building.name} rooms", building.city, building.country
        )
        for spec in specs:
            room = _room(spec, building, f"{spec.alias}@{domain}", address, make_id)
            tenant.rooms[room.id] = room
    tenant._index = None


def _room(
    spec: RoomSpec, building: Building, address: str, room_list: str, make_id: Callable[..., str]
) -> DirectoryUser:
    record = Room(
        capacity=spec.capacity,
        building=building.name,
        floor_number=spec.floor,
        floor_label=f"Floor {spec.floor}",
        audio_device=spec.audio,
        video_device=spec.video,
        display_device=spec.display,
        wheelchair_accessible=spec.wheelchair,
        booking_type=spec.booking_type,
        tags=list(spec.tags),
        nickname=spec.name,
        hidden_from_address_list=spec.hidden,
        room_list=room_list,
        city=building.city,
        country=building.country,
        policy=spec.policy(),
    )
    # A room mailbox's account is disabled (nobody signs in as a room) and it shares its bookings' subjects.
    return DirectoryUser(
        id=make_id("room", address),
        user_principal_name=address,
        mail=address,
        display_name=spec.name,
        account_enabled=False,
        mailbox_time_zone=building.zone,
        working_hours=WorkingHours(list(ROOM_DAYS), time(8), time(17), {"name": building.zone}),
        room=record,
    )
