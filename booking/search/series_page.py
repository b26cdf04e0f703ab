"""The booking page's answer to a series search: each time with how many occurrences work, which clash and
why, and where a clock change moves it for a colleague; each with its link to book the whole series."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlencode

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, ngettext

from accounts.models import Membership
from booking.engine.recurrence import Recurrence, occurrence_dates
from booking.engine.series import TOO_SOON, Clash, SeriesTime, Shift, way_round
from booking.occurrences import NearMiss
from booking.search.series import SeriesAnswer, series_search
from booking.search.series_form import WEEKS, near_miss_query, recurrence_from, series_query
from booking.series_words import series_in_words
from localtime import reading

SHOWN = 8  # times listed: those that work for every occurrence come first
_CLASHES_NAMED = 4


@dataclass(frozen=True)
class SeriesRow:
    """One time of the series as the page lists it."""

    clock: str  # "14:00-15:00"
    verdict: str  # "works all 26 times" / "3 of 26 clash: 14 Apr Ann out of office, …"
    fits: bool
    shifts: tuple[str, ...]  # "from 16 Mar this is 10:00 for Ann, not 09:00"
    url: str  # "" when no series at this time can be booked (its first days too soon, and no later start)
    anyway: str = ""  # a near miss: "14 Apr moved to 15:00, 21 Apr skipped"
    anyway_url: str = ""  # the same time booked with those changes
    later: str = ""  # "starts Dec 14: too soon on Dec 7" (the first occurrences are sooner than the notice)


def series_answer_html(
    *,
    organizer: Membership,
    data: Mapping[str, object],
    recurrence: Recurrence,
    required: list[Membership],
    optional: list[Membership],
    context: dict[str, object],
) -> tuple[SeriesAnswer, SafeString]:
    """Search the series and lay its answer out (templates/booking/_series_answer.html)."""
    minutes = int(str(data["minutes"]))
    answer = series_search(
        organizer=organizer, required=required, optional=optional, minutes=minutes, recurrence=recurrence
    )
    people = (organizer, required, optional)
    laters = [_StartsLater.of(t, data, recurrence) for t in answer.times[:SHOWN]]
    rows = tuple(_row(later, minutes, len(answer.result.dates), answer.times, people) for later in laters)
    note, shared = "", {(later.late, later.first_day) for later in laters}
    if len(shared) == 1 and laters[0].first_day:  # every time starts later for the same days: said once, above
        note = gettext("Too soon on %(late)s: every series below starts %(day)s.") % _later_words(laters[0])
        rows = tuple(dataclasses.replace(row, later="") for row in rows)
    words = series_in_words(recurrence, answer.result.dates)
    extra = {"answer": answer, "rows": rows, "series_words": words, "weeks": WEEKS, "later_note": note}
    html = render_to_string("booking/_series_answer.html", {**context, **extra})
    return answer, mark_safe(html)  # noqa: S308  (rendered by the template engine, escaped there)


@dataclass(frozen=True)
class _StartsLater:
    """A time whose first occurrences are sooner than the notice (the series is searched from today): the series
    it can be booked as starts at the first occurrence that is not, with as many fewer times. The confirmation
    refuses a start that has passed, so the first ones are neither booked, skipped nor moved."""

    judged: SeriesTime  # from the first occurrence it can be booked from: its starts and clashes
    data: Mapping[str, object]  # the search's fields, the series' count lowered by as many
    late: tuple[date, ...] = ()  # the occurrences too soon
    bookable: bool = True  # False when the later series would not give the same days (e.g. a month's 31st)
    first_day: date | None = None  # the later series' first day (the organizer's zone)

    @classmethod
    def of(cls, judged: SeriesTime, data: Mapping[str, object], recurrence: Recurrence) -> _StartsLater:
        late = tuple(c.day for c in judged.clashes if any(p.why == TOO_SOON for p in c.problems))
        if not late:
            return cls(judged, data)
        dates = occurrence_dates(recurrence)[len(late) :]
        fields = dict(data)
        if data.get("ends") == "count":
            fields["occurrences"] = len(dates)
        later = recurrence_from(fields, dates[0])
        kept = dataclasses.replace(
            judged,
            starts=judged.starts[len(late) :],
            clashes=judged.clashes[len(late) :],
            shifts=tuple(s for s in judged.shifts if s.day > dates[0]),  # not one it never meets
        )
        return cls(kept, fields, late, occurrence_dates(later) == dates, dates[0])


def _row(
    later: _StartsLater,
    minutes: int,
    total: int,
    times: tuple[SeriesTime, ...],
    people: tuple[Membership, list[Membership], list[Membership]],
) -> SeriesRow:
    judged, total = later.judged, total - len(later.late)
    base = _confirm_base(people[0], later.data, people[1], people[2])
    at = judged.at.hour * 60 + judged.at.minute
    first = judged.starts[0]  # the series starts there, whether or not its first occurrence is skipped or moved
    url = f"{base[0]}?{urlencode({'start': first.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')})}&{base[1]}"
    row = SeriesRow(
        clock=f"{_clock(at)}-{_clock(at + minutes)}",
        verdict=verdict(judged, total),
        fits=judged.fits and later.bookable,
        shifts=tuple(shift_words(s) for s in judged.shifts),
        url=url if later.bookable else "",
        later=gettext("starts %(day)s: too soon on %(late)s") % _later_words(later) if later.first_day else "",
    )
    if judged.fits or not later.bookable:
        return row
    way = way_round(judged, times)
    near_miss = NearMiss(frozenset(way.skip), dict(way.moves))
    return dataclasses.replace(row, anyway=near_miss.words, anyway_url=f"{url}&{urlencode(near_miss_query(near_miss))}")


def _clock(minutes: int) -> str:
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"


def verdict(judged: SeriesTime, total: int) -> str:
    """ "works all 26 times", or "3 of 26 clash: 14 Apr Ann out of office, 21 Apr you busy, …"."""
    if judged.fits:
        return gettext("works all %(total)d times") % {"total": total} if total > 1 else gettext("works")
    named = ", ".join(clash_words(c) for c in judged.clashes[:_CLASHES_NAMED])
    more = ", …" if len(judged.clashes) > _CLASHES_NAMED else ""
    clash = ngettext(
        "%(count)d of %(total)d clashes: %(named)s", "%(count)d of %(total)d clash: %(named)s", len(judged.clashes)
    )
    return clash % {"count": len(judged.clashes), "total": total, "named": named + more}


def _later_words(later: _StartsLater) -> dict[str, str]:
    """The days too soon and the later series' first day, for "starts Dec 14: too soon on Dec 7"."""
    assert later.first_day is not None
    language = get_language() or "en"
    return {
        "day": reading.day(later.first_day, "month_day", language),
        "late": ", ".join(reading.day(d, "month_day", language) for d in later.late),
    }


