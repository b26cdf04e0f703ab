"""The booking page's answer to a series search: each time with how many occurrences work, which clash and
why, and where a clock change moves it for a colleague; each with its link to book the whole series."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, ngettext

from accounts.models import Membership
from booking.engine.recurrence import Recurrence
from booking.engine.series import Clash, SeriesTime, Shift, way_round
from booking.occurrences import NearMiss
from booking.search.series import SeriesAnswer, series_search
from booking.search.series_form import WEEKS, near_miss_query, series_query
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
    url: str
    anyway: str = ""  # a near miss: "14 Apr moved to 15:00, 21 Apr skipped"
    anyway_url: str = ""  # the same time booked with those changes


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
    base = _confirm_base(organizer, data, required, optional)
    rows = tuple(_row(t, minutes, len(answer.result.dates), base, answer.times) for t in answer.times[:SHOWN])
    words = series_in_words(recurrence, answer.result.dates)
    extra = {"answer": answer, "rows": rows, "series_words": words, "weeks": WEEKS}
    html = render_to_string("booking/_series_answer.html", {**context, **extra})
    return answer, mark_safe(html)  # noqa: S308  (rendered by the template engine, escaped there)


def _row(
    judged: SeriesTime, minutes: int, total: int, base: tuple[str, str], times: tuple[SeriesTime, ...]
) -> SeriesRow:
    at = judged.at.hour * 60 + judged.at.minute
    first = judged.starts[0]  # the series starts there, whether or not its first occurrence is skipped or moved
    url = f"{base[0]}?{urlencode({'start': first.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')})}&{base[1]}"
    row = SeriesRow(
        clock=f"{_clock(at)}-{_clock(at + minutes)}",
        verdict=verdict(judged, total),
        fits=judged.fits,
        shifts=tuple(shift_words(s) for s in judged.shifts),
        url=url,
    )
    if judged.fits:
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
