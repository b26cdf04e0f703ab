"""Realistic calendars for a tenant, relative to the current week, the same for the same seed and week.

Every mailbox gets what a working calendar holds: its team's daily stand-up and a weekly 1:1 with the team lead
(recurring series), meetings with colleagues in other time zones (answered or not), focus time, a private
appointment, an all-day event, out-of-office days and working-from-home days (working elsewhere).
Meetings are delivered as Exchange would: the organizer's event plus a copy per attendee.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from m365_emulator.calendar import Attendee, CalendarStore, Event, Recurrence, new_event_ids
from m365_emulator.calendar_meetings import attendee_copy, deliver, new_ical_uid, respond, response_time
from m365_emulator.calendar_tz import DAY_NAMES, to_utc, zone_for_name, zone_from_graph
from m365_emulator.rooms_policy import clashes_with
from m365_emulator.state import DirectoryUser, Tenant, WorkingHours

TEAM_SIZE = 6
WEEKS = range(-1, 4)  # last week to three weeks ahead
SUBJECTS = ("Project sync", "Design review", "Customer call prep", "Budget check-in", "Roadmap planning",
            "Interview debrief", "Quarterly review", "Vendor demo", "Hiring loop", "Launch readiness")  # fmt: skip
ROOMS = ("Room 1.12 Lisbon", "Room 2.04 Oslo", "Microsoft Teams Meeting", "Cafeteria", "")


class _Seeder:
    def __init__(
        self, tenant: Tenant, seed: int, now: datetime, *, people: list[DirectoryUser] | None = None, salt: str = ""
    ) -> None:
        today = now.astimezone(UTC).date()
        self.monday = today - timedelta(days=today.weekday())
        self.rng = random.Random(f"{seed}/{tenant.id}/{self.monday.isoformat()}{salt}")
        self.tenant = tenant
        # Times the seed writes (created, answered) hang off the week, not the clock: same seed, same week, same data.
        self.now = datetime.combine(self.monday, time(6), UTC)
        self.store = CalendarStore()
        everyone = tenant.users.values() if people is None else people
        self.people = sorted(
            (u for u in everyone if u.has_mailbox and u.user_type != "Guest"), key=lambda u: u.user_principal_name
        )

    # -- helpers -------------------------------------------------------------------------------------------

    def zone(self, user: DirectoryUser) -> tzinfo:
        return zone_for_name(user.mailbox_time_zone)

    def hours(self, user: DirectoryUser) -> tuple[list[int], int, int, tzinfo]:
        wh = user.working_hours or WorkingHours(list(DAY_NAMES[:5]), time(9), time(17), {"name": "UTC"})
        days = [DAY_NAMES.index(d.lower()) for d in wh.days_of_week]
        return days, wh.start.hour, max(wh.end.hour, wh.start.hour + 1), zone_from_graph(wh.time_zone)

    def event(self, owner: DirectoryUser, subject: str, start: datetime, minutes: int, **fields: object) -> Event:
        regular, immutable = new_event_ids(self.rng.randbytes)
        event = Event(
            id=regular,
            immutable_id=immutable,
            ical_uid=new_ical_uid(self.rng.randbytes),
            mailbox_id=owner.id,
            subject=subject,
            start=start,
            end=start + timedelta(minutes=minutes),
            start_zone=owner.mailbox_time_zone,
            end_zone=owner.mailbox_time_zone,
            organizer_address=owner.mail,
            organizer_name=owner.display_name,
            created=self.now - timedelta(days=30),
            modified=self.now - timedelta(days=30),
            change_key=self.rng.randbytes(9).hex(),
        )
        for name, value in fields.items():
            setattr(event, name, value)
        return event

    def meeting(self, event: Event, attendees: list[DirectoryUser]) -> None:
        """Deliver with attendees, then let most of them answer (some never do)."""
        event.attendees = [Attendee(a.mail, a.display_name) for a in attendees]
        for copy in deliver(self.store, self.tenant, event, self.rng.randbytes):
            roll = self.rng.random()
            answer = "accepted" if roll < 0.65 else "tentativelyAccepted" if roll < 0.8 else None
            if roll > 0.95:
                answer = "declined"
            if answer:
                respond(self.store, self.tenant, copy, answer, self.now - timedelta(days=3))

    def at_work(self, user: DirectoryUser, start: datetime, end: datetime) -> bool:
        """Whether [start, end) lies inside the person's working hours, so invitations land in their day."""
        days, begin, finish, zone = self.hours(user)
        local_start, local_end = start.astimezone(zone), end.astimezone(zone)
        if local_start.weekday() not in days or local_start.date() != local_end.date():
            return False
        return begin <= local_start.hour and (local_end.hour, local_end.minute) <= (finish, 0)

    def local(self, user: DirectoryUser, day: date, hour: float, zone: tzinfo | None = None) -> datetime:
        moment = datetime.combine(day, time(int(hour), round((hour % 1) * 60)))
        return to_utc(moment, zone or self.zone(user))

    def workdays(self, user: DirectoryUser) -> list[date]:
        days, *_ = self.hours(user)
        first = self.monday + timedelta(weeks=WEEKS[0])
        span = 7 * len(WEEKS)
        return [first + timedelta(days=n) for n in range(span) if (first + timedelta(days=n)).weekday() in days]

    # -- what calendars hold ---------------------------------------------------------------------------------

    def teams(self) -> list[list[DirectoryUser]]:
        """People of the same mailbox time zone, in teams of about six."""
        by_zone: dict[str, list[DirectoryUser]] = {}
        for person in self.people:
            by_zone.setdefault(person.mailbox_time_zone, []).append(person)
        teams = []
        for members in by_zone.values():
            self.rng.shuffle(members)
            teams += [members[i : i + TEAM_SIZE] for i in range(0, len(members), TEAM_SIZE)]
        return teams

    def team_rituals(self, team: list[DirectoryUser]) -> None:
        lead = team[0]
        days, begin, _, zone = self.hours(lead)
        series_start = self.monday - timedelta(weeks=8)
        weekdays = tuple(sorted(d for d in days if d < 5) or days)
        if len(team) > 1:
            standup = self.event(lead, "Daily stand-up", self.local(lead, series_start, begin + 0.5, zone), 15)
            standup.recurrence = _weekly(weekdays, series_start, lead.mailbox_time_zone)
            standup.start = self.first_occurrence(standup)
            standup.end = standup.start + timedelta(minutes=15)
            standup.is_online_meeting, standup.online_provider = True, "teamsForBusiness"
            standup.join_url = f"https://teams.microsoft.com/l/meetup-join/19%3ameeting_{self.rng.randbytes(12).hex()}"
            self.meeting(standup, team[1:])
        for member in team[1:]:
            self.one_on_one(lead, member, series_start, weekdays)

    def first_occurrence(self, event: Event) -> datetime:
        rec = event.recurrence
        assert rec is not None
        zone = zone_for_name(event.start_zone)
        first = next(rec.dates(rec.start_date + timedelta(days=14)))
        return to_utc(datetime.combine(first, event.start.astimezone(zone).time()), zone)

    def one_on_one(
        self, lead: DirectoryUser, member: DirectoryUser, series_start: date, weekdays: tuple[int, ...]
    ) -> None:
        _, begin, end, zone = self.hours(lead)
        day = self.rng.choice(weekdays)
        hour = self.rng.choice([h + 0.5 * k for h in range(begin + 1, end - 1) for k in (0, 1)])
        first = series_start + timedelta(days=(day - series_start.weekday()) % 7)
        subject = f"{lead.given_name or lead.display_name} / {member.given_name or member.display_name} 1:1"
        one = self.event(lead, subject, self.local(lead, first, hour, zone), 30)
        interval = self.rng.choice((1, 1, 2))
        one.recurrence = _weekly((day,), first, lead.mailbox_time_zone, interval=interval, weeks=26)
        self.meeting(one, [member])

    def meetings(self, person: DirectoryUser) -> None:
        """One-off meetings this person organizes, with colleagues anywhere in the tenant."""
        _, begin, end, zone = self.hours(person)
        for day in self.workdays(person):
            for _ in range(self.rng.choice((0, 1, 1, 2))):
                hour = self.rng.choice([h + 0.5 * k for h in range(begin, end - 1) for k in (0, 1)])
                minutes = self.rng.choice((30, 30, 60, 60, 90))
                start = self.local(person, day, hour, zone)
                end_at = start + timedelta(minutes=minutes)
                free = [p for p in self.people if p is not person and self.at_work(p, start, end_at)]
                if not free:
                    continue
                others = self.rng.sample(free, k=min(len(free), self.rng.choice((1, 1, 2, 3))))
                event = self.event(person, self.rng.choice(SUBJECTS), start, minutes)
                event.location = {"displayName": self.rng.choice(ROOMS)}
                event.show_as = "tentative" if self.rng.random() < 0.1 else "busy"
                self.meeting(event, others)

    def personal(self, person: DirectoryUser) -> None:
        """Focus time, a private appointment, an all-day day, out of office, working from home."""
        _, begin, end, zone = self.hours(person)
        days = self.workdays(person)
        focus = self.rng.choice(days)
        focus_event = self.event(person, "Focus time", self.local(person, focus, end - 2, zone), 90)
        focus_event.recurrence = _weekly((focus.weekday(),), focus, person.mailbox_time_zone, count=5)
        self.store.add(focus_event)
        appointment = self.rng.choice(days)
        self.store.add(self.event(person, "Doctor's appointment", self.local(person, appointment, begin + 2, zone), 60,
                                  sensitivity="private", location={"displayName": "Clinic"}))  # fmt: skip
        roll = self.rng.random()
        if roll < 0.25:
            self.all_day(person, "Vacation", self.rng.choice(days), self.rng.choice((1, 2, 3)), "oof")
        elif roll < 0.5:
            self.all_day(person, "Working from home", self.rng.choice(days), 1, "workingElsewhere", weekly=True)
        elif roll < 0.7:
            self.all_day(person, "Team offsite", self.rng.choice(days), 1, "busy")
        if self.rng.random() < 0.3:
            self.all_day(person, "Public holiday", self.rng.choice(days), 1, "free")
        if self.rng.random() < 0.2:
            start = self.local(person, self.rng.choice(days), begin + 4, zone)
            self.store.add(self.event(person, "Dentist (out of office)", start, 120, show_as="oof"))

    def all_day(
        self, person: DirectoryUser, subject: str, day: date, length: int, show_as: str, *, weekly: bool = False
    ) -> None:
        start = self.local(person, day, 0)
        event = self.event(person, subject, start, 0, is_all_day=True, show_as=show_as)
        event.end = self.local(person, day + timedelta(days=length), 0)
        if weekly:
            event.recurrence = _weekly((day.weekday(),), day, person.mailbox_time_zone)
        self.store.add(event)


