"""The answer lays out its first days of times and links the rest ("Show more days"): loaded in place by htmx, or
as a page of its own without script, from the answer kept for the search."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from booking.search.page import FIRST_DAYS
from m365_emulator.testing import EmulatorProcess
from tests.booking.world import address, connected, linked_starts, member, more_days, schedule_calls, set_zone
from tests.conftest import Org, signed_in

TODAY = date.today()


@pytest.fixture
def adele(org: Org, emulator_settings: EmulatorProcess) -> Membership:
    adele = connected(org, emulator_settings, "domain_wide", organizer="Adele Vance")
    set_zone(adele, "Europe/Berlin")
    return adele


def two_weeks(org: Org, colleague: Membership) -> dict[str, str]:
    first = TODAY + timedelta(days=7)
    return {
        "required": str(colleague.user.uuid),
        "minutes": "30",
        "start_date": str(first),
        "end_date": str(first + timedelta(days=13)),
    }


def page_of(client: Client, org: Org, query: dict[str, str], *, htmx: bool = True) -> str:
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get(reverse("booking_page", kwargs={"code": org.code}), query, headers=headers)
    assert response.status_code == 200
    return str(response.content.decode())


def day_headings(page: str) -> list[str]:
    return re.findall(r"<h3[^>]*>([^<]+)</h3>", page)


def left(page: str) -> int:
    """How many more days with times the page says it has not shown."""
    found = re.search(r"(\d+) more days? with times", page)
    assert found is not None
    return int(found.group(1))


def more_link(page: str) -> str:
    found = re.search(r'id="show-more-days" href="([^"]+)"', page)
    assert found is not None
    return html.unescape(found.group(1))


@pytest.mark.django_db
class TestMoreDays:
    def test_the_answer_shows_its_first_days_and_the_rest_come_in_place_without_asking_microsoft_again(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        alex = member(org, "Alex Wilber")
        client = signed_in(adele.user)
        cache.clear()

        first = page_of(client, org, two_weeks(org, alex))
        since = emulator_settings.last_seq()
        rest = more_days(client, first)

        assert len(day_headings(first)) == FIRST_DAYS and "Show more days" in first
        assert 'aria-describedby="more-days-help"' in first and 'hx-target="#more-days"' in first
        assert len(day_headings(rest)) == left(first) > 0
        assert 'role="status"' in rest and "autofocus" in rest and "Show more days" not in rest
        assert "Best times" not in rest and "<h1>" not in rest  # only the days, in place of the link
        assert schedule_calls(emulator_settings, since) == 0  # read from the cached free/busy
        assert max(linked_starts(first.split('id="every"')[1])) < min(linked_starts(rest))  # the days after

    def test_without_script_the_link_is_a_page_with_the_next_days(self, org: Org, adele: Membership) -> None:
        alex = member(org, "Alex Wilber")
        client = signed_in(adele.user)
        first = page_of(client, org, two_weeks(org, alex), htmx=False)

        page = client.get(more_link(first)).content.decode()

        assert "<h1>Book a meeting</h1>" in page and "Every time, by day" in page
        assert len(day_headings(page)) == left(first) > 0 and linked_starts(page)

    def test_a_from_that_is_not_a_day_shows_the_first_days(self, org: Org, adele: Membership) -> None:
        alex = member(org, "Alex Wilber")
        query = {**two_weeks(org, alex), "from": "next-tuesday"}

        page = page_of(signed_in(adele.user), org, query)

        assert len(day_headings(page)) == FIRST_DAYS and "Show more days" in page

    def test_a_short_range_has_no_link(self, org: Org, adele: Membership) -> None:
        alex = member(org, "Alex Wilber")
        query = {**two_weeks(org, alex), "end_date": str(TODAY + timedelta(days=8))}

        page = page_of(signed_in(adele.user), org, query)

        assert day_headings(page) and "Show more days" not in page

    def test_an_outsider_gets_no_days(self, org: Org, adele: Membership, outsider_client: Client) -> None:
        alex = member(org, "Alex Wilber")
        first = page_of(signed_in(adele.user), org, two_weeks(org, alex))

        response = outsider_client.get(more_link(first), HTTP_HX_REQUEST="true")

        assert response.status_code == 404 and not linked_starts(response.content.decode())

    def test_in_individual_mode_every_day_is_laid_out_as_the_rest_would_ask_microsoft_again(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        adele = connected(org, emulator_settings, "delegated", organizer="Adele Vance")
        set_zone(adele, "Europe/Berlin")
        today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        for name in ("Adele Vance", "Alex Wilber"):  # free calendars: every working day has times
            emulator_settings.clear(address(name), today - timedelta(days=1), today + timedelta(days=23))

        page = page_of(signed_in(adele.user), org, two_weeks(org, member(org, "Alex Wilber")))

        assert len(day_headings(page)) > FIRST_DAYS and "Show more days" not in page
