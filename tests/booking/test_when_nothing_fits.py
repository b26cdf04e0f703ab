"""A search where nothing fits, through the page in both modes: who blocks each day, the ways out, and one of them
applied with a click and booked."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from accounts.models import Membership
from booking.models import Booking
from m365_emulator.testing import EmulatorProcess
from tests.booking.helpers import World, book, form, world_in
from tests.booking.world import event, linked_starts, member, plant, search_page
from tests.conftest import Org

pytestmark = pytest.mark.usefixtures("data_contract")
PACIFIC, EASTERN = ZoneInfo("America/Los_Angeles"), ZoneInfo("America/New_York")


def _hard_day(world: World, people: list[Membership]) -> datetime:
    """A weekday about two weeks out (UTC midnight), every calendar emptied around it."""
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=14)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    for person in people:
        world.emulator.clear(person.user.email, day - timedelta(days=1), day + timedelta(days=2))
    return day


def _ways_out(page: str) -> dict[str, str]:
    """The page's ways out: their words and the search each link runs."""
    section = page.split('id="ways-out"', 1)[1].split("</section>", 1)[0]
    return {
        html.unescape(words): html.unescape(url) for url, words in re.findall(r'<a href="([^"]+)">([^<]+)</a>', section)
    }


def test_when_nothing_fits_the_page_names_who_blocks_and_applying_a_way_out_books(
    world: World, outsider_client: Client
) -> None:
    debra = member(world.org, "Debra Berger")
    day = _hard_day(world, [world.megan, world.alex, debra])
    plant(world.emulator, world.alex.user.email, event(day, 36 * 60, "Secret offsite in Lisbon", showAs="oof"))
    client = world.client(world.megan)

    page, starts = search_page(
        client, world.org, required=[world.alex, debra], minutes=60, days=(day.date(), day.date())
    )

    assert starts == []
    assert "<strong>Alex Wilber</strong>: out of office through their working hours" in page
    assert '<th scope="row">Alex Wilber</th>' in page and ">out of office</td>" in page
    assert '<th scope="row">Debra Berger</th>' in page and ">free</td>" in page
    assert "Secret offsite" not in page and "Lisbon" not in page
    ways = _ways_out(page)
    optional = next(url for words, url in ways.items() if words.endswith("works if Alex Wilber is optional"))

    assert outsider_client.get(optional).status_code == 404  # another organization's search, even as a link
    applied = client.get(optional, HTTP_HX_REQUEST="true").content.decode()

    (start, *_) = linked_starts(applied)
    # Inside Megan's (Pacific) and Debra's (Eastern) working hours, 09:00-17:00 on their own clocks, whatever the
    # season: the hours in UTC move with each clock change.
    megan_local, debra_local = start.astimezone(PACIFIC), start.astimezone(EASTERN)
    assert megan_local.date() == day.date() and megan_local.hour >= 9
    assert debra_local.hour * 60 + debra_local.minute + 60 <= 17 * 60
    response = book(client, world.org, form(start, minutes=60, required=[debra], optional=[world.alex]))
    (booking,) = Booking.objects.all()
    assert response.status_code == 302 and booking.state == Booking.State.CONFIRMED


def test_when_few_times_fit_who_blocks_is_folded_and_reads_as_a_table_of_words_without_any_subject(
    world: World,
) -> None:
    day = _hard_day(world, [world.megan, world.alex])
    # Alex is busy all day but for 19:00-20:30 UTC, inside his and Megan's hours in every season: a few times.
    plant(world.emulator, world.alex.user.email, event(day + timedelta(hours=12), 7 * 60, "Board dinner at Chez Nous"))
    plant(world.emulator, world.alex.user.email, event(day + timedelta(hours=20, minutes=30), 15 * 60, "Board dinner"))

    page, starts = search_page(
        world.client(world.megan), world.org, required=[world.alex], minutes=60, days=(day.date(),) * 2
    )

    assert 0 < len(starts) < 5
    assert '<details class="card" id="who-blocks">' in page  # folded: the times come first
    grid = page.split('<table class="hours-grid">', 1)[1].split("</table>", 1)[0]
    assert "<caption>Each person&#x27;s hours on" in grid or "<caption>Each person's hours on" in grid
    assert '<th scope="col">Person</th>' in grid and '<th scope="col">7 PM</th>' in grid
    assert '<th scope="row">Alex Wilber</th>' in grid and '<th scope="row">you</th>' in grid
    cells = re.findall(r'<td class="state-[a-z-]*">([^<]*)</td>', grid)
    assert cells and set(cells) <= {"free", "busy", "partly busy", "outside hours"}  # a word in every cell
    assert {"free", "busy", "outside hours"} <= set(cells)
    assert "Board dinner" not in page and "Chez Nous" not in page


def test_in_individual_mode_times_outside_hours_graph_will_not_offer_still_get_who_blocks(
    org: Org, emulator_settings: EmulatorProcess
) -> None:
    world = world_in(org, emulator_settings, "delegated")
    diego = member(world.org, "Diego Ruiz")  # Berlin: his working day never meets Megan's (Los Angeles)
    day = _hard_day(world, [world.megan, diego])

    page, starts = search_page(
        world.client(world.megan),
        world.org,
        required=[diego],
        minutes=60,
        days=(day.date(),) * 2,
        widen=[str(diego.user.uuid)],
    )

    assert starts == []  # Overlap could book Diego outside his hours; Microsoft 365 keeps them, so offers nothing
    assert "cannot be booked outside theirs while your organization uses individual calendar connections" in page
    assert '<details class="card" id="who-blocks" open>' in page
    assert "Everyone works this day, but their working hours never overlap for the meeting." in page
    assert '<th scope="row">Diego Ruiz</th>' in page and ">outside hours</td>" in page