def _weekly(
    days: tuple[int, ...], start: date, zone: str, *, interval: int = 1, weeks: int = 0, count: int = 0
) -> Recurrence:
    """A weekly series from `start`: open-ended, or for `weeks` weeks, or for `count` occurrences."""
    kind = "endDate" if weeks else "numbered" if count else "noEnd"
    end = start + timedelta(weeks=weeks) if weeks else None
    return Recurrence("weekly", interval, days, 6, kind, start, end, count or None, zone)


def _office_hours(person: DirectoryUser) -> WorkingHours:
    return WorkingHours(list(DAY_NAMES[:5]), time(9), time(17), {"name": person.mailbox_time_zone})


def seed_calendars(tenant: Tenant, *, seed: int, now: datetime) -> CalendarStore:
    """Every mailbox's calendar for the weeks around `now`; mailboxes without working hours get 09:00-17:00."""
    seeder = _Seeder(tenant, seed, now)
    for person in seeder.people:
        if person.working_hours is None:
            person.working_hours = _office_hours(person)
    if not any(p.shares_details for p in seeder.people):  # the fixture said nothing: about half share details
        for person in seeder.people:
            person.shares_details = seeder.rng.random() < 0.5
    for team in seeder.teams():
        seeder.team_rituals(team)
    for person in seeder.people:
        seeder.meetings(person)
        seeder.personal(person)
    for person in seeder.people:  # answering touched change keys and times; settle them deterministically
        for event in seeder.store.events_of(person.id):
            event.change_key, event.modified = seeder.rng.randbytes(9).hex(), event.created
    _RoomSeeder(seeder, random.Random(f"{seed}/{tenant.id}/{seeder.monday.isoformat()}/rooms")).book_rooms()
    return seeder.store


