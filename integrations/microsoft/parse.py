"""Graph's JSON to Overlap's types. The only place that knows Graph's response shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from integrations.microsoft.errors import MicrosoftError
from integrations.microsoft.timezones import parse_date_time_zone, parse_datetime, parse_time_of_day, zone_from_graph
from integrations.microsoft.types import (
    FREE_BUSY_STATUSES,
    RESPONSES,
    TAG_PROPERTY_ID,
    Attendee,
    AttendeeAvailability,
    BusyItem,
    DirectoryUser,
    Event,
    MeetingTimeSuggestion,
    MeetingTimeSuggestions,
    Occurrence,
    Room,
    RoomList,
    Schedule,
    ScheduleError,
    WorkingHours,
)

_STATUS = {s.lower(): s for s in FREE_BUSY_STATUSES}
_RESPONSE = {r.lower(): r for r in RESPONSES} | {"notresponded": "none"}
_EMPTY_REASONS = (
    "attendeesUnavailable",
    "attendeesUnavailableOrUnknown",
    "locationsUnavailable",
    "organizerUnavailable",
    "unknown",
)
_EMPTY_REASON = {r.lower(): r for r in _EMPTY_REASONS}
_NO_TIME_YET = "0001-01-01"


def free_busy_status(value: Any) -> str:
    """Graph's status in canonical casing (Graph's own casing varies); anything else is unknown."""
    return _STATUS.get(str(value or "").lower(), "unknown")


def user(data: dict[str, Any]) -> DirectoryUser:
    return DirectoryUser(
        id=str(data["id"]),
        display_name=str(data.get("displayName") or ""),
        mail=data.get("mail") or None,
        user_principal_name=str(data.get("userPrincipalName") or ""),
        account_enabled=data.get("accountEnabled"),
        user_type=data.get("userType"),
        given_name=data.get("givenName"),
        surname=data.get("surname"),
        job_title=data.get("jobTitle"),
    )


def room(data: dict[str, Any]) -> Room:
    """One `microsoft.graph.room`; capacity may come as a string (an old Graph example sends "50")."""
    return Room(
        id=str(data.get("id") or ""),
        address=str(data.get("emailAddress") or "").lower(),
        display_name=str(data.get("displayName") or data.get("emailAddress") or ""),
        capacity=_int_or_none(data.get("capacity")),
        building=str(data.get("building") or ""),
        floor_number=_int_or_none(data.get("floorNumber")),
        floor_label=str(data.get("floorLabel") or ""),
        display_device=str(data.get("displayDeviceName") or ""),
        video_device=str(data.get("videoDeviceName") or ""),
        audio_device=str(data.get("audioDeviceName") or ""),
        wheelchair=bool(data.get("isWheelChairAccessible")),
        bookable=str(data.get("bookingType") or "standard").lower() != "reserved",
        place_id=str(data.get("placeId") or ""),
    )


def room_list(data: dict[str, Any]) -> RoomList:
    return RoomList(
        id=str(data.get("id") or ""),
        address=str(data.get("emailAddress") or "").lower(),
        display_name=str(data.get("displayName") or data.get("emailAddress") or ""),
    )


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def schedule(data: dict[str, Any]) -> Schedule:
    """One scheduleInformation; subject, location and isPrivate are dropped here on purpose."""
    address = str(data.get("scheduleId") or "")
    error = data.get("error")
    if error:
        return Schedule(address=address, error=_schedule_error(error))
    return Schedule(
        address=address,
        availability_view=str(data.get("availabilityView") or ""),
        items=tuple(_busy_item(item) for item in data.get("scheduleItems") or []),
        working_hours=_working_hours(data.get("workingHours")),
    )


def _schedule_error(error: Any) -> ScheduleError:
    if not isinstance(error, dict):
        return ScheduleError(message=str(error), response_code="")
    return ScheduleError(message=str(error.get("message") or ""), response_code=str(error.get("responseCode") or ""))


def _busy_item(item: dict[str, Any]) -> BusyItem:
    return BusyItem(
        start=parse_date_time_zone(item["start"]),
        end=parse_date_time_zone(item["end"]),
        status=free_busy_status(item.get("status")),
    )


def _working_hours(data: Any) -> WorkingHours | None:
    """None when Graph gave none, or gave a zone Overlap cannot read (callers then use defaults)."""
    if not isinstance(data, dict) or not data.get("startTime") or not data.get("endTime"):
        return None
    try:
        tz = zone_from_graph(data.get("timeZone") or {"name": "UTC"})
    except (MicrosoftError, ValueError, KeyError):
        return None
    return WorkingHours(
        days=tuple(str(d).lower() for d in data.get("daysOfWeek") or []),
        start=parse_time_of_day(str(data["startTime"])),
        end=parse_time_of_day(str(data["endTime"])),
        tz=tz,
    )


def meeting_time_suggestions(data: dict[str, Any]) -> MeetingTimeSuggestions:
    reason = str(data.get("emptySuggestionsReason") or "")
    return MeetingTimeSuggestions(
        suggestions=tuple(_suggestion(s) for s in data.get("meetingTimeSuggestions") or []),
        empty_reason=_EMPTY_REASON.get(reason.lower(), reason),
    )


def _suggestion(data: dict[str, Any]) -> MeetingTimeSuggestion:
    slot = data["meetingTimeSlot"]
    order = data.get("order")
    return MeetingTimeSuggestion(
        start=parse_date_time_zone(slot["start"]),
        end=parse_date_time_zone(slot["end"]),
        confidence=float(data.get("confidence") or 0),
        organizer_availability=free_busy_status(data.get("organizerAvailability")),
        attendees=tuple(
            AttendeeAvailability(
                address=str(a.get("attendee", {}).get("emailAddress", {}).get("address") or ""),
                availability=free_busy_status(a.get("availability")),
            )
            for a in data.get("attendeeAvailability") or []
        ),
        reason=str(data.get("suggestionReason") or ""),
        order=int(order) if order is not None else None,
    )


def event(data: dict[str, Any]) -> Event:
    return Event(
        id=str(data["id"]),
        ical_uid=data.get("iCalUId"),
        subject=data.get("subject"),
        start=parse_date_time_zone(data["start"]) if data.get("start") else None,
        end=parse_date_time_zone(data["end"]) if data.get("end") else None,
        is_cancelled=bool(data.get("isCancelled")),
        web_link=data.get("webLink"),
        join_url=(data.get("onlineMeeting") or {}).get("joinUrl") or data.get("onlineMeetingUrl"),
        attendees=tuple(_attendee(a) for a in data.get("attendees") or []),
        organizer=((data.get("organizer") or {}).get("emailAddress") or {}).get("address"),
        transaction_id=data.get("transactionId"),
        tag=_tag(data),
        response=_response(data.get("responseStatus")),
        change_key=data.get("changeKey"),
        show_as=data.get("showAs"),
        is_organizer=data.get("isOrganizer"),
    )


def occurrence(data: dict[str, Any]) -> Occurrence:
    """One item of a series' instances listing; `originalStart` is a UTC instant (Graph's DateTimeOffset)."""
    return Occurrence(
        id=str(data["id"]),
        series_master_id=str(data.get("seriesMasterId") or ""),
        original_start=parse_datetime(str(data["originalStart"])),
        start=parse_date_time_zone(data["start"]),
        end=parse_date_time_zone(data["end"]),
        kind="exception" if str(data.get("type") or "").lower() == "exception" else "occurrence",
        attendees=tuple(_attendee(a) for a in data.get("attendees") or []),
    )


def _attendee(data: dict[str, Any]) -> Attendee:
    email = data.get("emailAddress") or {}
    status = data.get("status") or {}
    return Attendee(
        address=str(email.get("address") or ""),
        name=str(email.get("name") or ""),
        type=str(data.get("type") or "required").lower(),
        response=_response(status) or "none",
        response_time=_response_time(status.get("time")),
    )


def _response(status: Any) -> str | None:
    if not isinstance(status, dict) or not status.get("response"):
        return None
    return _RESPONSE.get(str(status["response"]).lower(), "none")


def _response_time(value: Any) -> datetime | None:
    if not value or str(value).startswith(_NO_TIME_YET):
        return None
    return parse_datetime(str(value))


def _tag(data: dict[str, Any]) -> str | None:
    for prop in data.get("singleValueExtendedProperties") or []:
        if str(prop.get("id", "")).lower() == TAG_PROPERTY_ID.lower():
            return str(prop.get("value"))
    return None