def clash_words(clash: Clash) -> str:
    who = "; ".join(f"{p.name} {p.why}".strip() for p in clash.problems)
    return f"{reading.day(clash.day, 'month_day', get_language() or 'en')} {who}"


def shift_words(shift: Shift) -> str:
    language = get_language() or "en"
    return gettext("from %(day)s this is %(now)s for %(name)s, not %(before)s") % {
        "day": reading.day(shift.day, "month_day", language),
        "now": reading.clock(datetime.combine(shift.day, shift.now), language),
        "name": shift.name,
        "before": reading.clock(datetime.combine(shift.day, shift.before), language),
    }


def _confirm_base(
    organizer: Membership, data: Mapping[str, object], required: list[Membership], optional: list[Membership]
) -> tuple[str, str]:
    """The confirmation link's path and its query after `start` (the same for every time listed)."""
    path = reverse("booking_confirm_page", kwargs={"code": organizer.organization.code})
    params: list[tuple[str, str]] = [("minutes", str(data["minutes"]))]
    params += [("required", str(m.user.uuid)) for m in required]
    params += [("optional", str(m.user.uuid)) for m in optional]
    params += [("subject", str(data.get("subject") or "")), ("agenda", str(data.get("agenda") or ""))]
    if data.get("teams"):
        params.append(("teams", "on"))
    params += series_query(dict(data))
    return path, urlencode(params)
