"""Headless Chromium (Debian's build, driven by Playwright) against the live test server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect, sync_playwright

from tests.conftest import running_in_ci

if TYPE_CHECKING:
    from accounts.models import User

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        message = "Chromium is not installed (apt-get install chromium)"
        if running_in_ci():
            pytest.fail(f"{message}; CI must provide it.")
        pytest.skip(message)
    return path


# Every Content-Security-Policy violation any page of the session's browser reported (its URL and what was blocked).
CSP_VIOLATIONS: list[str] = []
_TEST_STARTED_AT = [0]  # where the running test's violations begin in CSP_VIOLATIONS
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => window.__overlapCspViolation(
  `${e.effectiveDirective} blocked ${e.blockedURI || "inline code"} (${e.sourceFile || "the page"}:${e.lineNumber})`));
"""


def watch_content_security_policy(context: BrowserContext) -> BrowserContext:
    """Record each `securitypolicyviolation` event and each console error about the policy, on every page."""

    def violation(source: dict[str, Page], text: str) -> None:
        CSP_VIOLATIONS.append(f"{source['page'].url}: {text}")

    def console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            CSP_VIOLATIONS.append(f"{message.page.url if message.page else '?'}: {message.text}")

    context.expose_binding("__overlapCspViolation", violation)
    context.add_init_script(_REPORT_VIOLATIONS)
    context.on("console", console)
    return context


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    # Playwright's sync API runs an event loop in this thread; the live server's ORM calls are in other threads,
    # but the test's own database setup runs here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        new_context = browser.new_context

        def watched_context(*args: Any, **kwargs: Any) -> BrowserContext:
            return watch_content_security_policy(new_context(*args, **kwargs))

        browser.new_context = watched_context  # type: ignore[method-assign]  # every test's contexts are watched
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _pages_keep_the_content_security_policy() -> Iterator[None]:
    """A test whose pages broke the Content-Security-Policy fails, naming the page and what was blocked."""
    _TEST_STARTED_AT[0] = len(CSP_VIOLATIONS)
    yield
    broken = CSP_VIOLATIONS[_TEST_STARTED_AT[0] :]
    if broken:
        pytest.fail("The Content-Security-Policy was violated:\n" + "\n".join(broken[:10]))


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    yield page
    context.close()


# WCAG 2.1 AA: the rules axe-core tags for levels A and AA of WCAG 2.0 and 2.1.
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
_AXE = Axe()


def assert_accessible(page: Page) -> None:
    """Fail with axe-core's own report when the page as it stands breaks a WCAG 2.1 AA rule (and when any page so
    far broke the Content-Security-Policy)."""
    broken = CSP_VIOLATIONS[_TEST_STARTED_AT[0] :]
    assert not broken, "The Content-Security-Policy was violated:\n" + "\n".join(broken[:10])
    results = _AXE.run(page, options={**WCAG_21_AA, "resultTypes": ["violations"]})
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


PASSWORD = "correct horse battery staple"


def sign_in(page: Page, base_url: str, user: User) -> None:
    """From the first screen, the way this person may: at Microsoft (the emulator's pages) when Entra ID governs
    their account, else with their password."""
    user.refresh_from_db()  # the directory sync may have made them a Microsoft person since the object was read
    if not user.is_microsoft:
        sign_in_with_password(page, base_url, user.email)
        return
    page.goto(f"{base_url}/")
    assert_accessible(page)
    page.get_by_role("button", name="Sign in with Microsoft").click()
    page.locator("input[name=login]").fill(user.email)
    page.get_by_role("button", name="Next").click()
    page.wait_for_load_state()
    while page.get_by_role("button", name="Accept").count():
        page.get_by_role("button", name="Accept").click()
        page.wait_for_load_state()


def sign_in_with_password(page: Page, base_url: str, email: str) -> None:
    """An invited person signs in from the first screen (checked by axe before anything is typed)."""
    page.goto(f"{base_url}/")
    assert_accessible(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_load_state()


def screenshot(page: Page, name: str) -> Path:
    """Keep a picture of the page for a person to look at (test-artifacts/ is ignored by git)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def adele_picks_alex_in_berlin(browser: Browser, base_url: str, org: Any, emulator: Any) -> tuple[BrowserContext, Page]:
    """Adele (domain-wide, her browser in Berlin) on the booking page, her zone stored, with Alex Wilber required."""
    from tests.booking.world import connected

    adele = connected(org, emulator, "domain_wide", organizer="Adele Vance")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="Europe/Berlin")
    page = context.new_page()
    sign_in(page, base_url, adele.user)
    page.goto(f"{base_url}/orgs/{org.code}/book/")
    expect(page.locator("#tz")).to_have_attribute("data-stored", "Europe/Berlin")
    page.get_by_label("Find colleagues").fill("alex")
    page.get_by_role("button", name="Required").first.click()
    return context, page
