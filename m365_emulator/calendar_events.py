"""Events as Graph writes and reads them: the event resource's JSON, and create/PATCH bodies applied to an Event."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime, tzinfo
from typing import Any
from urllib.parse import quote

from m365_emulator.calendar import SHOW_AS, Attendee, Event, day_index
from m365_emulator.calendar_json import (
    VALIDATION_FAILED,
    as_bool,
    as_number,
    bad_zone,
    read_time,
    write_time,
)
from m365_emulator.calendar_recurrence import INDEXES, PATTERNS, RANGES, Recurrence
from m365_emulator.calendar_tz import DAY_NAMES, UnknownTimeZone, format_graph, zone_for_name
from m365_emulator.http import GraphError

SENSITIVITIES = ("normal", "personal", "private", "confidential")
ATTENDEE_TYPES = ("required", "optional", "resource")
PROVIDERS = {"teamsforbusiness": "teamsForBusiness", "skypeforbusiness": "skypeForBusiness"}
PROVIDERS |= {"skypeforconsumer": "skypeForConsumer", "unknown": "unknown"}
OWA = "https://outlook.office365.com/owa/"
_HTML_HEAD = '<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n</head>'
_PROP_ID = re.compile(r"^\s*(\S+)\s+(\{[0-9a-fA-F-]{36}\})\s+(Name|Id)\s+(.+?)\s*$", re.IGNORECASE)


def property_key(prop_id: str) -> tuple[str, ...]:
    """How Exchange compares extended property ids: type, GUID and kind ignore case; the Name part does not."""
    match = _PROP_ID.match(prop_id)
    if not match:
        return (prop_id.strip().lower(),)
    kind, guid, form, name = match.groups()
    return (kind.lower(), guid.lower(), form.lower(), name if form.lower() == "name" else name.lower())


# ----- writing -------------------------------------------------------------------------------------------------


def event_json(event: Event, *, zone_name: str, zone: tzinfo, immutable: bool) -> dict[str, Any]:
    """The full event resource, times in the response zone."""
    event_id = event.immutable_id if immutable else event.id
    body: dict[str, Any] = {
        "@odata.etag": f'W/"{event.change_key}"',
        "id": event_id,
        "createdDateTime": _stamp(event.created),
        "lastModifiedDateTime": _stamp(event.modified),
        "changeKey": event.change_key,
        "categories": list(event.categories),
        "originalStartTimeZone": event.start_zone,
        "originalEndTimeZone": event.end_zone,
        "iCalUId": event.ical_uid,
        "reminderMinutesBeforeStart": event.reminder_minutes,
        "isReminderOn": event.is_reminder_on,
        "hasAttachments": False,
        "subject": event.subject,
        "bodyPreview": re.sub(r"<[^>]+>", "", event.body)[:255],
        "importance": event.importance,
        "sensitivity": event.sensitivity,
        "isAllDay": event.is_all_day,
        "isCancelled": event.is_cancelled,
        "isOrganizer": event.is_organizer,
        "responseRequested": event.response_requested,
        "seriesMasterId": None,
        "showAs": event.show_as,
        "type": "seriesMaster" if event.recurrence else "singleInstance",
        "webLink": f"{OWA}?itemid={quote(event_id, safe='')}&exvsurl=1&path=/calendar/item",
        "onlineMeetingUrl": None,
        "isOnlineMeeting": event.is_online_meeting,
        "onlineMeetingProvider": event.online_provider,
        "allowNewTimeProposals": event.allow_new_time_proposals,
        "isDraft": False,
        "hideAttendees": event.hide_attendees,
        "responseStatus": {"response": event.response, "time": event.response_time},
        "body": {"contentType": event.body_type, "content": _body_content(event)},
        "start": write_time(event.start, zone_name, zone),
        "end": write_time(event.end, zone_name, zone),
        "location": _location(event.location),
        "locations": [_location(event.location)] if event.location.get("displayName") else [],
        "recurrence": _recurrence_json(event.recurrence),
        "attendees": [_attendee_json(a) for a in event.attendees],
        "organizer": {"emailAddress": {"name": event.organizer_name, "address": event.organizer_address}},
        "onlineMeeting": {"joinUrl": event.join_url} if event.join_url else None,
    }
    if event.transaction_id:
        body["transactionId"] = event.transaction_id
    return body


def _stamp(moment: datetime) -> str:
    return format_graph(moment, UTC) + "Z"


def _body_content(event: Event) -> str:
    if event.body_type != "html":
        return event.body
    return f"{_HTML_HEAD}\r\n<body>\r\n{event.body}\r\n</body>\r\n</html>\r\n"


def _location(location: dict[str, Any]) -> dict[str, Any]:
    return {
        "displayName": location.get("displayName", ""),
        "locationType": location.get("locationType", "default"),
        "uniqueIdType": location.get("uniqueIdType", "unknown"),
        **({"uniqueId": location["uniqueId"]} if location.get("uniqueId") else {}),
        **({"locationEmailAddress": location["locationEmailAddress"]} if location.get("locationEmailAddress") else {}),
    }


def _attendee_json(attendee: Attendee) -> dict[str, Any]:
    return {
        "type": attendee.type,
        "status": {"response": attendee.response, "time": attendee.response_time},
        "emailAddress": {"name": attendee.name, "address": attendee.address},
    }


def _recurrence_json(rec: Recurrence | None) -> dict[str, Any] | None:
    if rec is None:
        return None
    pattern: dict[str, Any] = {
        "type": rec.pattern,
        "interval": rec.interval,
        "month": rec.month,
        "dayOfMonth": rec.day_of_month,
        "daysOfWeek": [DAY_NAMES[d] for d in rec.days_of_week],
        "firstDayOfWeek": DAY_NAMES[rec.first_day_of_week],
        "index": rec.index,
    }
    return {
        "pattern": pattern,
        "range": {
            "type": rec.range_type,
            "startDate": rec.start_date.isoformat(),
            "endDate": rec.end_date.isoformat() if rec.end_date else "0001-01-01",
            "recurrenceTimeZone": rec.time_zone,
            "numberOfOccurrences": rec.occurrences or 0,
        },
    }


def extended_json(event: Event, wanted: str | None) -> list[dict[str, str]]:
    """The event's single-value extended properties, all or only the one `wanted` names."""
    key = property_key(wanted) if wanted else None
    return [{"id": pid, "value": v} for pid, v in event.extended.items() if key is None or property_key(pid) == key]


