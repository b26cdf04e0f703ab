"""How much one person may do in a while: bookings, invitations, searches.

Counted by django-ratelimit in Django's cache, which is Redis in production, so every web worker and machine
shares one count. Overlap's own limits count the signed-in member (their user id), never the client address:
behind gunicorn and a proxy every request comes from the proxy's address. The rates are settings
(`RATE_LIMIT_*`, config/settings/base.py), read at each request. Past a limit the person gets the 429 page,
which says what was limited and when they can try again. While Redis does not answer (restarting), nothing is
counted and nothing refused, with a warning in the log: a booking made meanwhile is saved, not turned into a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Concatenate, ParamSpec, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import get_usage
from django_stubs_ext import StrOrPromise
from redis.exceptions import RedisError

P = ParamSpec("P")
View = Callable[Concatenate[HttpRequest, P], HttpResponse]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    group: str  # the counter's name in the cache
    setting: str  # the setting holding its rate, e.g. "20/h"
    what: StrOrPromise  # what was limited, in the page's words (its reader's language)

    @property
    def rate(self) -> str:
        return str(getattr(settings, self.setting))


# Retrying and rescheduling write to calendars and mail the attendees as booking does, so they share its count.
BOOKINGS = Limit("overlap.bookings", "RATE_LIMIT_BOOKINGS", _("bookings and reschedules"))
INVITATIONS = Limit("overlap.invitations", "RATE_LIMIT_INVITATIONS", _("invitations"))
INVITATIONS_PER_ADDRESS = Limit(
    "overlap.invitations-per-address", "RATE_LIMIT_INVITATIONS_PER_ADDRESS", _("invitations to this address")
)
SEARCHES = Limit("overlap.searches", "RATE_LIMIT_SEARCHES", _("searches for times"))
PEOPLE_SEARCHES = Limit("overlap.people-searches", "RATE_LIMIT_PEOPLE_SEARCHES", _("colleague searches"))


def wait_seconds(request: HttpRequest, limit: Limit, *, key: str | None = None) -> int | None:
    """Count one use of `limit` by the signed-in member (or of `key`, e.g. an invited address); None while within
    the limit, else the seconds until the count starts again."""
    value = key if key is not None else str(request.user.pk)
    try:
        usage = get_usage(request, group=limit.group, key=lambda group, request: value, rate=limit.rate, increment=True)
    except RedisError as error:  # refusing everyone while Redis restarts would be worse than counting no one
        log.warning("Limit %s not counted: the cache does not answer (%s)", limit.group, error)
        return None
    if usage is None or not usage["should_limit"]:
        return None
    return max(1, int(usage["time_left"]))


def too_many(request: HttpRequest, limit: Limit, seconds: int) -> HttpResponse:
    """The 429 page: what was limited, and when to try again (also as Retry-After, for scripts)."""
    partial = bool(getattr(request, "htmx", False))  # an htmx part of a page: the card alone, swapped in place
    context = {
        "what": limit.what,
        "rate": _rate_in_words(limit.rate),
        "wait": _duration_in_words(seconds),
        "partial": partial,
    }
    response = render(request, "_429.html" if partial else "429.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response


def limited(limit: Limit, *, methods: tuple[str, ...] = ()) -> Callable[[View[P]], View[P]]:
    """Count each request to the view (of these methods; all when none are named) against `limit`; past it, the
    429 page instead of the view. Goes under `login_required`: it counts the member."""

    def decorate(view: View[P]) -> View[P]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            counted = not methods or request.method in methods
            seconds = wait_seconds(request, limit) if counted else None
            if seconds is not None:
                return too_many(request, limit, seconds)
            return view(request, *args, **kwargs)

        return cast(View[P], wrapper)  # wraps' own type forgets the parameters it kept

    return decorate


_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


def period_in_words(rate: str) -> str:
    """The period of a rate: "20/h" -> "an hour"; "5/10m" -> "10 minutes"."""
    period = rate.partition("/")[2]
    number, unit = period[:-1], _UNITS[period[-1]]
    if not number or number == "1":
        return {
            "second": pgettext("a rate's period", "a second"),
            "minute": pgettext("a rate's period", "a minute"),
            "hour": pgettext("a rate's period", "an hour"),
            "day": pgettext("a rate's period", "a day"),
        }[unit]
    return _amount(int(number), unit)


def _rate_in_words(rate: str) -> str:
    """ "20/h" -> "20 an hour"; "5/10m" -> "5 in 10 minutes"."""
    count, _, period = rate.partition("/")
    said = gettext("%(count)s %(period)s") if period[:-1] in ("", "1") else gettext("%(count)s in %(period)s")
    return said % {"count": count, "period": period_in_words(rate)}


def _duration_in_words(seconds: int) -> str:
    """Rounded up to what a person reads: "40 seconds", "12 minutes", "3 hours"."""
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds > size * 2 or (seconds >= size and unit == "minute"):
            return _amount(-(-seconds // size), unit)
    return _amount(seconds, "second")


def _amount(amount: int, unit: str) -> str:
    """ "1 minute", "12 minutes" in the reader's language."""
    words = {
        "second": ngettext("%(amount)d second", "%(amount)d seconds", amount),
        "minute": ngettext("%(amount)d minute", "%(amount)d minutes", amount),
        "hour": ngettext("%(amount)d hour", "%(amount)d hours", amount),
        "day": ngettext("%(amount)d day", "%(amount)d days", amount),
    }[unit]
    return words % {"amount": amount}
