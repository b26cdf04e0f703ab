"""Errors look like the rest of Overlap and say what to do next; every page names the favicon, which exists."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.db import OperationalError, ProgrammingError
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from config import error_pages
from tests.conftest import Org


def test_a_typed_url_that_names_nothing_gets_the_styled_404(member_client: Client) -> None:
    response = member_client.get("/no/such/page")
    assert response.status_code == 404
    assert "There is nothing here" in response.text
    assert "Go to your organization" in response.text
    assert "overlap.css" in response.text


def test_a_member_on_an_admin_page_gets_the_styled_403_with_the_reason(member_client: Client, org: Org) -> None:
    response = member_client.get(f"/orgs/{org.code}/invitations/")
    assert response.status_code == 403
    assert "You cannot do this here" in response.text
    assert "Only the organization&#x27;s admins can do this." in response.text


def test_a_crash_gets_the_styled_500_without_any_context(db: None) -> None:
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_every_page_links_the_favicon_and_it_is_served(db: None) -> None:
    response = Client().get("/")
    assert 'rel="icon" href="/static/favicon.svg"' in response.text
    assert finders.find("favicon.svg")


def test_a_crash_because_the_database_is_away_gets_a_503_that_says_so_and_when_to_try_again(db: None) -> None:
    try:
        raise OperationalError("the database system is shutting down")
    except OperationalError:
        response = error_pages.server_error(RequestFactory().get("/"))
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "Overlap's database does not answer" in response.content.decode()


def test_any_other_crash_is_still_the_500(db: None) -> None:
    try:
        raise ProgrammingError("column does not exist")  # a bug, not the database away
    except ProgrammingError:
        response = error_pages.server_error(RequestFactory().get("/"))
    assert response.status_code == 500 and "Something went wrong on our side" in response.content.decode()