# ----- reading -------------------------------------------------------------------------------------------------


def apply_fields(event: Event, body: dict[str, Any], *, creating: bool) -> set[str]:
    """Apply a create or PATCH body (keys lower-cased) to `event`; returns the fields that were sent."""
    sent = set(body)
    _apply_text(event, body)
    _apply_flags(event, body, creating=creating)
    old_start = event.start
    if "start" in body or "end" in body or creating:
        _apply_times(event, body)
    if not creating and "recurrence" not in body:
        event.shift_range(old_start)
    if "location" in body or "locations" in body:
        event.location = _read_location(body)
    if "attendees" in body:
        event.attendees = _read_attendees(body["attendees"], event.attendees)
    if "recurrence" in body:
        event.recurrence = _read_recurrence(body["recurrence"], event)
    for prop in body.get("singlevalueextendedproperties") or []:
        if isinstance(prop, dict) and prop.get("id"):
            event.extended[str(prop["id"])] = str(prop.get("value", ""))
    return sent


def _apply_text(event: Event, body: dict[str, Any]) -> None:
    if "subject" in body:
        event.subject = str(body["subject"] or "")
    if isinstance(body.get("body"), dict):
        event.body_type = "text" if str(body["body"].get("contenttype", "")).lower() == "text" else "html"
        event.body = str(body["body"].get("content") or "")
    if "showas" in body:
        event.show_as = _choice(body["showas"], SHOW_AS, "showAs")
    if "sensitivity" in body:
        event.sensitivity = _choice(body["sensitivity"], {s: s for s in SENSITIVITIES}, "sensitivity")
    if "importance" in body:
        event.importance = _choice(body["importance"], {s: s for s in ("low", "normal", "high")}, "importance")
    if "categories" in body:
        event.categories = [str(c) for c in body["categories"] or []]


def _apply_flags(event: Event, body: dict[str, Any], *, creating: bool) -> None:
    event.is_all_day = as_bool(body.get("isallday"), event.is_all_day)
    event.is_reminder_on = as_bool(body.get("isreminderon"), event.is_reminder_on)
    event.reminder_minutes = int(as_number(body.get("reminderminutesbeforestart"), "reminder", event.reminder_minutes))
    event.response_requested = as_bool(body.get("responserequested"), event.response_requested)
    event.allow_new_time_proposals = as_bool(body.get("allownewtimeproposals"), event.allow_new_time_proposals)
    event.hide_attendees = as_bool(body.get("hideattendees"), event.hide_attendees)
    if creating:  # transactionId and the online meeting cannot change after creation; later values are ignored
        event.transaction_id = str(body["transactionid"]) if body.get("transactionid") else None
        _apply_online_meeting(event, body)


def _apply_online_meeting(event: Event, body: dict[str, Any]) -> None:
    event.is_online_meeting = as_bool(body.get("isonlinemeeting"), False)
    if not event.is_online_meeting:
        return
    event.online_provider = _choice(body.get("onlinemeetingprovider") or "teamsForBusiness", PROVIDERS, "provider")
    thread = secrets.token_hex(16)
    event.join_url = f"https://teams.microsoft.com/l/meetup-join/19%3ameeting_{thread}%40thread.v2/0"


def _choice(value: Any, allowed: dict[str, str], name: str) -> str:
    found = allowed.get(str(value).strip().lower())
    if found is None:
        raise GraphError(400, "BadRequest", f"Invalid value '{value}' for property '{name}'.")
    return found


def _apply_times(event: Event, body: dict[str, Any]) -> None:
    if "start" in body or not event.start_zone:
        event.start, event.start_zone = read_time(body.get("start"), "start")
    if "end" in body or not event.end_zone:
        event.end, event.end_zone = read_time(body.get("end"), "end")
    if event.end < event.start:  # Graph answers this with its generic validation failure (observed)
        raise GraphError(400, "ErrorPropertyValidationFailure", VALIDATION_FAILED)
    if event.is_all_day and not _whole_days(event):
        raise GraphError(400, "ErrorPropertyValidationFailure", VALIDATION_FAILED)


