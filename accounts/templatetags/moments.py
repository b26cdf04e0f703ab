"""The one place a page writes a time for its reader, in the reader's language (`localtime.reading`, CLDR):

- `{{ start|clock }}` "2:00 PM" / "14:00"; `{{ day|day:"day" }}` "Tuesday, January 5" (shapes in
  `localtime.reading.DAY_SHAPES`); `{{ start|when:"short_day" }}` "Tue, Jan 5, 2:00 PM".
- `{{ value|moment }}`: when something happened (a sync, a consent, an audit entry), with its zone, as a <time>,
  marked so that a reader's tools can tell a moment from a meeting's time, and the README's pictures can blank it
  (a picture taken again must not change because the clock did). `moment:"clock"` leaves the date out.

Like Django's `date` filter, each writes the value on the page's clock (`{% timezone %}`), or on its own inside
`{% localtime off %}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]
from django.utils.translation import get_language

from localtime import reading

register = template.Library()


def _language() -> str:
    return get_language() or "en"


# `expects_localtime`: the template hands these the value on the reader's clock, or as it is inside
# `{% localtime off %}` (a page that converted its times itself), as it does for Django's `date` filter.
@register.filter(expects_localtime=True)
def clock(value: datetime | None) -> str:
    return reading.clock(value, _language()) if isinstance(value, datetime) else ""


@register.filter(expects_localtime=True)
def day(value: date | None, shape: str = "day") -> str:
    return reading.day(value, shape, _language()) if isinstance(value, date) else ""


@register.filter(expects_localtime=True)
def when(value: datetime | None, shape: str = "short_day") -> str:
    return reading.day_and_clock(value, shape, _language()) if isinstance(value, datetime) else ""


@register.filter
def moment(value: datetime | None, shape: str = "date") -> SafeString | str:
    if not isinstance(value, datetime):
        return ""
    local = template_localtime(value)
    words = reading.clock(local, _language()) if shape == "clock" else reading.day_and_clock(local, shape, _language())
    return format_html('<time class="moment" datetime="{}">{} {}</time>', local.isoformat(), words, local.tzname())


@register.filter
def hour(value: int | None) -> str:
    """An hour of the day as a grid's column reads it: "9 AM" (en), "9時" (ja), "09 Uhr" (de)."""
    return reading.hour(value, _language()) if isinstance(value, int) else ""


@register.filter
def names(people: Iterable[Any], first: str = "") -> str:
    """People (users, or memberships and participants with a `user`) as the language lists them: "Ana, Ben and
    Cho", "Ana、Ben、Cho"; `first` (e.g. "you") before them."""
    named = [getattr(getattr(p, "user", p), "display_name", str(p)) for p in people]
    return reading.listed([first, *named] if first else named, _language())
