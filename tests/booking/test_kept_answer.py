"""The same search again, while its free/busy is cached, shows the answer kept from the first: the same page, and
a changed calendar (Overlap forgets the cached free/busy when it books) shows afresh."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from booking.search.availability import availability_forget
from m365_emulator.testing import EmulatorProcess
from tests.booking.world import (
    address,
    connected,
    event,
    linked_starts,
    member,
    next_week,
    plant,
    schedule_calls,
    search_page,
    set_zone,
)
from tests.conftest import Org, signed_in


def answer(found: tuple[str, list[datetime]]) -> tuple[str, list[datetime]]:
    """The page without its CSRF token (masked afresh for every response)."""
    page, starts = found
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page), starts


@pytest.mark.django_db
class TestKeptAnswer:
    def test_the_same_search_again_shows_the_same_page_and_a_forgotten_calendar_is_read_afresh(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        organizer = connected(org, emulator_settings, "domain_wide", organizer="Adele Vance")
        alex = member(org, "Alex Wilber")
        client = signed_in(organizer.user)
        cache.clear()
        first, first_starts = answer(search_page(client, org, required=[alex]))
        since = emulator_settings.last_seq()
        again = [answer(search_page(client, org, required=[alex])) for _ in range(2)]
        assert schedule_calls(emulator_settings, since) == 0
        assert first_starts and all(page == first and starts == first_starts for page, starts in again)
        taken = first_starts[0]
        plant(emulator_settings, address("Alex Wilber"), event(taken, 30, "Taken since"))
        availability_forget(organization=org.organization, people=[alex])
        page, starts = answer(search_page(client, org, required=[alex]))
        assert schedule_calls(emulator_settings, since) == 1
        assert taken not in starts and page != first
        assert next_week()[0] <= starts[0]

    def test_an_answer_is_kept_until_the_first_allowed_start_moves_to_the_next_grid_mark(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        monday = date(2027, 3, 8)
        organizer = connected(org, emulator_settings, "domain_wide", organizer="Adele Vance")
        alex = member(org, "Alex Wilber")
        for person in (organizer, alex):
            set_zone(person, "UTC")
            emulator_settings.clear(
                person.user.email, datetime(2027, 3, 8, tzinfo=UTC), datetime(2027, 3, 9, tzinfo=UTC)
            )
        cache.clear()
        with time_machine.travel(datetime(2027, 3, 6, 12, tzinfo=UTC), tick=False):
            client = signed_in(organizer.user)
            first = linked_starts(_search(client, org, alex, monday)[0])[0]  # the day's first time, seen on Saturday
        # 61 min 10 s before it, with the hour's notice, the first start allowed is that time: it is shown.
        with time_machine.travel(first - timedelta(minutes=61, seconds=10), tick=False) as clock:
            cache.clear()  # as if two minutes had passed in Redis too: the free/busy is read afresh, and kept
            page, made_afresh = _search(client, org, alex, monday)  # with the answer made from it
            assert made_afresh and linked_starts(page)[0] == first
            clock.shift(65)  # another minute, the same first start allowed: the kept answer, nothing rendered
            again, made_afresh = _search(client, org, alex, monday)
            assert not made_afresh and again == page
            clock.shift(35)  # now plus the notice is past that time: the next mark is the first
            later, made_afresh = _search(client, org, alex, monday)
            assert made_afresh and first not in linked_starts(later)
            assert linked_starts(later)[0] == first + timedelta(minutes=15)

    def test_an_answer_is_not_shown_once_its_free_busy_has_been_read_again_and_differs(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        monday = next_week()[0].date()
        organizer = connected(org, emulator_settings, "domain_wide", organizer="Adele Vance")
        alex = member(org, "Alex Wilber")
        day_start = datetime.combine(monday, datetime.min.time(), tzinfo=UTC)
        for person in (organizer, alex):  # a free day, whatever the demo's calendars hold that week
            set_zone(person, "UTC")
            emulator_settings.clear(person.user.email, day_start, day_start + timedelta(days=1))
        client = signed_in(organizer.user)
        cache.clear()
        page, made_afresh = _search(client, org, alex, monday)  # Microsoft read: the answer is kept with it
        again, made_again = _search(client, org, alex, monday)
        assert made_afresh and not made_again and again == page
        taken = linked_starts(page)[0]
        plant(emulator_settings, address("Alex Wilber"), event(taken, 30, "Taken since"))
        _free_busy_expires_before_the_answer()
        _search(client, org, alex, monday, subject="Another meeting")  # reads Alex's day again, with the new event
        later, made_afresh = _search(client, org, alex, monday)
        assert made_afresh and taken not in linked_starts(later)


def _free_busy_expires_before_the_answer() -> None:
    """Every cached value goes but the kept answers (the free/busy is kept as long, and was kept first)."""
    backend = cache._cache  # type: ignore[attr-defined]
    stored = list(backend) if isinstance(backend, dict) else [k.decode() for k in backend.get_client(None).keys("*")]
    for key in (raw.split(":", 2)[2] for raw in stored):  # "prefix:version:key"
        if not key.startswith("booking-answer:"):
            cache.delete(key)


def _search(
    client: Client, org: Org, alex: Membership, day: date, subject: str = "Quarterly planning"
) -> tuple[str, bool]:
    """The answer as htmx asks for it (CSRF token left out), and whether its template was rendered for it."""
    query = {
        "required": [str(alex.user.uuid)],
        "minutes": "30",
        "start_date": day.isoformat(),
        "end_date": day.isoformat(),
        "subject": subject,
    }
    response = client.get(reverse("booking_page", kwargs={"code": org.code}), query, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    rendered = any(t.name == "booking/_answer.html" for t in response.templates)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode()), rendered
