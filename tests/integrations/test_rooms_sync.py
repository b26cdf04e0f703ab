"""What a rooms sync makes of the places API's answer: rooms in, a room Graph stops listing (removed in Exchange,
or hidden from the address list since) out, bookings keep the room's name and address, lists follow.

These apply canned Graph rooms (parsed as the client parses them); the round trip over HTTPS comes with the
emulator's places API."""

from __future__ import annotations

from integrations.directory.rooms import _apply
from integrations.microsoft import parse
from integrations.microsoft.types import Room as GraphRoom
from integrations.models import Room, RoomList
from tests.conftest import Org

HQ = parse.room_list({"id": "l1", "emailAddress": "hq@contoso.example", "displayName": "Headquarters"})


def _room(name: str, capacity: int = 4, **extra: str) -> GraphRoom:
    return parse.room(
        {"id": name, "emailAddress": f"{name}@contoso.example", "displayName": name.title(), "capacity": capacity}
        | extra
    )


def test_rooms_come_in_with_their_list_seats_and_equipment(org: Org) -> None:
    rooms = [_room("fjord", 8, displayDeviceName="Hub", building="Headquarters"), _room("birch", 2)]

    result = _apply(org.organization, [HQ], rooms, {"fjord@contoso.example": "hq@contoso.example"})

    fjord = Room.objects.get(organization=org.organization, address="fjord@contoso.example")
    assert (result.added, result.removed, result.lists) == (2, 0, 1)
    assert (fjord.capacity, fjord.has_display, fjord.has_video, fjord.building) == (8, True, False, "Headquarters")
    assert fjord.room_list == RoomList.objects.get(organization=org.organization, address="hq@contoso.example")


def test_a_room_graph_no_longer_lists_is_removed_and_a_changed_one_updated(org: Org, other_org: Org) -> None:
    _apply(org.organization, [HQ], [_room("fjord"), _room("birch")], {})
    _apply(other_org.organization, [], [_room("birch")], {})

    result = _apply(org.organization, [], [_room("fjord", 6)], {})

    ours = Room.objects.filter(organization=org.organization)
    assert (result.added, result.updated, result.removed) == (0, 1, 1)
    assert [(r.address, r.capacity) for r in ours] == [("fjord@contoso.example", 6)]
    assert not RoomList.objects.filter(organization=org.organization).exists()
    assert Room.objects.filter(organization=other_org.organization, address="birch@contoso.example").exists()
