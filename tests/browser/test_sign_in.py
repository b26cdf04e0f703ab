from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser_fixtures import assert_accessible, screenshot
from tests.conftest import Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_signs_in_and_sees_what_to_do_next(page: Page, live_server: LiveServer, org: Org) -> None:
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Meetings with colleagues")).to_be_visible()
    screenshot(page, "sign-in")
    assert_accessible(page)
    page.get_by_label("Email address").fill(org.admin.email)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Contoso")).to_be_visible()
    expect(page.get_by_text("What to do next, as an admin")).to_be_visible()
    screenshot(page, "organization-home-admin")
    assert_accessible(page)


def test_a_member_signs_in_and_sees_how_to_book(page: Page, live_server: LiveServer, org: Org) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    assert_accessible(page)
    page.get_by_label("Email address").fill(org.member.email)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text("Pick a colleague")).to_be_visible()
    expect(page.get_by_text("as an admin")).to_have_count(0)
    screenshot(page, "organization-home-member")
    assert_accessible(page)
