"""Overlap's Microsoft Graph client: one method per endpoint, typed results, errors that say permanent or not.

Overlap never lists or searches calendars: events are read by the ids it created or by its own tag.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from integrations.microsoft import parse
from integrations.microsoft.auth import TenantTokens
from integrations.microsoft.config import MicrosoftConfig
from integrations.microsoft.errors import BadRequest, MicrosoftError, NotFound
from integrations.microsoft.timezones import date_time_zone, get_zone
from integrations.microsoft.transport import BatchItem, GraphResponse, GraphTransport, TokenSource
from integrations.microsoft.types import (
    TAG_PROPERTY_ID,
    DirectoryPage,
    DirectoryUser,
    Event,
    EventChanges,
    MeetingTimeSuggestions,
    NewAttendee,
    NewEvent,
    Occurrence,
    Room,
    RoomList,
    Schedule,
    ScheduleError,
    SeriesRule,
)

USER_FIELDS = "id,displayName,mail,userPrincipalName,accountEnabled,userType,givenName,surname,jobTitle"
DIRECTORY_FIELDS = "id,displayName,mail,userPrincipalName,accountEnabled,userType"  # what the sync keeps
DIRECTORY_PAGE = 999  # Graph's largest page of users
EVENT_FIELDS = (
    "id,iCalUId,subject,start,end,isCancelled,webLink,onlineMeeting,attendees,organizer,"
    "transactionId,responseStatus,changeKey,showAs,isOrganizer"
)
# What a series' read needs of each occurrence: where it is, where the pattern put it, and the answers.
OCCURRENCE_FIELDS = "id,seriesMasterId,originalStart,type,start,end,attendees"
# calendarView refuses windows over 1825 days (observed: microsoft-graph-docs-contrib#6321); the instances
# listing is assumed to share the limit, so longer horizons are split.
INSTANCES_WINDOW = timedelta(days=1825)
# The fields each recurrencePattern type needs (Graph validates every field sent, even one the type ignores).
_PATTERN_FIELDS = {
    "daily": (),
    "weekly": ("daysOfWeek", "firstDayOfWeek"),
    "absolutemonthly": ("dayOfMonth",),
    "relativemonthly": ("daysOfWeek", "index"),
    "absoluteyearly": ("dayOfMonth", "month"),
    "relativeyearly": ("daysOfWeek", "month", "index"),
}
PLACES_PAGE = 100  # Graph's default page of places; asked for explicitly so paging is predictable
SCHEDULE_LIMIT = 20  # mailboxes per getSchedule
GROUP_LIMIT = 20  # group ids per checkMemberGroups
MAX_WINDOW = timedelta(days=62)
PARALLEL_CALLS = 3
T = TypeVar("T")
_TAG_EXPAND = f"singleValueExtendedProperties($filter=id eq '{TAG_PROPERTY_ID}')"


def _user_path(user: str) -> str:
    return "/me" if user.lower() == "me" else f"/users/{quote(user, safe='@')}"


def _event_path(mailbox: str, event_id: str) -> str:
    return f"{_user_path(mailbox)}/events/{quote(event_id, safe='=-_')}"


def _odata_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class GraphClient:
    """Microsoft Graph for one tenant, with an app-only token (`for_tenant`) or a member's (`for_member`).

    Every method raises only `MicrosoftError`s; transient ones (throttled, unavailable, timeout) have
    already been retried within the transport's time budget.
    """

    def __init__(self, transport: GraphTransport, *, delegated: bool) -> None:
        self.transport = transport
        self.delegated = delegated

    @classmethod
    def for_tenant(cls, config: MicrosoftConfig, tenant: str) -> GraphClient:
        return cls(GraphTransport(config, TenantTokens(config, tenant)), delegated=False)

    @classmethod
    def for_member(cls, config: MicrosoftConfig, tenant: str, token_source: TokenSource) -> GraphClient:
        """`token_source` is an `auth.MemberTokens`, which stores the member's refreshed cache."""
        return cls(GraphTransport(config, token_source, delegated=True), delegated=True)

    def probe(self, *, fresh_token: bool = False) -> None:
        """One harmless call that proves the token works at Graph and the permissions were granted.

        App-only: read one directory entry's id; delegated: read the signed-in person's id. With
        `fresh_token`, a new token is fetched first, since a cached one would hide a revoked grant.
        """
        if fresh_token:
            self.transport.tokens(force_refresh=True)
        if self.delegated:
            self.transport.request("GET", "/me", params={"$select": "id"})
        else:
            self.transport.request("GET", "/users", params={"$top": "1", "$select": "id"})

    # Directory

    def list_users(
        self, *, enabled_only: bool = True, members_only: bool = True, page_size: int = 999
    ) -> list[DirectoryUser]:
        """Everyone in the directory (all pages), optionally without disabled accounts and guests."""
        params = {"$select": USER_FIELDS, "$top": str(page_size)}
        if enabled_only:
            params["$filter"] = "accountEnabled eq true"
        users = [parse.user(item) for item in self.transport.pages("/users", params)]
        if members_only:  # filtered here: a userType filter may need Graph's advanced queries
            users = [u for u in users if (u.user_type or "Member").lower() == "member"]
        return users

    def user_pages(self, *, page_size: int = DIRECTORY_PAGE, select: str = DIRECTORY_FIELDS) -> Iterator[DirectoryPage]:
        """The whole directory (members, guests, disabled accounts), one page at a time as Graph sends it."""
        for body in self.transport.page_bodies("/users", {"$select": select, "$top": str(page_size)}):
            yield DirectoryPage(users=[parse.user(item) for item in body.get("value") or []])

    def users_delta_from_now(self, *, select: str = DIRECTORY_FIELDS) -> str:
        """A delta link for the directory as it is now, without reading it (`$deltatoken=latest`)."""
        params = {"$select": select, "$deltatoken": "latest"}
        for body in self.transport.page_bodies("/users/delta", params):
            if body.get("@odata.deltaLink"):
                return str(body["@odata.deltaLink"])
        raise BadRequest("Graph gave no delta link.", code="no_delta_link")

    def users_delta(self, delta_link: str) -> Iterator[DirectoryPage]:
        """What changed in the directory since `delta_link` was issued, page by page; the last page carries the
        next delta link. Raises `SyncReset` when Graph no longer knows the link (a full sync is needed)."""
        for body in self.transport.page_bodies(delta_link):
            users, removed = [], []
            for item in body.get("value") or []:
                if "@removed" in item:
                    removed.append(str(item.get("id") or ""))
                else:
                    users.append(parse.user(item))
            link = body.get("@odata.deltaLink")
            yield DirectoryPage(users=users, removed=removed, delta_link=str(link) if link else None)

    def get_user(self, user: str) -> DirectoryUser:
        return parse.user(self.transport.request("GET", _user_path(user), params={"$select": USER_FIELDS}).body)

    def me(self) -> DirectoryUser:
        return self.get_user("me")

    def check_member_groups(self, user: str, group_ids: Iterable[str]) -> set[str]:
        """Which of `group_ids` the user belongs to, transitively."""
        wanted = list(dict.fromkeys(group_ids))
        found: set[str] = set()
        for start in range(0, len(wanted), GROUP_LIMIT):
            body = {"groupIds": wanted[start : start + GROUP_LIMIT]}
            response = self.transport.request("POST", f"{_user_path(user)}/checkMemberGroups", body=body)
            found.update(str(v) for v in response.body.get("value") or [])
        return found

    # Rooms (the places API; Place.Read.All)

    def rooms(self) -> list[Room]:
        """Every room Graph lists (all pages). Rooms hidden from the address list are never among them."""
        params = {"$top": str(PLACES_PAGE)}
        return [parse.room(item) for item in self.transport.pages("/places/microsoft.graph.room", params)]

    def room_lists(self) -> list[RoomList]:
        params = {"$top": str(PLACES_PAGE)}
        return [parse.room_list(item) for item in self.transport.pages("/places/microsoft.graph.roomlist", params)]

    def rooms_of_list(self, room_list: str) -> list[Room]:
        """The rooms of one room list, named by the list's address (Graph takes the address here, not the id)."""
        path = f"/places/{quote(room_list, safe='@')}/microsoft.graph.roomlist/rooms"
        return [parse.room(item) for item in self.transport.pages(path, {"$top": str(PLACES_PAGE)})]

    def probe_places(self) -> None:
        """One harmless places call: proves Place.Read.All was granted (403 otherwise)."""
        self.transport.request("GET", "/places/microsoft.graph.room", params={"$top": "1"})

    # Availability

    def get_schedules(
        self, organizer: str, mailboxes: list[str], start: datetime, end: datetime, interval_minutes: int = 15
    ) -> dict[str, Schedule]:
        """Free/busy for each mailbox, keyed by the address as given: one getSchedule of up to 20 mailboxes, or
        for more one $batch of getSchedule calls of 20 each (still one HTTP request, up to 400 mailboxes).

        A mailbox Graph could not read comes back with `error` set (never as free time).
        Subjects and locations are dropped in the parser and exist nowhere in the result.
        """
        return self.get_schedules_over(organizer, mailboxes, [(start, end)], interval_minutes)

    def get_schedules_over(
        self, organizer: str, mailboxes: list[str], windows: list[tuple[datetime, datetime]], interval_minutes: int = 15
    ) -> dict[str, Schedule]:
        """`get_schedules` over several back-to-back windows (each under 62 days), one getSchedule per window and
        20 mailboxes, all in one $batch (the transport sends 20 requests a $batch): a series' whole horizon read
        at once. Each mailbox's answer joins its windows: its items and views in order, an error if any failed.
        """
        if not windows or any(not start < end or end - start >= MAX_WINDOW for start, end in windows):
            raise BadRequest("The window must be positive and shorter than 62 days.", code="window")
        wanted = list({m.lower(): m for m in reversed(mailboxes)}.values())[::-1]
        path = "/me/calendar/getSchedule" if self.delegated else f"{_user_path(organizer)}/calendar/getSchedule"
        asks = [(window, chunk) for window in windows for chunk in _chunks(wanted, SCHEDULE_LIMIT)]
        bodies = [
            {
                "schedules": chunk,
                "startTime": date_time_zone(start),
                "endTime": date_time_zone(end),
                "availabilityViewInterval": interval_minutes,
            }
            for (start, end), chunk in asks
        ]
        if len(bodies) == 1:
            answers = [self.transport.request("POST", path, body=bodies[0]).body]
        else:
            results = self.transport.batch([BatchItem(str(n), "POST", path, b) for n, b in enumerate(bodies)])
            answers = [_batch_body(results[str(n)]) for n in range(len(bodies))]
        parts: dict[str, list[Schedule]] = {}
        for (_, chunk), body in zip(asks, answers, strict=True):
            found = _schedules_by_request(chunk, [parse.schedule(item) for item in body.get("value") or []])
            for address, schedule in found.items():
                parts.setdefault(address, []).append(schedule)
        return {m: _joined(parts[m.lower()]) for m in mailboxes}

    def own_schedules(
        self, mailboxes: dict[str, str], start: datetime, end: datetime
    ) -> dict[str, Schedule | MicrosoftError]:
        """Each mailbox's free/busy read in that mailbox itself (what an access policy allows or refuses), keyed
        by object id: `mailboxes` maps each person's object id (the path) to their address (the schedule asked
        for). One getSchedule per mailbox, 20 to a $batch, a few batches side by side.

        Every mailbox is a different one, so each batch holds at most one request per mailbox.
        """
        window = {"startTime": date_time_zone(start), "endTime": date_time_zone(end), "availabilityViewInterval": 60}

        def one_batch(chunk: list[str]) -> dict[str, Schedule | MicrosoftError]:
            items = [
                BatchItem(
                    str(n), "POST", f"{_user_path(o)}/calendar/getSchedule", {"schedules": [mailboxes[o]], **window}
                )
                for n, o in enumerate(chunk)
            ]
            results = self.transport.batch(items)
            return {o: _own_schedule(mailboxes[o], results[str(n)]) for n, o in enumerate(chunk)}

        merged: dict[str, Schedule | MicrosoftError] = {}
        for part in self._in_parallel(one_batch, _chunks(list(mailboxes), SCHEDULE_LIMIT)):
            merged.update(part)
        return merged

    def _in_parallel(self, call: Callable[[list[str]], T], chunks: list[list[str]]) -> list[T]:
        """Run the calls side by side (fewer than Outlook's 4 concurrent requests per mailbox)."""
        if len(chunks) <= 1:
            return [call(chunk) for chunk in chunks]
        self.transport.tokens()  # one token fetch or refresh before fanning out, not one per thread
        with ThreadPoolExecutor(max_workers=PARALLEL_CALLS) as pool:
            return list(pool.map(call, chunks))

    def find_meeting_times(
        self,
        attendees: list[str],
        start: datetime,
        end: datetime,
        duration: timedelta,
        *,
        optional: Iterable[str] = (),
        max_candidates: int = 20,
        activity_domain: str = "work",
        minimum_attendee_percentage: float = 100.0,
    ) -> MeetingTimeSuggestions:
        """Graph's own suggestions for the signed-in organizer, the required `attendees` and the `optional`
        ones (delegated only), in Graph's order, each with its reason.

        `activity_domain` is Graph's: `work` keeps every attendee's working hours, `unrestricted` any hour.
        """
        people = [("required", a) for a in attendees] + [("optional", a) for a in optional]
        body = {
            "attendees": [{"type": kind, "emailAddress": {"address": a}} for kind, a in people],
            "timeConstraint": {
                "activityDomain": activity_domain,
                "timeSlots": [{"start": date_time_zone(start), "end": date_time_zone(end)}],
            },
            "meetingDuration": _iso_duration(duration),
            "maxCandidates": max_candidates,
            "isOrganizerOptional": False,
            "returnSuggestionReasons": True,
            "minimumAttendeePercentage": minimum_attendee_percentage,
        }
        response = self.transport.request("POST", "/me/findMeetingTimes", body=body)
        return parse.meeting_time_suggestions(response.body)

    # Events Overlap created

    def create_event(self, mailbox: str, new: NewEvent) -> Event:
        """Create the meeting in the organizer's mailbox; Exchange invites the attendees.

        With a `transaction_id`, a retried create (after a timeout or a 5xx) returns the same event.
        """
        body = _new_event_body(new)
        response = self.transport.request(
            "POST", f"{_user_path(mailbox)}/events", body=body, idempotent=new.transaction_id is not None
        )
        created = parse.event(response.body)
        return created if created.tag or not new.tag else replace(created, tag=new.tag)

    def get_event(self, mailbox: str, event_id: str, select: str = EVENT_FIELDS) -> Event:
        params = {"$select": select, "$expand": _TAG_EXPAND}
        return parse.event(self.transport.request("GET", _event_path(mailbox, event_id), params=params).body)

    def get_events(
        self, mailbox: str, ids: Iterable[str], select: str = EVENT_FIELDS
    ) -> dict[str, Event | MicrosoftError]:
        """Several events by id through $batch (20 per request); each id maps to its event or its error."""
        wanted = list(dict.fromkeys(ids))
        query = f"?$select={select}&$expand={_TAG_EXPAND}"
        items = [BatchItem(str(n), "GET", _event_path(mailbox, event_id) + query) for n, event_id in enumerate(wanted)]
        # One $batch at a time: Outlook runs at most 4 requests per mailbox at once, a batch already uses them.
        results = self.transport.batch(items)
        return {event_id: _event_or_error(results[str(n)]) for n, event_id in enumerate(wanted)}

    def find_event_by_tag(self, mailbox: str, tag_value: str) -> Event | None:
        """The event Overlap tagged with `tag_value` (its booking code), if the mailbox still has it."""
        condition = f"ep/id eq {_odata_string(TAG_PROPERTY_ID)} and ep/value eq {_odata_string(tag_value)}"
        params = {
            "$filter": f"singleValueExtendedProperties/Any(ep: {condition})",
            "$select": EVENT_FIELDS,
            "$expand": _TAG_EXPAND,
            "$top": "2",
        }
        found = self.transport.request("GET", f"{_user_path(mailbox)}/events", params=params).body.get("value") or []
        return replace(parse.event(found[0]), tag=tag_value) if found else None

    def update_event(self, mailbox: str, event_id: str, changes: EventChanges) -> Event:
        body = _changes_body(changes)
        if not body:
            raise BadRequest("Nothing to change.", code="empty_update")
        return parse.event(self.transport.request("PATCH", _event_path(mailbox, event_id), body=body).body)

    def cancel_event(self, mailbox: str, event_id: str, comment: str = "") -> None:
        """Cancel as organizer: attendees get a cancellation with `comment`."""
        path = f"{_event_path(mailbox, event_id)}/cancel"
        self.transport.request("POST", path, body={"comment": comment}, idempotent=False)

    # Series Overlap created

    def series_instances(self, mailbox: str, master_id: str, start: datetime, end: datetime) -> list[Occurrence]:
        """The occurrences and exceptions of the series `master_id` that overlap [start, end), sorted by start
        (Graph does not order them). Cancelled ones are not listed. Every page is followed; a horizon longer
        than one window Graph accepts is read as several windows, their first pages in one $batch.
        """
        if not start < end:
            raise BadRequest("The window must be positive.", code="window")
        windows = _windows(start, end, INSTANCES_WINDOW)
        if len(windows) > 1:
            found = self.series_instances_many(mailbox, {master_id: (start, end)})[master_id]
            if isinstance(found, MicrosoftError):
                raise found
            return found
        path = f"{_event_path(mailbox, master_id)}/instances"
        items = self.transport.pages(path, _instances_query(*windows[0]))
        return _occurrences_sorted({o.id: o for o in map(parse.occurrence, items)})

    def series_instances_many(
        self, mailbox: str, wanted: Mapping[str, tuple[datetime, datetime]]
    ) -> dict[str, list[Occurrence] | MicrosoftError]:
        """The occurrences of several series at once (master id -> its window), as `series_instances` reads one:
        the first page of every series' windows in one $batch (20 to a request), further pages followed. Each
        series maps to its occurrences, sorted by start, or to the error Graph refused it with."""
        parts: list[tuple[str, BatchItem]] = []
        for master_id, (start, end) in wanted.items():
            path = f"{_event_path(mailbox, master_id)}/instances"
            for lo, hi in _windows(start, end, INSTANCES_WINDOW):
                query = urlencode(_instances_query(lo, hi))
                parts.append((master_id, BatchItem(str(len(parts)), "GET", f"{path}?{query}")))
        results = self.transport.batch([item for _, item in parts])
        found: dict[str, dict[str, Occurrence]] = {master_id: {} for master_id in wanted}
        refused: dict[str, MicrosoftError] = {}
        for master_id, item in parts:
            result = results[item.id]
            if isinstance(result, MicrosoftError):
                refused[master_id] = result
                continue
            # Windows meet, so one occurrence may come in two: kept once by its id.
            found[master_id].update((o.id, o) for o in map(parse.occurrence, self._rest_of(result.body or {})))
        return {master_id: refused.get(master_id) or _occurrences_sorted(kept) for master_id, kept in found.items()}

    def _rest_of(self, first: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """A collection's items from its first page on, following @odata.nextLink unchanged."""
        yield from first.get("value") or []
        if first.get("@odata.nextLink"):
            yield from self.transport.pages(str(first["@odata.nextLink"]))

    def move_occurrence(self, mailbox: str, occurrence_id: str, start: datetime, end: datetime) -> Occurrence:
        """PATCH only start and end of one occurrence (it becomes an exception); the series and its Teams link
        stay. Graph refuses a move onto or past a neighbouring occurrence's day (ErrorOccurrenceCrossingBoundary)."""
        body = _changes_body(EventChanges(start=start, end=end))
        response = self.transport.request("PATCH", _event_path(mailbox, occurrence_id), body=body)
        return parse.occurrence(response.body)

    def move_series(self, mailbox: str, master_id: str, start: datetime, end: datetime) -> Event:
        """Move the whole series: PATCH only the master's start and end, on the wall clock of the series' own zone
        (read from its recurrence), so the pattern stays, with the exceptions and the Teams link (a time of day is
        not the pattern: M365-FACTS section 10)."""
        path = _event_path(mailbox, master_id)
        current = self.transport.request("GET", path, params={"$select": "recurrence,start"}).body
        recurrence = current.get("recurrence")
        if not isinstance(recurrence, dict) or not isinstance(recurrence.get("range"), dict):
            raise BadRequest("This event is not a series.", code="not_a_series")
        zone = str(
            recurrence["range"].get("recurrenceTimeZone") or (current.get("start") or {}).get("timeZone") or "UTC"
        )
        body = {"start": _wall_clock(start, zone), "end": _wall_clock(end, zone)}
        return parse.event(self.transport.request("PATCH", path, body=body).body)

    def end_series(self, mailbox: str, master_id: str, last_day: date) -> Event:
        """Shorten the series to end on `last_day` ("this and following" in Graph's terms): the master's
        recurrence is read and sent back whole, its pattern unchanged and its range now of type endDate."""
        path = _event_path(mailbox, master_id)
        current = self.transport.request("GET", path, params={"$select": "recurrence"}).body.get("recurrence")
        if not isinstance(current, dict) or not isinstance(current.get("pattern"), dict):
            raise BadRequest("This event is not a series.", code="not_a_series")
        body = {"recurrence": _shortened(current, last_day)}
        return parse.event(self.transport.request("PATCH", path, body=body).body)

    def delete_event(self, mailbox: str, event_id: str, *, missing_ok: bool = False) -> None:
        try:
            self.transport.request("DELETE", _event_path(mailbox, event_id))
        except NotFound:
            if not missing_ok:
                raise


def _windows(start: datetime, end: datetime, longest: timedelta) -> list[tuple[datetime, datetime]]:
    """[start, end) cut into back-to-back windows no longer than `longest`."""
    cuts = [start]
    while end - cuts[-1] > longest:
        cuts.append(cuts[-1] + longest)
    return list(zip(cuts, [*cuts[1:], end], strict=True))


def _utc_text(value: datetime) -> str:
    """An instant for a query string: ISO 8601 in UTC with its Z (Graph reads a bare time as UTC too)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _shortened(recurrence: dict[str, Any], last_day: date) -> dict[str, Any]:
    """A patternedRecurrence as read, ending on `last_day`: only the fields its pattern type needs (a read fills
    every field with zeros), the range's start and zone as they were."""
    pattern = recurrence["pattern"]
    needed = ("type", "interval", *_PATTERN_FIELDS.get(str(pattern.get("type", "")).lower(), ()))
    window = recurrence.get("range") or {}
    new_range = {"type": "endDate", "startDate": window.get("startDate"), "endDate": last_day.isoformat()}
    if window.get("recurrenceTimeZone"):
        new_range["recurrenceTimeZone"] = window["recurrenceTimeZone"]
    return {"pattern": {k: pattern[k] for k in needed if k in pattern}, "range": new_range}


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _schedules_by_request(asked: list[str], answered: list[Schedule]) -> dict[str, Schedule]:
    """Each requested address (lowercased) to its schedule; one Graph left out is an error, not free time."""
    by_address = {s.address.lower(): s for s in answered}
    missing = ScheduleError(message="Graph returned no schedule for this mailbox.", response_code="missing")
    return {a.lower(): by_address.get(a.lower()) or Schedule(address=a, error=missing) for a in asked}


def _joined(parts: list[Schedule]) -> Schedule:
    """One mailbox's schedules of consecutive windows as one; any window's error stands for the whole (never
    read a gap as free time)."""
    failed = next((part for part in parts if part.error is not None), None)
    if failed is not None or len(parts) == 1:
        return failed or parts[0]
    return replace(
        parts[0],
        availability_view="".join(part.availability_view for part in parts),
        items=tuple(item for part in parts for item in part.items),
    )


def _instances_query(start: datetime, end: datetime) -> dict[str, str]:
    return {"startDateTime": _utc_text(start), "endDateTime": _utc_text(end), "$select": OCCURRENCE_FIELDS}


def _occurrences_sorted(by_id: dict[str, Occurrence]) -> list[Occurrence]:
    return sorted(by_id.values(), key=lambda o: (o.start, o.original_start))  # Graph does not order them


def _batch_body(result: GraphResponse | MicrosoftError) -> dict[str, Any]:
    """A $batch answer's body; a refused part fails the whole read, as one call's refusal would."""
    if isinstance(result, MicrosoftError):
        raise result
    return result.body or {}


def _own_schedule(mailbox: str, result: GraphResponse | MicrosoftError) -> Schedule | MicrosoftError:
    if isinstance(result, MicrosoftError):
        return result
    answered = [parse.schedule(item) for item in (result.body or {}).get("value") or []]
    return _schedules_by_request([mailbox], answered)[mailbox.lower()]


def _event_or_error(result: GraphResponse | MicrosoftError) -> Event | MicrosoftError:
    if isinstance(result, MicrosoftError):
        return result
    return parse.event(result.body)


def _iso_duration(duration: timedelta) -> str:
    minutes = int(duration.total_seconds() // 60)
    return f"PT{minutes // 60}H{minutes % 60}M"


def _attendees_body(attendees: Iterable[NewAttendee]) -> list[dict[str, Any]]:
    return [{"type": a.type, "emailAddress": {"address": a.address, "name": a.name or a.address}} for a in attendees]


def _location(name: str, address: str) -> dict[str, Any]:
    """A room's location names it and its address (the resource attendee is what books it); an empty name
    clears the location."""
    location: dict[str, Any] = {"displayName": name}
    if address and name:
        location["locationEmailAddress"] = address  # locationType is read-only at Graph: not sent
    return location


def _new_event_body(new: NewEvent) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject": new.subject,
        "body": {"contentType": new.body_type, "content": new.body},
        "start": date_time_zone(new.start),
        "end": date_time_zone(new.end),
        "attendees": _attendees_body(new.attendees),
        "allowNewTimeProposals": True,
        "responseRequested": True,
    }
    if new.location:
        body["location"] = _location(new.location, new.location_address)
    if new.teams:
        body |= {"isOnlineMeeting": True, "onlineMeetingProvider": "teamsForBusiness"}
    if new.transaction_id:
        body["transactionId"] = new.transaction_id
    if new.tag:
        body["singleValueExtendedProperties"] = [{"id": TAG_PROPERTY_ID, "value": new.tag}]
    if new.recurrence:
        # A series' start in its recurrence zone: Graph expands it from the start's wall clock there.
        zone = new.recurrence.time_zone
        body |= {"start": _wall_clock(new.start, zone), "end": _wall_clock(new.end, zone)}
        body["recurrence"] = _recurrence_body(new.recurrence)
    return body


def _wall_clock(value: datetime, zone: str) -> dict[str, str]:
    return {"dateTime": value.astimezone(get_zone(zone)).strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": zone}


def _recurrence_body(rule: SeriesRule) -> dict[str, Any]:
    """Only what the pattern and range types need: Graph validates every field sent, even an ignored one."""
    pattern: dict[str, Any] = {"type": rule.pattern, "interval": rule.interval}
    if rule.days_of_week:
        pattern["daysOfWeek"] = list(rule.days_of_week)
    if rule.day_of_month:
        pattern["dayOfMonth"] = rule.day_of_month
    if rule.index:
        pattern["index"] = rule.index
    window: dict[str, Any] = {"startDate": rule.start_date.isoformat(), "recurrenceTimeZone": rule.time_zone}
    if rule.end_date is not None:
        window |= {"type": "endDate", "endDate": rule.end_date.isoformat()}
    else:
        window |= {"type": "numbered", "numberOfOccurrences": rule.occurrences}
    return {"pattern": pattern, "range": window}


def _changes_body(changes: EventChanges) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if changes.subject is not None:
        body["subject"] = changes.subject
    if changes.start is not None:
        body["start"] = date_time_zone(changes.start)
    if changes.end is not None:
        body["end"] = date_time_zone(changes.end)
    if changes.body is not None:
        body["body"] = {"contentType": changes.body_type, "content": changes.body}
    if changes.location is not None:
        body["location"] = _location(changes.location, changes.location_address)
    if changes.attendees is not None:
        body["attendees"] = _attendees_body(changes.attendees)
    return body
