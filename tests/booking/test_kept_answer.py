"""The same search again, while its free/busy is cached, shows the answer kept from the first: the same page, and
a changed calendar (Overlap forgets the cached free/busy when it books) shows afresh."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from django.core.cache import cache

from booking.search.availability import availability_forget
from m365_emulator.testing import EmulatorProcess
from tests.booking.world import address, connected, event, member, next_week, plant, schedule_calls, search_page
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
