"""Random search inputs for the engine's property tests, and an oracle that checks a slot the slow, obvious way."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from hypothesis import strategies as st

from booking.engine import STATUSES, Busy, Person, Request, WorkingHours
from integrations.microsoft.timezones import get_zone, zone_from_graph
from m365_emulator.fixtures import PACIFIC_CUSTOM_ZONE

PACIFIC_CUSTOM = PACIFIC_CUSTOM_ZONE  # Graph's own example: Pacific time as a bias and transition rules
ZONES: list[tzinfo] = [
    UTC,
    get_zone("W. Europe Standard Time"),
    get_zone("America/New_York"),
    get_zone("Asia/Calcutta"),
    get_zone("Australia/Sydney"),
    get_zone("Nepal Standard Time"),
    zone_from_graph(PACIFIC_CUSTOM),
]
# Around the spring changes of 2026: the US on 8 March, Europe on 29 March; Sydney's autumn change on 5 April.
BASE = datetime(2026, 3, 5, tzinfo=UTC)
zones = st.sampled_from(ZONES)


@st.composite
def working_hours(draw: st.DrawFn) -> WorkingHours:
    start = draw(st.integers(5 * 4, 11 * 4)) * 15
    length = draw(st.integers(3 * 4, 11 * 4)) * 15
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    end = start + length
    return WorkingHours(days, time(start // 60, start % 60), time(end // 60 % 24, end % 60), draw(zones))


@st.composite
def busy(draw: st.DrawFn, near: datetime, span: timedelta) -> Busy:
    minutes = span // timedelta(minutes=1)
    start = near + timedelta(
        minutes=draw(st.integers(-6 * 60, minutes + 60)), seconds=draw(st.sampled_from([0, 0, 30]))
    )
    length = timedelta(minutes=draw(st.integers(1, 4 * 60)), seconds=draw(st.sampled_from([0, 0, 0, 15])))
    return Busy(start, start + length, draw(st.sampled_from(STATUSES)))


@st.composite
def person(draw: st.DrawFn, index: int, near: datetime, span: timedelta) -> Person:
    unreadable = draw(st.sampled_from([None] * 9 + ["Microsoft 365 could not find a mailbox for this address"]))
    return Person(
        id=f"p{index}",
        name=["Anna", "Ravi", "Sam", "Kim", "Lee"][index],
        required=index == 0 or draw(st.booleans()),
        busy=tuple(draw(st.lists(busy(near, span), max_size=12))),
        hours=draw(working_hours()),
        unreadable=unreadable,
    )


@st.composite
def searches(draw: st.DrawFn) -> tuple[list[Person], Request]:
    count = draw(st.integers(1, 4))
    start = BASE + timedelta(days=draw(st.integers(0, 30)), minutes=draw(st.integers(0, 24 * 60)))
    span = timedelta(hours=draw(st.integers(1, 4 * 24)))
    people = [draw(person(i, start, span)) for i in range(count)]
    blocking = draw(st.frozensets(st.sampled_from(STATUSES)) | st.just(Request.blocking))
    request = Request(
        start=start,
        end=start + span,
        duration=timedelta(minutes=draw(st.sampled_from([15, 30, 45, 60, 90]))),
        now=start + timedelta(minutes=draw(st.integers(-600, 600))),
        granularity=timedelta(minutes=draw(st.sampled_from([5, 15, 30, 60]))),
        minimum_notice=timedelta(minutes=draw(st.sampled_from([0, 30, 240]))),
        buffer_before=timedelta(minutes=draw(st.sampled_from([0, 5, 10]))),
        buffer_after=timedelta(minutes=draw(st.sampled_from([0, 5, 15]))),
        blocking=blocking,
        widened=frozenset(p.id for p in people if draw(st.booleans()) and draw(st.booleans())),
        you="p0",
    )
    return people, request


def inside_working_hours(start: datetime, end: datetime, hours: WorkingHours) -> bool:
    """Does [start, end) lie inside one working day, each read in local wall time on its own date?"""
    local_date = start.astimezone(hours.tz).date()
    return any(
        day_start <= start and end <= day_end
        for day_start, day_end in (_day(local_date - timedelta(days=back), hours) for back in (0, 1))
        if day_start is not None and day_end is not None
    )


def _day(on: date, hours: WorkingHours) -> tuple[datetime | None, datetime | None]:
    if on.weekday() not in hours.days:
        return None, None
    start = datetime.combine(on, hours.start, tzinfo=hours.tz)
    end_date = on if hours.end > hours.start else on + timedelta(days=1)
    end = datetime.combine(end_date, hours.end, tzinfo=hours.tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def blocked(start: datetime, end: datetime, person: Person, request: Request) -> bool:
    """Does a blocking item of this person touch [start - buffer before, end + buffer after)?"""
    low, high = start - request.buffer_before, end + request.buffer_after
    blocking = request.blocking | {"unknown"}  # a status nobody could read always blocks
    return any(item.status in blocking and item.start < high and low < item.end for item in person.busy)


def allowed(start: datetime, people: list[Person], request: Request) -> bool:
    """Every hard rule, checked directly on datetimes."""
    end = start + request.duration
    if start < request.start or end > request.end or start < request.now + request.minimum_notice:
        return False
    minutes = start.hour * 60 + start.minute
    if start.second or start.microsecond or minutes % (request.granularity // timedelta(minutes=1)):
        return False
    for p in people:
        if not p.required:
            continue
        assert p.hours is not None
        if blocked(start, end, p, request):
            return False
        if p.id not in request.widened and not inside_working_hours(start, end, p.hours):
            return False
    return True
