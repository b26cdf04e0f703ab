"""Whether Microsoft 365 answers an organization: every call that gave up on Microsoft (throttled past its
retries, unavailable, timed out) is recorded here, for the admins' pages.

Kept in the shared cache (Redis; a file in the demo), since the calls that meet it run in workers and beat, and
the pages that tell it run in the web: it is news, not history, and fades by itself. When that cache does not
answer (Redis restarting), the news is not kept and the pages read none: never an error of its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.cache import caches
from django.utils import timezone
from redis.exceptions import RedisError

from accounts.models import Organization
from integrations.connection.explain import explain_error
from integrations.microsoft import errors

log = logging.getLogger(__name__)
CACHE_AWAY = (RedisError, OSError)  # the shared cache does not answer (Redis; in the demo, a file)
QUIET_AFTER = timedelta(minutes=5)  # no failure for this long: Microsoft is taken to answer again
KEPT = timedelta(days=1)
THROTTLE_DAYS = 7  # the health page's history of throttled calls, one count a day
TRANSIENT = (errors.Throttled, errors.Unavailable, errors.Timeout)


@dataclass(frozen=True)
class NotAnswering:
    since: datetime  # the first failure of this spell
    last: datetime
    reason: str

    @property
    def now(self) -> bool:
        """Still failing: the last failure is recent."""
        return timezone.now() - self.last < QUIET_AFTER


def microsoft_did_not_answer(*, organization: Organization, error: errors.MicrosoftError) -> None:
    """Record a call that gave up because Microsoft 365 did not answer (or throttled it past its retries)."""
    if not isinstance(error, TRANSIENT):
        return
    try:
        _record(organization, error)
    except CACHE_AWAY as away:  # the caller's own error matters more than this news
        log.warning(
            "Microsoft 365 not answering %s was not recorded: the shared cache did not answer (%s)",
            organization.pk,
            away,
        )


def _record(organization: Organization, error: errors.MicrosoftError) -> None:
    now, shared = timezone.now(), caches["shared"]
    spell = last_not_answering(organization=organization)
    since = spell.since if spell is not None and spell.now else now
    value = {"since": since.isoformat(), "last": now.isoformat(), "reason": explain_error(error).message[:300]}
    shared.set(_key(organization), value, timeout=KEPT.total_seconds())
    if isinstance(error, errors.Throttled):
        day = _throttled_key(organization, now)
        shared.add(day, 0, timeout=(THROTTLE_DAYS + 1) * KEPT.total_seconds())
        shared.incr(day)


def last_not_answering(*, organization: Organization) -> NotAnswering | None:
    """The last spell of Microsoft 365 not answering this organization (within a day), or None."""
    try:
        found = caches["shared"].get(_key(organization))
    except CACHE_AWAY:
        log.warning("Whether Microsoft 365 answers %s is unknown: the shared cache did not answer", organization.pk)
        return None
    if not found:
        return None
    parse = datetime.fromisoformat
    return NotAnswering(since=parse(found["since"]), last=parse(found["last"]), reason=found["reason"])


def throttled_today(*, organization: Organization) -> int:
    """How many calls Microsoft 365 throttled past their retries today (UTC); 0 while the shared cache is away."""
    days = throttled_by_day(organization=organization)
    return days[0][1] if days else 0


def throttled_by_day(*, organization: Organization) -> list[tuple[date, int]]:
    """How many calls Microsoft 365 throttled past their retries on each of the last THROTTLE_DAYS days (UTC),
    today first: the history of throttling met, while the shared cache keeps it (a restart of Redis forgets it);
    none while the shared cache does not answer."""
    today = timezone.now()
    days = [today - timedelta(days=back) for back in range(THROTTLE_DAYS)]
    try:
        found = caches["shared"].get_many([_throttled_key(organization, day) for day in days])
    except CACHE_AWAY:
        return []
    return [(day.date(), int(found.get(_throttled_key(organization, day)) or 0)) for day in days]


def _key(organization: Organization) -> str:
    return f"m365-not-answering:{organization.pk}"


def _throttled_key(organization: Organization, at: datetime) -> str:
    return f"m365-throttled:{organization.pk}:{at:%Y-%m-%d}"
