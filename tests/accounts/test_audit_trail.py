"""The audit trail: what admins read of people, booking rules, the connection and bookings, and who may read it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import audit
from accounts.models import AuditRecord, Membership, User
from booking.models import Booking, BookingEvent
from integrations.models import IntegrationEvent
from tests.conftest import Org, signed_in

NOW = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as clock:
        yield clock


def _url(org: Org, name: str = "audit", **query: str) -> str:
    base = reverse(name, kwargs={"code": org.code})
    return base + ("?" + urlencode(query) if query else "")


def _membership(org: Org, user: User) -> Membership:
    return Membership.objects.get(organization=org.organization, user=user)


def _booking(org: Org, *, subject: str = "Plan the launch", ends_in: timedelta = timedelta(days=2)) -> Booking:
    start = timezone.now() + ends_in - timedelta(minutes=30)
    return Booking.objects.create(
        organization=org.organization,
        organizer=_membership(org, org.admin),
        start=start,
        end=start + timedelta(minutes=30),
        subject=subject,
        state=Booking.State.CONFIRMED,
    )


def _rows(response: object) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    return list(csv.reader(io.StringIO(text)))


class TestWhatAdminsRead:
    def test_an_admins_role_change_and_deactivation_show_who_did_it_to_whom(self, org: Org, other_org: Org) -> None:
        client = signed_in(org.admin)
        person = str(org.member.uuid)
        client.post(reverse("people_role", kwargs={"code": org.code, "person": person}), {"role": "admin"})
        client.post(reverse("people_access", kwargs={"code": org.code, "person": person}), {"active": "no"})
        page = client.get(_url(org)).content.decode()
        assert "Role changed" in page and "Member → Admin" in page
        assert "Deactivated" in page and org.member.email in page and str(org.admin) in page
        assert signed_in(other_org.admin).get(_url(other_org)).content.decode().count("Deactivated") == 0

    def test_an_invitation_says_who_invited_which_address_as_what(self, org: Org) -> None:
        client = signed_in(org.admin)
        client.post(
            reverse("invitations", kwargs={"code": org.code}), {"email": "new@contoso.example", "role": "member"}
        )
        page = client.get(_url(org, area="people")).content.decode()
        assert "Invited" in page and "new@contoso.example" in page and "as member, by email" in page

    def test_a_booking_rules_change_shows_each_rule_old_and_new(self, org: Org) -> None:
        client = signed_in(org.admin)
        rules = {
            "blocking_statuses": ["busy", "oof"],
            "minimum_notice_minutes": 120,
            "buffer_before_minutes": 0,
            "buffer_after_minutes": 0,
            "granularity_minutes": 15,
            "default_duration_minutes": 30,
            "longest_window_days": 56,
        }
        client.post(reverse("booking_rules", kwargs={"code": org.code}), rules)
        page = client.get(_url(org, area="rules")).content.decode()
        assert "Booking rules changed" in page and "Minimum notice (minutes): 60 → 120" in page

    def test_bookings_say_whether_overlap_or_outlook_changed_them(self, org: Org) -> None:
        booking = _booking(org)
        booking.history.create(actor=org.admin, kind="booked", state=Booking.State.PENDING)
        booking.history.create(kind="moved_in_outlook", state=Booking.State.CONFIRMED, detail="Moved in Outlook")
        rows = _rows(signed_in(org.admin).get(_url(org, "audit_csv", area="bookings")))
        assert [(r[1], r[2], r[4]) for r in rows[1:]] == [
            ("Microsoft", "Moved in Outlook", "Outlook"),
            (str(org.admin), "Booked", "Overlap"),
        ]
        assert rows[1][3] == f"“Plan the launch”, organized by {org.admin}"

    def test_the_connection_log_is_part_of_the_trail_with_the_periodic_check_as_its_source(self, org: Org) -> None:
        IntegrationEvent.objects.create(organization=org.organization, kind=IntegrationEvent.Kind.CONSENT_REVOKED)
        IntegrationEvent.objects.create(organization=org.organization, actor=org.admin, kind="checked")
        rows = _rows(signed_in(org.admin).get(_url(org, "audit_csv", area="connection")))
        assert [(r[1], r[2], r[4]) for r in rows[1:]] == [
            (str(org.admin), "Connection tested", "Overlap"),
            ("Microsoft", "Consent revoked", "Periodic check"),
        ]

    def test_times_are_on_the_viewers_clock(self, org: Org) -> None:
        org.admin.time_zone = "Asia/Tokyo"
        org.admin.save()
        audit.record(organization=org.organization, area=audit.Area.RULES, action="rules_changed", actor=org.admin)
        assert "Mar 14, 2026, 6:00\u00a0PM" in signed_in(org.admin).get(_url(org)).content.decode()
        rows = _rows(signed_in(org.admin).get(_url(org, "audit_csv")))
        assert rows[1][0] == "2026-03-14T18:00:00+09:00"

    def test_the_page_says_how_long_entries_are_kept(self, org: Org, settings: object) -> None:
        settings.AUDIT_RETENTION_DAYS = 90  # type: ignore[attr-defined]
        assert "kept for 90 days" in signed_in(org.admin).get(_url(org)).content.decode()


class TestWhoMayRead:
    def test_a_member_is_refused_the_page_and_the_csv(self, org: Org) -> None:
        client = signed_in(org.member)
        assert client.get(_url(org)).status_code == 403
        assert client.get(_url(org, "audit_csv")).status_code == 403

    def test_another_organizations_admin_typing_our_code_gets_404(self, org: Org, other_org: Org) -> None:
        client = signed_in(other_org.admin)
        assert client.get(_url(org)).status_code == 404
        assert client.get(_url(org, "audit_csv")).status_code == 404

    def test_an_admin_never_sees_another_organizations_entries(self, org: Org, other_org: Org) -> None:
        _booking(other_org, subject="Fabrikam secret").history.create(kind="booked", state="pending")
        audit.record(organization=other_org.organization, area=audit.Area.RULES, action="rules_changed", actor=None)
        page = signed_in(org.admin).get(_url(org)).content.decode()
        assert "Fabrikam secret" not in page and "Booking rules changed" not in page


class TestFilters:
    def test_a_person_filter_finds_what_they_did_and_what_was_done_to_them(self, org: Org) -> None:
        audit.record(organization=org.organization, area=audit.Area.PEOPLE, action="role_changed", actor=org.admin,
                     person=org.member)  # fmt: skip
        audit.record(organization=org.organization, area=audit.Area.RULES, action="rules_changed", actor=org.admin)
        rows = _rows(signed_in(org.admin).get(_url(org, "audit_csv", person="member@contoso")))
        assert [r[2] for r in rows[1:]] == ["Role changed"]

    def test_a_date_range_keeps_the_days_of_the_viewers_clock(self, org: Org, frozen: time_machine.Traveller) -> None:
        for day in (10, 12, 14):
            frozen.move_to(datetime(2026, 3, day, 12, 0, tzinfo=UTC))
            audit.record(organization=org.organization, area=audit.Area.RULES, action="rules_changed", actor=None,
                         detail=f"day {day}")  # fmt: skip
        rows = _rows(signed_in(org.admin).get(_url(org, "audit_csv", since="2026-03-11", until="2026-03-12")))
        assert [r[6] for r in rows[1:]] == ["day 12"]

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ({"since": "yesterday"}, "Enter a valid date."),
            ({"since": "2026-03-14", "until": "2026-03-01"}, "The last day comes after the first one."),
            ({"until": "9999-12-31"}, "Pick a day between 2000 and 2999."),
            ({"area": "passwords"}, "Select a valid choice."),
            ({"after": "not-a-cursor"}, "This paging link is not one Overlap made"),
        ],
    )
    def test_bad_filters_are_refused_with_a_clear_message(self, org: Org, query: dict[str, str], message: str) -> None:
        response = signed_in(org.admin).get(_url(org, **query))
        assert response.status_code == 400
        assert message in response.content.decode()

    def test_paging_shows_every_entry_once(self, org: Org, frozen: time_machine.Traveller) -> None:
        for number in range(audit.PAGE_SIZE + 10):
            frozen.shift(timedelta(seconds=1) if number % 3 else timedelta())  # some share an instant
            audit.record(organization=org.organization, area=audit.Area.RULES, action="rules_changed", actor=None,
                         detail=f"change {number}")  # fmt: skip
        client = signed_in(org.admin)
        first = client.get(_url(org))
        second = client.get(_url(org, after=first.context["page"].next.text()))
        seen = [e.detail for e in first.context["page"].entries + second.context["page"].entries]
        assert sorted(seen) == sorted(f"change {n}" for n in range(audit.PAGE_SIZE + 10))
        assert second.context["page"].next is None and "Older entries" not in second.content.decode()


class TestCsv:
    def test_a_cell_a_spreadsheet_would_run_opens_as_text(self, org: Org) -> None:
        for formula in ('=HYPERLINK("http://evil")', "+1", "-1", "@SUM(A1)"):
            audit.record(organization=org.organization, area=audit.Area.PEOPLE, action="invited", actor=org.admin,
                         target=formula)  # fmt: skip
        rows = _rows(signed_in(org.admin).get(_url(org, "audit_csv")))
        assert {r[3] for r in rows[1:]} == {'\'=HYPERLINK("http://evil")', "'+1", "'-1", "'@SUM(A1)"}

    def test_the_csv_is_streamed_as_an_attachment(self, org: Org) -> None:
        response = signed_in(org.admin).get(_url(org, "audit_csv"))
        assert response.streaming
        assert response["Content-Disposition"] == 'attachment; filename="overlap-audit-2026-03-14.csv"'
        assert _rows(response)[0] == list(audit.CSV_HEADER)


class TestRetention:
    def test_entries_older_than_the_retention_go_and_a_live_meetings_history_stays(
        self, org: Org, frozen: time_machine.Traveller, settings: object
    ) -> None:
        settings.AUDIT_RETENTION_DAYS = 30  # type: ignore[attr-defined]
        frozen.move_to(NOW - timedelta(days=31))
        ended, live = _booking(org, subject="Old", ends_in=timedelta(days=1)), _booking(org, ends_in=timedelta(days=40))
        ended.history.create(kind="booked", state="pending")
        live.history.create(kind="booked", state="pending")
        audit.record(organization=org.organization, area=audit.Area.RULES, action="rules_changed", actor=None)
        IntegrationEvent.objects.create(organization=org.organization, kind="checked")
        frozen.move_to(NOW)
        audit.record(organization=org.organization, area=audit.Area.RULES, action="rules_changed", actor=org.admin)

        from accounts.tasks import audit_prune

        audit_prune.delay()
        assert list(BookingEvent.objects.values_list("booking__subject", flat=True)) == ["Plan the launch"]
        assert AuditRecord.objects.get().actor == org.admin
        assert not IntegrationEvent.objects.exists()
        assert Booking.objects.count() == 2  # a booking itself is never deleted


def test_the_health_page_shows_a_week_of_throttling(org: Org) -> None:
    from integrations.connection.answering import microsoft_did_not_answer
    from integrations.microsoft import errors

    microsoft_did_not_answer(organization=org.organization, error=errors.Throttled("slow down", code="429"))
    page = Client()
    page.force_login(org.admin)
    text = page.get(reverse("organization_health", kwargs={"code": org.code})).content.decode()
    assert "Throttled in the last 7 days" in text and "Sat, Mar 14: 1" in text
