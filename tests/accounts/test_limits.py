"""Floods are refused: wrong passwords at /admin/login/ and at the sign-in, invitations by one admin or to one
address, searches by one member; each refusal is a page saying when to try again, and the counts are per person."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Invitation, User
from booking.models import Booking
from tests.booking.helpers import book, form, free_slot, meeting_url, world_in
from tests.booking.test_nothing_stuck import broker_down
from tests.conftest import Org

RIGHT = "the-right-long-password-42"


@pytest.fixture
def still_clock() -> Iterator[None]:
    """Overlap's limits count in fixed windows: with the clock standing still, a test's requests all fall in one."""
    with time_machine.travel(datetime.now(UTC), tick=False):
        yield


def _invite(client: Client, org: Org, email: str) -> Any:
    return client.post(reverse("invitations", kwargs={"code": org.code}), {"email": email, "role": "member"})


def _sign_in(client: Client, email: str, password: str, **headers: str) -> Any:
    return client.post(reverse("account_login"), {"login": email, "password": password}, headers=headers)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_forty_wrong_admin_passwords_then_the_right_one_never_open_the_admin(org: Org) -> None:
    root = User.objects.create_superuser(email="root@contoso.example", password=RIGHT)
    attacker = Client()

    answers = [attacker.post("/admin/login/", {"username": root.email, "password": f"guess-{n}"}) for n in range(40)]
    last = attacker.post("/admin/login/", {"username": root.email, "password": RIGHT})

    # The admin's own form is gone: every try is sent to the site's sign-in, where the limits hold.
    assert {(a.status_code, a["Location"].split("?")[0]) for a in [*answers, last]} == {(302, "/accounts/login/")}
    assert not _signed_in(attacker)
    assert attacker.get("/admin/").status_code == 302


def test_forty_wrong_passwords_at_the_sign_in_then_the_right_one_are_refused(org: Org) -> None:
    attacker = Client()

    answers = [_sign_in(attacker, org.admin.email, f"guess-{n}") for n in range(40)]
    last = _sign_in(attacker, org.admin.email, "x")
    org.admin.set_password(RIGHT)
    org.admin.save()
    right = _sign_in(attacker, org.admin.email, RIGHT)

    assert "Too many wrong passwords for this account. Try again in 5 minutes at most." in answers[5].text
    assert answers[-1].status_code == last.status_code == right.status_code == 429  # 30 tries a minute per client
    assert "Please wait before trying again" in right.text
    assert not _signed_in(attacker)


def test_wrong_passwords_from_many_addresses_still_lock_the_one_account(org: Org, settings: Any) -> None:
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    org.admin.set_password(RIGHT)
    org.admin.save()
    attacker = Client()
    for n in range(5):
        _sign_in(attacker, org.admin.email, f"guess-{n}", x_forwarded_for=f"203.0.113.{n}")

    right = _sign_in(attacker, org.admin.email, RIGHT, x_forwarded_for="203.0.113.99")

    assert "Too many wrong passwords for this account" in right.text
    assert not _signed_in(attacker)


def test_behind_the_proxy_one_clients_wrong_passwords_do_not_lock_out_the_rest(org: Org, settings: Any) -> None:
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1  # every request comes from the proxy's address; the client is in XFF
    for n in range(10):
        _sign_in(Client(), f"nobody{n}@contoso.example", "guess", x_forwarded_for="203.0.113.7")
    org.member.set_password(RIGHT)
    org.member.save()

    refused = _sign_in(Client(), org.member.email, RIGHT, x_forwarded_for="203.0.113.7")
    colleague = Client()
    welcomed = _sign_in(colleague, org.member.email, RIGHT, x_forwarded_for="198.51.100.8")

    assert "Too many" in refused.text
    assert welcomed.status_code == 302 and _signed_in(colleague)


@pytest.mark.usefixtures("still_clock")
def test_thirty_invitations_in_a_few_seconds_stop_at_the_admins_limit(org: Org, admin_client: Client) -> None:
    answers = [_invite(admin_client, org, f"outsider{n}@mailinator.example") for n in range(30)]

    assert [a.status_code for a in answers] == [302] * 20 + [429] * 10
    assert "You have reached the limit for invitations (20 an hour). Try again in" in answers[-1].text
    assert 0 < int(answers[-1]["Retry-After"]) <= 3600
    assert len(mail.outbox) == Invitation.objects.count() == 20
    # The page itself still opens: only sending counts.
    assert admin_client.get(reverse("invitations", kwargs={"code": org.code})).status_code == 200


@pytest.mark.usefixtures("still_clock")
def test_one_address_flooded_with_invitations_from_several_organizations_gets_three_a_day(
    org: Org, other_org: Org, admin_client: Client, outsider_client: Client
) -> None:
    victim = "victim@example.com"
    ours = [_invite(admin_client, org, victim) for _ in range(3)]

    theirs = _invite(outsider_client, other_org, victim)
    someone_else = _invite(outsider_client, other_org, "someone.else@example.com")

    assert [a.status_code for a in ours] == [302] * 3
    assert theirs.status_code == 429 and "invitations to this address (3 a day)" in theirs.text
    assert someone_else.status_code == 302
    assert [m.to for m in mail.outbox] == [[victim]] * 3 + [["someone.else@example.com"]]
    assert Invitation.objects.filter(email=victim).count() == 3


@pytest.mark.usefixtures("still_clock")
def test_a_member_searching_for_times_in_a_loop_is_held_back_but_not_their_colleagues(
    org: Org, other_org: Org, member_client: Client, admin_client: Client, outsider_client: Client, settings: Any
) -> None:
    settings.RATE_LIMIT_SEARCHES = "3/m"
    page = reverse("booking_page", kwargs={"code": org.code})

    answers = [member_client.get(page) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert "searches for times (3 a minute). Try again in" in answers[-1].text
    assert admin_client.get(page).status_code == 200  # counted per member, not per address
    assert outsider_client.get(reverse("booking_page", kwargs={"code": other_org.code})).status_code == 200


@pytest.mark.usefixtures("still_clock")
def test_a_colleague_search_past_its_limit_shows_the_wait_in_place_of_the_results(
    org: Org, member_client: Client, settings: Any
) -> None:
    settings.RATE_LIMIT_PEOPLE_SEARCHES = "2/m"
    people = reverse("booking_people", kwargs={"code": org.code})
    for _ in range(2):
        assert member_client.get(people, {"q": "ad"}, headers={"HX-Request": "true"}).status_code == 200

    refused = member_client.get(people, {"q": "ad"}, headers={"HX-Request": "true"})

    assert refused.status_code == 429
    assert "<html" not in refused.text  # the card alone, swapped in where the results go
    assert re.search(r"colleague searches \(2 a minute\)\. Try again in \d+ (seconds?|minute)", refused.text)


def test_while_redis_does_not_answer_a_booking_is_saved_and_shown_not_a_500(
    org: Org, emulator_settings: Any, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    contoso = world_in(org, emulator_settings, "domain_wide")
    start = free_slot(contoso, [contoso.megan, contoso.adele])
    client = contoso.client(contoso.megan)
    client.raise_request_exception = False  # what a server answers
    with socket.socket() as probe:  # a port nobody listens on, as when Redis is killed
        probe.bind(("127.0.0.1", 0))
        gone = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{probe.getsockname()[1]}/0",
        }
    settings.CACHES = {**settings.CACHES, "default": gone}

    with broker_down():  # Redis is the broker too
        response = book(client, contoso.org, form(start, required=[contoso.adele]))

    booking = Booking.objects.get()
    assert response.status_code == 302 and response["Location"] == meeting_url(booking)
    assert booking.state == Booking.State.PENDING  # the sweep sends it once Redis is back
    assert "Limit overlap.bookings not counted: the cache does not answer" in caplog.text
