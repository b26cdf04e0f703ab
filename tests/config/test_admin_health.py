"""The admins' health page: what runs and what waits for their organization, and only for them."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.cache import caches
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from kombu import Queue

from accounts.models import Membership
from booking import selectors as booking_selectors
from booking.models import Booking
from config.celery_app import HEARTBEAT_KEY
from config.celery_app import app as celery_app
from integrations.connection.health import connection_check
from integrations.models import CalendarGrant, Connection
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org, signed_in
from tests.factories import reach_found
from tests.integrations.helpers import browser, connect

FAR = datetime(2031, 3, 4, 15, 0, tzinfo=UTC)  # a time the bookings below are for; nothing reads the calendar


def health_url(org: Org) -> str:
    return reverse("organization_health", kwargs={"code": org.code})


def settings_url(org: Org) -> str:
    return reverse("integration_settings", kwargs={"code": org.code})


def planted(org: Org, *, state: str, subject: str, **fields: object) -> Booking:
    organizer = Membership.objects.get(organization=org.organization, user=org.member)
    return Booking.objects.create(
        organization=org.organization,
        organizer=organizer,
        start=FAR,
        end=FAR + timedelta(minutes=30),
        subject=subject,
        state=state,
        **fields,
    )


def test_an_outsider_gets_404_for_another_organizations_health_page(org: Org, outsider_client: Client) -> None:
    assert outsider_client.get(health_url(org)).status_code == 404


def test_a_member_who_is_not_an_admin_is_refused(org: Org, member_client: Client) -> None:
    assert member_client.get(health_url(org)).status_code == 403


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(org: Org) -> None:
    response = Client().get(health_url(org))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_settings_page_links_to_the_health_page(org: Org, admin_client: Client) -> None:
    assert health_url(org) in admin_client.get(settings_url(org)).content.decode()


def test_the_admin_sees_bookings_waiting_and_failed_with_reasons_and_no_other_organizations(
    org: Org, other_org: Org, admin_client: Client
) -> None:
    planted(org, state=Booking.State.PENDING, subject="Budget review")
    planted(org, state=Booking.State.FAILED, subject="Hiring panel", failure_reason="Adele's mailbox is gone.")
    planted(org, state=Booking.State.CONFIRMED, subject="Weekly sync", read_back_at=timezone.now())
    planted(other_org, state=Booking.State.PENDING, subject="Fabrikam secret plan")
    page = admin_client.get(health_url(org)).content.decode()
    assert "Waiting for their meeting (1)" in page and "Budget review" in page
    assert "Failed in the last 7 days (1)" in page and "Adele&#x27;s mailbox is gone." in page
    assert "Fabrikam secret plan" not in page
    assert "No meeting read back yet" not in page
    assert "Tasks run inside Overlap itself (no queue)." in page


def test_a_quiet_organization_reads_as_nothing_waiting(org: Org, admin_client: Client) -> None:
    page = admin_client.get(health_url(org)).content.decode()
    assert "Waiting for their meeting (0)" in page and "every booking has its meeting" in page
    assert "No meeting read back yet" in page and "Never" in page  # no directory sync yet
    assert "Microsoft 365 is not answering" not in page


def test_the_admin_sees_who_must_reconnect_and_who_cannot_be_reached(
    org: Org, other_org: Org, admin_client: Client
) -> None:
    member = Membership.objects.get(organization=org.organization, user=org.member)
    CalendarGrant.objects.create(
        membership=member, status=CalendarGrant.Status.RECONNECT_NEEDED, last_error_message="Sign-in expired."
    )
    reach_found(Membership.objects.get(user=org.admin), reachable=False, reason="Not enabled by your admin.")
    reach_found(Membership.objects.get(user=other_org.member), reachable=False, reason="Fabrikam's own reason.")
    page = admin_client.get(health_url(org)).content.decode()
    assert "Must connect their calendar again (1)" in page and "Sign-in expired." in page
    assert "Overlap cannot reach their mailbox (1)" in page and "Not enabled by your admin." in page
    assert "Fabrikam&#x27;s own reason." not in page


def purge() -> None:
    with celery_app.connection_for_write() as conn:
        Queue(celery_app.conf.task_default_queue, channel=conn.default_channel).purge()


def test_with_a_broker_the_admin_sees_how_many_tasks_wait_for_a_worker(org: Org, admin_client: Client) -> None:
    purge()  # the tests' broker is kombu's in-memory one, shared by the process
    celery_app.conf.task_always_eager = False  # tasks go through the broker, as in production
    try:
        for _ in range(3):
            celery_app.send_task("booking.tasks.sweep_pending")
        page = admin_client.get(health_url(org)).content.decode()
    finally:
        celery_app.conf.task_always_eager = True
        purge()
    assert "3 tasks waiting in the queue for a worker." in page


def test_when_microsoft_throttles_past_its_retries_the_settings_and_health_pages_say_it_is_not_answering(
    org: Org, other_org: Org, emulator_settings: EmulatorProcess
) -> None:
    admin = browser(org.admin)
    connect(admin, org, emulator_settings)
    emulator_settings.control("POST", "/throttle", {"count": 1000, "retry_after": 0.01})

    connection = connection_check(organization=org.organization)

    assert connection is not None and connection.status == Connection.Status.NEEDS_ATTENTION
    settings_page = admin.get(settings_url(org)).content.decode()
    health_page = admin.get(health_url(org)).content.decode()
    emulator_settings.control("POST", "/throttle", {"clear": True})
    for page in (settings_page, health_page):
        assert "Microsoft 365 is not answering" in page and "Overlap keeps trying by itself" in page
    assert "1 call gave up after Microsoft" in health_page
    outsider_page = signed_in(other_org.admin).get(settings_url(other_org)).content.decode()
    assert "Microsoft 365 is not answering" not in outsider_page


def test_a_broker_that_does_not_answer_is_named_on_the_page_instead_of_a_500(org: Org, admin_client: Client) -> None:
    from tests.booking.test_nothing_stuck import broker_down

    with broker_down():  # tasks go through a broker that does not answer
        response = admin_client.get(health_url(org))
    assert response.status_code == 200
    assert "The task queue does not answer" in response.content.decode()


def part(page: str, key: str) -> str:
    """The words of one of Overlap's own parts on the page (its <dd>)."""
    return page.split(f'<dd id="part-{key}">', 1)[1].split("</dd>", 1)[0]


