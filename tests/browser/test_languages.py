"""A member whose browser asks for Japanese, and one whose browser is US English, book a meeting and read My
meetings in their language and on their clock; an Arabic page lays out right to left. axe checks each page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from m365_emulator.testing import EmulatorProcess
from tests.booking.world import connected
from tests.browser_fixtures import assert_accessible, screenshot
from tests.conftest import Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What each reader's page says, in their words: the sign-in, the search, the answer and the booking.
WORDS = {
    "ja-JP": {
        "sign_in": "Microsoft でサインイン",
        "find": "同僚を検索",
        "required": "必須",
        "search": "時間を探す",
        "best": "最適な時間",
        "pick": "この時間にする",
        "confirm": "会議の確認",
        "book": "この会議を予約",
        "confirmed": "確定",
        "meetings": "マイ会議",
    },
    "en-US": {
        "sign_in": "Sign in with Microsoft",
        "find": "Find colleagues",
        "required": "Required",
        "search": "Find times",
        "best": "Best times",
        "pick": "Pick this time",
        "confirm": "Confirm the meeting",
        "book": "Book this meeting",
        "confirmed": "Confirmed",
        "meetings": "My meetings",
    },
}
# A day and a time as each reader writes them: "1月5日(火) 14:00" and "Tue, Jan 5, 2:00 PM".
TIMES = {
    "ja-JP": re.compile(r"\d{1,2}月\d{1,2}日\([日月火水木金土]\) \d{1,2}:\d\d\u2013\d{1,2}:\d\d"),
    "en-US": re.compile(
        r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [A-Z][a-z]{2} \d{1,2}, \d{1,2}:\d\d\u00a0[AP]M\u2013\d{1,2}:\d\d\u00a0[AP]M"
    ),
}
# English words of the pages that a Japanese reader must not meet (the engine's reasons aside, see below).
ENGLISH = ("Book a meeting", "Find times", "Best times", "your time", "Pick this time", "My meetings", "Upcoming")


def _sign_in(page: Page, base_url: str, email: str, words: dict[str, str]) -> None:
    """At Microsoft (the emulator's own pages, in English as Microsoft's would be for this test's account)."""
    page.goto(f"{base_url}/")
    assert_accessible(page)
    page.get_by_role("button", name=words["sign_in"]).click()
    page.locator("input[name=login]").fill(email)
    page.get_by_role("button", name="Next").click()
    page.wait_for_load_state()
    while page.get_by_role("button", name="Accept").count():
        page.get_by_role("button", name="Accept").click()
        page.wait_for_load_state()


@pytest.mark.parametrize(("locale", "zone"), [("ja-JP", "Asia/Tokyo"), ("en-US", "America/New_York")])
def test_a_member_books_and_reads_my_meetings_in_their_language_and_clock(
    browser: Browser, live_server: LiveServer, org: Org, emulator_settings: EmulatorProcess, locale: str, zone: str
) -> None:
    words, name = WORDS[locale], locale.lower()
    adele = connected(org, emulator_settings, "domain_wide", organizer="Adele Vance")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale, timezone_id=zone)
    page = context.new_page()
    _sign_in(page, live_server.url, adele.user.email, words)

    page.goto(f"{live_server.url}/orgs/{org.code}/book/")
    expect(page.locator("html")).to_have_attribute("lang", locale[:2])
    expect(page.locator("#tz")).to_have_attribute("data-stored", zone)
    page.get_by_label(words["find"]).fill("alex")
    page.get_by_role("button", name=words["required"]).first.click()
    page.get_by_role("button", name=words["search"]).click()
    expect(page.get_by_role("heading", name=words["best"])).to_be_visible()
    expect(page.locator("#best .when").first).to_contain_text(TIMES[locale])
    screenshot(page, f"languages-booking-{name}")
    assert_accessible(page)
    if locale == "ja-JP":
        shown = page.locator("main").inner_text()
        # The engine's reasons for a time ("mid-morning…") are not translated yet: they sit in .reasons.
        reasons = " ".join(page.locator("main .reasons").all_inner_texts())
        assert [w for w in ENGLISH if w in shown.replace(reasons, "")] == []

    page.get_by_role("link", name=words["pick"]).first.click()
    expect(page.get_by_role("heading", name=words["confirm"])).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name=words["book"]).click()
    expect(page.locator("#booking-status")).to_contain_text(words["confirmed"], timeout=20_000)

    page.goto(f"{live_server.url}/orgs/{org.code}/meetings/")
    expect(page.get_by_role("heading", name=words["meetings"], level=1)).to_be_visible()
    expect(page.locator(".meeting").first).to_contain_text(re.compile(r"\d:\d\d"))
    if locale == "en-US":
        expect(page.locator(".meeting").first).to_contain_text(re.compile(r"\d{1,2}:\d\d\u00a0[AP]M"))
    else:
        expect(page.locator(".meeting").first).to_contain_text(re.compile(r"\d{4}年\d{1,2}月\d{1,2}日"))
    screenshot(page, f"languages-my-meetings-{name}")
    assert_accessible(page)
    context.close()


def test_an_arabic_page_is_laid_out_right_to_left(browser: Browser, live_server: LiveServer, org: Org) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ar")
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page.evaluate("getComputedStyle(document.querySelector('main')).direction") == "rtl"
    brand = page.locator(".brand").bounding_box()
    assert brand is not None and brand["x"] > 640  # the name of the product stands on the right
    screenshot(page, "languages-arabic-sign-in")
    assert_accessible(page)
    context.close()


def test_a_member_chooses_japanese_on_their_own_page(
    browser: Browser, live_server: LiveServer, org: Org, emulator_settings: EmulatorProcess
) -> None:
    adele = connected(org, emulator_settings, "domain_wide", organizer="Adele Vance")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    _sign_in(page, live_server.url, adele.user.email, WORDS["en-US"])

    page.get_by_role("link", name="Adele Vance").click()
    expect(page.get_by_role("heading", name="Your language")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Language").select_option("ja")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name="言語")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("言語を保存しました。")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    screenshot(page, "languages-profile-ja")
    assert_accessible(page)
    context.close()
