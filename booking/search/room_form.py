"""The "Room" part of the booking forms: in person, hybrid or no room (the default), seats, a building or room
list, equipment; and the room a confirmation link or a booking names.

One mixin for the search, the confirmation link and the booking itself, so the three read it the same way. Room
lists and rooms are looked up in the member's organization only: another organization's code is "not one of
your organization's", like a code that names nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

import integrations.calendars as calendars
from accounts.models import Membership
from booking.models import RoomPreference
from booking.search.rooms import RoomAsk

ROOM_MODES = (("", _("No room")), ("in_person", _("In person")), ("hybrid", _("Hybrid (others join by Teams)")))
ROOM_PARAMS = ("room_mode", "seats", "room_list", "display", "video")
MOST_SEATS = 500


class RoomFields(forms.Form):
    """What the member asks of a room; nothing (no room) unless `room_mode` says in person or hybrid."""

    room_mode = forms.ChoiceField(label=_("Room"), choices=ROOM_MODES, required=False, widget=forms.RadioSelect)
    seats = forms.IntegerField(label=_("Seats"), required=False, min_value=1, max_value=MOST_SEATS)
    room_list = forms.CharField(label=_("Building or room list"), required=False, max_length=64)
    display = forms.BooleanField(label=_("A display"), required=False)
    video = forms.BooleanField(label=_("Video"), required=False)

    def room_ask_from(self, cleaned: dict[str, Any], *, organizer: Membership, people: int) -> RoomAsk | None:
        """The room asked for (seats default to everyone in the meeting), or None for no room; a problem is added
        to the form (and None returned) when it cannot be searched."""
        mode = cleaned.get("room_mode") or ""
        if not mode or any(name in self.errors for name in ROOM_PARAMS):
            return None
        room_list = ""
        if code := (cleaned.get("room_list") or "").strip():
            found = room_list_of(organizer, code)
            if found is None:
                self.add_error(
                    "room_list", gettext("This is not one of your organization's room lists: pick one from the list.")
                )
                return None
            room_list = found.address
        return RoomAsk(
            mode=mode,
            seats=cleaned.get("seats") or people,
            display=bool(cleaned.get("display")),
            video=bool(cleaned.get("video")),
            room_list=room_list,
            building=usual_building(organizer),
        )


class ChosenRoomField(forms.Form):
    """The room a confirmation link or a booking names, by its code (UUID)."""

    room = forms.CharField(required=False, max_length=64)

    def chosen_room(self, organizer: Membership, ask: RoomAsk | None) -> calendars.Room | None:
        """The named room of the organizer's organization, or None (no room); a problem is added to the form
        when a room is named without a room asked for, or names no room of the organization."""
        code = (self.cleaned_data.get("room") or "").strip()
        if not code:
            if ask is not None:
                self.add_error("room", gettext("Pick a time with its room on the booking page."))
            return None
        room = room_of(organizer, code)
        if room is None or ask is None:
            self.add_error(
                "room", gettext("This is not one of your organization's rooms: pick a time with its room again.")
            )
            return None
        return room


def room_list_of(organizer: Membership, code: str) -> calendars.RoomList | None:
    key = _uuid(code)
    found = calendars.RoomList.objects.filter(organization_id=organizer.organization_id, code=key) if key else None
    return found.first() if found is not None else None


def room_of(organizer: Membership, code: str) -> calendars.Room | None:
    key = _uuid(code)
    found = calendars.Room.objects.filter(organization_id=organizer.organization_id, code=key) if key else None
    return found.select_related("room_list").first() if found is not None else None


def usual_building(organizer: Membership) -> str:
    """The building of the member's remembered room list ("" before they book a room)."""
    return RoomPreference.objects.filter(membership=organizer).values_list("building", flat=True).first() or ""


def usual_room_list(organizer: Membership) -> str:
    """The code of the member's remembered room list, the booking page's default ("" any)."""
    found = RoomPreference.objects.filter(membership=organizer, room_list__isnull=False)
    code = found.values_list("room_list__code", flat=True).first()
    return str(code) if code else ""


def room_query(cleaned: dict[str, Any], room_list: str) -> list[tuple[str, str]]:
    """The room fields as a link's query carries them on (none without a room)."""
    mode = cleaned.get("room_mode") or ""
    if not mode:
        return []
    params = [("room_mode", mode), ("seats", str(cleaned["room_ask"].seats))]
    params += [("room_list", room_list)] if room_list else []
    params += [(name, "on") for name in ("display", "video") if cleaned.get(name)]
    return params


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        return None