def _whole_days(event: Event) -> bool:
    zone = zone_for_name(event.start_zone)
    start, end = event.start.astimezone(zone), event.end.astimezone(zone)
    return start.time() == end.time() == datetime.min.time() and end > start


def _read_location(body: dict[str, Any]) -> dict[str, Any]:
    raw = body.get("location") or next(iter(body.get("locations") or []), None) or {}
    if not isinstance(raw, dict):
        return {}
    location = {"displayName": str(raw.get("displayname") or "")}
    for key, name in (("locationtype", "locationType"), ("uniqueid", "uniqueId"), ("uniqueidtype", "uniqueIdType")):
        if raw.get(key):
            location[name] = str(raw[key])
    if raw.get("locationemailaddress"):
        location["locationEmailAddress"] = str(raw["locationemailaddress"])
    return location


def _read_attendees(raw: Any, previous: list[Attendee]) -> list[Attendee]:
    """New attendee list; people already on the meeting keep their answers."""
    known = {a.address.lower(): a for a in previous}
    attendees = []
    for item in raw or []:
        email = (item or {}).get("emailaddress") or {}
        address = str(email.get("address") or "").strip()
        if not address:
            raise GraphError(400, "ErrorInvalidRecipients", "At least one recipient isn't valid.")
        kind = _choice(item.get("type") or "required", {t: t for t in ATTENDEE_TYPES}, "type")
        old = known.get(address.lower())
        attendee = Attendee(address, str(email.get("name") or address), kind)
        if old is not None:
            attendee.response, attendee.response_time = old.response, old.response_time
        attendees.append(attendee)
    if len(attendees) > 500:
        raise GraphError(400, "ErrorTooManyRecipients", "An event can have at most 500 attendees.")
    return attendees


def _read_recurrence(raw: Any, event: Event) -> Recurrence | None:
    """A patternedRecurrence body (keys lower-cased), checked as `recurrencePattern` / `recurrenceRange` document.

    `recurrenceTimeZone` defaults to the start's zone; `startDate` to the start's date in that zone.
    """
    if not raw:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("pattern") or {}, dict):
        raise GraphError(400, "ErrorPropertyValidationFailure", VALIDATION_FAILED)
    pattern, rng = raw.get("pattern") or {}, raw.get("range") or {}
    kind = _choice(pattern.get("type", ""), {p.lower(): p for p in PATTERNS}, "type")
    range_type = _choice(rng.get("type") or "noEnd", {r.lower(): r for r in RANGES}, "type")
    zone = str(rng.get("recurrencetimezone") or event.start_zone or "UTC")
    try:
        local_start = event.start.astimezone(zone_for_name(zone)).date()
        rec = Recurrence(
            pattern=kind,
            interval=int(as_number(pattern.get("interval"), "interval", 1)),
            days_of_week=tuple(day_index(str(d)) for d in pattern.get("daysofweek") or []),
            first_day_of_week=day_index(str(pattern.get("firstdayofweek") or "sunday")),
            range_type=range_type,
            start_date=date.fromisoformat(str(rng.get("startdate") or local_start.isoformat())),
            end_date=_optional_date(rng.get("enddate")),
            occurrences=int(as_number(rng.get("numberofoccurrences"), "numberOfOccurrences", 0)) or None,
            time_zone=zone,
            day_of_month=int(as_number(pattern.get("dayofmonth"), "dayOfMonth", 0)),
            month=int(as_number(pattern.get("month"), "month", 0)),
            index=_choice(pattern.get("index") or "first", {i: i for i in INDEXES}, "index"),
        )
    except UnknownTimeZone:
        raise bad_zone(zone) from None
    except ValueError:
        raise GraphError(400, "ErrorPropertyValidationFailure", VALIDATION_FAILED) from None
    if not _valid_recurrence(rec):
        raise GraphError(400, "ErrorPropertyValidationFailure", VALIDATION_FAILED)
    return rec


def _optional_date(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value and str(value) != "0001-01-01" else None


def _valid_recurrence(rec: Recurrence) -> bool:
    """What each pattern and range type requires (recurrencePattern, recurrenceRange: "Required if type is …")."""
    needs = {
        "weekly": bool(rec.days_of_week),
        "absoluteMonthly": 1 <= rec.day_of_month <= 31,
        "relativeMonthly": bool(rec.days_of_week),
        "absoluteYearly": 1 <= rec.day_of_month <= 31 and 1 <= rec.month <= 12,
        "relativeYearly": bool(rec.days_of_week) and 1 <= rec.month <= 12,
    }
    if not needs.get(rec.pattern, True) or rec.interval < 1 or not 0 <= rec.month <= 12:
        return False
    if rec.range_type == "endDate":
        return rec.end_date is not None and rec.end_date >= rec.start_date
    return rec.range_type != "numbered" or (rec.occurrences or 0) > 0
