"""The one place a page writes a time for its reader, in the reader's language (`localtime.reading`, CLDR):

- `{{ start|clock }}` "2:00 PM" / "14:00"; `{{ day|day:"day" }}` "Tuesday, January 5" (shapes in
  `localtime.reading.DAY_SHAPES`); `{{ start|when:"short_day" }}` "Tue, Jan 5, 2:00 PM".
- `{{ value|moment }}`: when something happened (a sync, a consent, an audit entry), with its zone, as a <time>,
  marked so that a reader's tools can tell a moment from a meeting's time, and the README's pictures can blank it
  (a picture taken again must not change because the clock did). `moment:"clock"` leaves the date out.

Each writes the value on its own clock: a template that wants the reader's puts it in `{% timezone %}` or converts
it first, as before.
"""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]
from django.utils.translation import get_language

from localtime import reading

register = template.Library()


def _language() -> str:
    return get_language() or "en"


@register.filter
def clock(value: datetime | None) -> str:
    return reading.clock(template_localtime(value), _language()) if isinstance(value, datetime) else ""


@register.filter
def day(value: date | None, shape: str = "day") -> str:
    if isinstance(value, datetime):
        value = template_localtime(value)
    return reading.day(value, shape, _language()) if isinstance(value, date) else ""


@register.filter
def when(value: datetime | None, shape: str = "short_day") -> str:
    return reading.day_and_clock(template_localtime(value), shape, _language()) if isinstance(value, datetime) else ""


@register.filter
def moment(value: datetime | None, shape: str = "date") -> SafeString | str:
    if not isinstance(value, datetime):
        return ""
    local = template_localtime(value)
    words = reading.clock(local, _language()) if shape == "clock" else reading.day_and_clock(local, shape, _language())
    return format_html('<time class="moment" datetime="{}">{} {}</time>', local.isoformat(), words, local.tzname())