def test_the_admin_sees_each_of_overlaps_own_parts_working(org: Org, admin_client: Client) -> None:
    caches["shared"].set(HEARTBEAT_KEY, time.time() - 12, timeout=None)
    page = admin_client.get(health_url(org)).content.decode()
    assert "Overlap's own parts" in page
    assert "Working" in part(page, "database") and "Answers." in part(page, "database")
    assert "Working" in part(page, "cache")
    assert "Working" in part(page, "broker") and "no queue" in part(page, "broker")
    assert "Working" in part(page, "beat") and "Last heartbeat 12 s ago." in part(page, "beat")


@pytest.mark.parametrize(
    ("age", "words"),
    [
        (None, "No heartbeat recorded"),
        (4 * 60 + 10, "No heartbeat for 4 minutes"),
        (5 * 3600, "No heartbeat for 5 hours"),
    ],
)
def test_a_beat_stopped_or_never_started_is_named_with_what_does_not_run(
    org: Org, admin_client: Client, age: float | None, words: str
) -> None:
    if age is not None:
        caches["shared"].set(HEARTBEAT_KEY, time.time() - age, timeout=None)
    beat = part(admin_client.get(health_url(org)).content.decode(), "beat")
    assert "Failing" in beat and words in beat
    assert "the sweep of waiting bookings" in beat and "Is `celery beat` running?" in beat


def test_a_redis_that_does_not_answer_is_named_on_the_page_instead_of_a_500(
    org: Org, admin_client: Client, settings: Any
) -> None:
    with socket.socket() as probe:  # a port nobody listens on, as when Redis is killed
        probe.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
    gone = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": dead}
    settings.CACHES = {**settings.CACHES, "default": gone, "shared": gone}

    response = admin_client.get(health_url(org))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Failing" in part(page, "cache") and "Does not answer" in part(page, "cache")
    assert "Cannot tell" in part(page, "beat") and "Redis, which does not answer" in part(page, "beat")
    assert "127.0.0.1" not in page, "an admin reads which part fails, never a host or a port"


def test_a_broker_that_does_not_answer_is_named_among_overlaps_parts(org: Org, admin_client: Client) -> None:
    from tests.booking.test_nothing_stuck import broker_down

    with broker_down():
        page = admin_client.get(health_url(org)).content.decode()
    assert "Failing" in part(page, "broker") and "bookings wait, and are sent again" in part(page, "broker")


def test_when_the_database_does_not_answer_every_page_says_so_with_a_503_not_a_500(
    org: Org, admin_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def restarting(**_: object) -> None:
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    monkeypatch.setattr(booking_selectors, "pending_bookings", restarting)
    admin_client.raise_request_exception = False  # as a real server answers: with the error page

    response = admin_client.get(health_url(org))

    page = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "Overlap's database does not answer" in page and "Nothing you did caused this" in page
    assert "5432" not in page