class _RoomSeeder:
    """Rooms booked for the people's own one-off meetings in the room's building (its time zone), as they would
    have booked them in Outlook: the room a resource attendee that accepted, the meeting's location naming it.
    People's free/busy does not change; with their own random source, people's calendars stay as they were."""

    SHARE = 0.6  # of the fitting, free meetings that book a given room

    def __init__(self, seeder: _Seeder, rng: random.Random) -> None:
        self.seeder, self.rng, self.store = seeder, rng, seeder.store
        self.booked: set[str] = set()  # iCalUIds of meetings that have a room already

    def book_rooms(self) -> None:
        rooms = [r for r in self.seeder.tenant.rooms.values() if r.room and r.room.booking_type != "reserved"]
        for room in sorted(rooms, key=lambda r: (r.room.capacity if r.room else 0, r.id)):
            for event in self.candidates(room):
                if self.rng.random() < self.SHARE and not clashes_with(self.store, room.id, "", event.start, event.end):
                    self.book(event, room)

    def candidates(self, room: DirectoryUser) -> list[Event]:
        seats = room.room.capacity if room.room else 0
        found = [
            event
            for person in self.seeder.people
            if person.mailbox_time_zone == room.mailbox_time_zone
            for event in self.store.events_of(person.id)
            if event.is_organizer and event.attendees and event.recurrence is None and not event.is_all_day
            and len(event.attendees) + 1 <= seats and event.ical_uid not in self.booked
        ]  # fmt: skip
        return sorted(found, key=lambda e: (e.start, e.id))

    def book(self, event: Event, room: DirectoryUser) -> None:
        when = response_time(self.seeder.now - timedelta(days=3))
        event.attendees.append(Attendee(room.mail, room.display_name, "resource", "accepted", when))
        event.location = {"displayName": room.display_name, "locationEmailAddress": room.mail}
        for other in self.store.copies(event.ical_uid):
            other.location, other.attendees = dict(event.location), [replace(a) for a in event.attendees]
        copy = attendee_copy(event, room, self.rng.randbytes)
        copy.response, copy.response_time, copy.show_as = "accepted", when, "busy"
        copy.change_key, copy.modified = self.rng.randbytes(9).hex(), event.created
        self.store.add(copy)
        self.booked.add(event.ical_uid)


def seed_sparse(tenant: Tenant, people: list[DirectoryUser], *, seed: int, now: datetime, share: float = 0.1) -> int:
    """A few single meetings in the coming weeks for about `share` of `people` (the others keep an empty
    calendar), added to the tenant's store; how many events were added."""
    seeder = _Seeder(tenant, seed, now, people=people, salt=f"/sparse/{len(tenant.users)}")
    seeder.store = tenant.calendars
    added = 0
    for person in seeder.people:
        if seeder.rng.random() >= share:
            continue
        _, begin, end, zone = seeder.hours(person)
        days = [day for day in seeder.workdays(person) if day >= now.date()]
        for _ in range(seeder.rng.randint(1, 3) if days else 0):
            hour = seeder.rng.randint(begin, max(begin, end - 2))
            start = seeder.local(person, seeder.rng.choice(days), hour, zone)
            subject = seeder.rng.choice(SUBJECTS)
            seeder.store.add(seeder.event(person, subject, start, seeder.rng.choice((30, 60)), show_as="busy"))
            added += 1
    return added
