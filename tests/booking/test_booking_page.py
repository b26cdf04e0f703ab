"""The booking page's refusals, colleague search, time zone, confirmation summary and rules, through the test client."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, User
from booking.rules import booking_rules_of
from integrations.models import Connection
from m365_emulator.testing import EmulatorProcess
from tests.booking.world import connected, graph_calls, linked_starts, member, search_page, set_zone
from tests.conftest import Org, signed_in
from tests.factories import MembershipFactory, UserFactory, reach_found
from tests.integrations.helpers import browser, connect, in_directory

TODAY = date.today()


def url(org: Org, name: str) -> str:
    return reverse(name, kwargs={"code": org.code})


@pytest.fixture
def adele(org: Org, emulator_settings: EmulatorProcess) -> Membership:
    """Adele books in an organization connected domain-wide."""
    adele = connected(org, emulator_settings, "domain_wide", organizer="Adele Vance")
    set_zone(adele, "Europe/Berlin")
    return adele


class TestRefusals:
    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"required_ids": [str(uuid.uuid4())]}, "not a member of your organization"),
            ({"required_ids": ["not-a-uuid"]}, "not a member of your organization"),
            ({"minutes": "25"}, "Pick a duration from 15 to 120 minutes, in steps of 15"),
            ({"minutes": "10"}, "Pick a duration from 15 to 120 minutes"),
            ({"minutes": "135"}, "Pick a duration from 15 to 120 minutes"),
            ({"minutes": "half an hour"}, "Enter a whole number"),
            ({"start_date": str(TODAY - timedelta(days=9)), "end_date": str(TODAY - timedelta(days=2))}, "in the past"),
            ({"start_date": str(TODAY - timedelta(days=1))}, "starts in the past"),
            (
                {"start_date": str(TODAY + timedelta(days=5)), "end_date": str(TODAY + timedelta(days=3))},
                "ends before it starts",
            ),
            (
                {"start_date": str(TODAY + timedelta(days=1)), "end_date": str(TODAY + timedelta(days=57))},
                "at most 56 days",
            ),
            ({"required_ids": []}, "Pick at least one required colleague"),
        ],
    )
    def test_bad_input_is_refused_in_words_and_asks_microsoft_nothing(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess, change: dict[str, object], message: str
    ) -> None:
        alex = member(org, "Alex Wilber")
        since = emulator_settings.last_seq()

        page, starts = search_page(signed_in(adele.user), org, required=[alex], **change)  # type: ignore[arg-type]

        assert message in page and "Nothing was searched" in page
        assert starts == [] and graph_calls(emulator_settings, since) == []

    def test_a_uuid_typed_in_capitals_or_without_hyphens_names_the_same_person(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        alex = member(org, "Alex Wilber")
        client = signed_in(adele.user)
        _, expected = search_page(client, org, required=[alex])
        for spelling in (str(alex.user.uuid).upper(), alex.user.uuid.hex):
            page, starts = search_page(client, org, required=[alex], required_ids=[spelling])
            assert starts == expected and "Nothing was searched" not in page
        page, starts = search_page(
            client, org, required=[alex], required_ids=[str(alex.user.uuid), str(alex.user.uuid).upper()]
        )
        assert "Each colleague can be picked once" in page and starts == []
        page, starts = search_page(
            client, org, required=[alex], required_ids=[str(alex.user.uuid), str(adele.user.uuid).upper()]
        )
        assert "pick colleagues, not yourself" in page and starts == []

    def test_a_person_of_another_organization_is_as_unknown_as_nobody(
        self, org: Org, other_org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        since = emulator_settings.last_seq()
        page, starts = search_page(signed_in(adele.user), org, required=[Membership.objects.get(user=other_org.member)])

        assert "not a member of your organization" in page and other_org.member.display_name not in page
        assert starts == [] and graph_calls(emulator_settings, since) == []

    def test_more_than_19_required_or_20_optional_colleagues_are_refused(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        people = [MembershipFactory.create(organization=org.organization) for _ in range(22)]
        since = emulator_settings.last_seq()
        client = signed_in(adele.user)

        too_many_required, _ = search_page(client, org, required=people[:20])
        too_many_optional, _ = search_page(client, org, required=people[:1], optional=people[1:])

        assert "At most 19 required colleagues in one meeting, 20 people with you (you picked 20)" in too_many_required
        assert "At most 20 optional colleagues in one meeting (you picked 21)" in too_many_optional
        assert graph_calls(emulator_settings, since) == []

    def test_the_form_states_both_limits_before_anyone_is_picked(self, org: Org, adele: Membership) -> None:
        page = signed_in(adele.user).get(reverse("booking_page", kwargs={"code": org.code})).content.decode()

        assert "Up to 19 required colleagues (with you, the 20 people Microsoft 365 reads at once)" in page
        assert "and 20 optional ones." in page

    def test_yourself_as_a_colleague_is_refused(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        since = emulator_settings.last_seq()
        page, _ = search_page(signed_in(adele.user), org, required=[member(org, "Alex Wilber")], optional=[adele])

        assert "You are always in the meeting: pick colleagues, not yourself." in page
        assert graph_calls(emulator_settings, since) == []

    def test_a_connection_that_is_not_active_says_who_must_do_what(self, org: Org) -> None:
        colleague = MembershipFactory.create(organization=org.organization)

        as_member, _ = search_page(signed_in(org.member), org, required=[colleague])
        as_admin = signed_in(org.admin).get(url(org, "booking_page")).content.decode()

        assert "Microsoft 365 is not configured for Contoso: an admin of your organization must connect it" in as_member
        assert "Microsoft 365 is not configured for Contoso: you must connect it" in as_admin
        assert url(org, "integration_settings") in as_admin

    def test_a_revoked_connection_is_named_with_its_fix(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        connection = Connection.objects.get(organization=org.organization)
        connection.mark_revoked(code="consent", message="Consent is gone.", fix="Grant admin consent again.")

        page, starts = search_page(signed_in(adele.user), org, required=[member(org, "Alex Wilber")])

        assert "Microsoft 365 is revoked for Contoso" in page and "Grant admin consent again." in page
        assert starts == []

    def test_individual_mode_without_a_calendar_connection_links_to_connect_it(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        connect(browser(org.admin), org, emulator_settings, mode="delegated")
        since = emulator_settings.last_seq()
        client = signed_in(org.member)

        page, _ = search_page(client, org, required=[Membership.objects.get(user=org.admin)])
        full = client.get(url(org, "booking_page")).content.decode()

        assert "connect your calendar first" in page and url(org, "calendar_connection") in page
        assert "Connect your calendar" in full and url(org, "calendar_connection") in full
        assert graph_calls(emulator_settings, since) == []


class TestColleagueSearch:
    def test_it_finds_colleagues_by_name_or_email_and_never_outsiders_or_oneself(
        self, org: Org, other_org: Org
    ) -> None:
        ravi = UserFactory.create(name="Ravi Kumar", email="ravi@contoso.example")
        in_directory(MembershipFactory.create(user=ravi, organization=org.organization))
        gone = UserFactory.create(name="Ravi Left", email="ravi.left@contoso.example")
        MembershipFactory.create(user=gone, organization=org.organization, is_active=False)
        UserFactory.create(name="Ravi Outsider", email="ravi@fabrikam.example")
        MembershipFactory.create(
            user=User.objects.get(email="ravi@fabrikam.example"), organization=other_org.organization
        )
        client = signed_in(org.member)

        by_name = client.get(url(org, "booking_people"), {"q": "ravi"}).content.decode()
        by_email = client.get(url(org, "booking_people"), {"q": "contoso.example"}).content.decode()

        assert "Ravi Kumar" in by_name and str(ravi.uuid) in by_name
        assert "Ravi Left" not in by_name and "Ravi Outsider" not in by_name
        assert org.member.display_name not in by_email and org.admin.display_name in by_email

    def test_people_outside_the_security_group_are_shown_as_not_enabled(self, org: Org) -> None:
        joni = UserFactory.create(name="Joni Sherman", email="joni@contoso.example")
        joni_member = in_directory(MembershipFactory.create(user=joni, organization=org.organization))
        reach_found(joni_member, reachable=False, reason="Outside.")
        in_directory(Membership.objects.get(user=org.member, organization=org.organization))
        Connection.objects.create(organization=org.organization, status=Connection.Status.ACTIVE, tenant_guid="t")

        found = signed_in(org.member).get(url(org, "booking_people"), {"q": "joni"}).content.decode()
        page, _ = search_page(signed_in(org.member), org, required=[Membership.objects.get(user=joni)])

        assert "not enabled by your admin" in found and f'data-uuid="{joni.uuid}"' not in found
        assert "Joni Sherman: not enabled by your admin" in page


class TestTimeZone:
    def test_a_member_changes_their_zone_and_an_unknown_one_changes_nothing(self, org: Org) -> None:
        client = signed_in(org.member)

        client.post(url(org, "booking_time_zone"), {"time_zone": "Asia/Kolkata"})
        refused = client.post(url(org, "booking_time_zone"), {"time_zone": "Mars/Olympus_Mons"}, follow=True)
        by_htmx = client.post(url(org, "booking_time_zone"), {"time_zone": "../etc/passwd"}, HTTP_HX_REQUEST="true")

        org.member.refresh_from_db()
        assert org.member.time_zone == "Asia/Kolkata"
        assert "“Mars/Olympus_Mons” is not a time zone Overlap knows" in refused.content.decode()
        assert "is not a time zone Overlap knows" in by_htmx.content.decode()

    def test_the_browser_reports_the_zone_and_the_page_reloads_in_it(self, org: Org) -> None:
        response = signed_in(org.member).post(
            url(org, "booking_time_zone"), {"time_zone": "America/New_York"}, HTTP_HX_REQUEST="true"
        )

        assert response["HX-Refresh"] == "true"
        assert User.objects.get(pk=org.member.pk).time_zone == "America/New_York"

    def test_a_zone_in_any_case_or_as_a_windows_name_is_stored_as_the_zone_data_spells_it(self, org: Org) -> None:
        client = signed_in(org.member)

        client.post(url(org, "booking_time_zone"), {"time_zone": " asia/KATHMANDU "})
        kathmandu = User.objects.get(pk=org.member.pk).time_zone
        client.post(url(org, "booking_time_zone"), {"time_zone": "AUS Central Standard Time"})

        assert kathmandu == "Asia/Kathmandu"
        assert User.objects.get(pk=org.member.pk).time_zone == "Australia/Darwin"

    def test_the_zone_picker_groups_zones_by_country_with_the_members_zone_chosen(self, org: Org) -> None:
        set_zone(Membership.objects.get(user=org.member), "Australia/Lord_Howe")

        page = signed_in(org.member).get(url(org, "booking_page")).content.decode()

        picker = page[page.index('<select name="time_zone"') : page.index("</select>")]
        india = '<optgroup label="India"><option value="Asia/Kolkata">Kolkata (Asia/Kolkata)</option></optgroup>'
        assert india in picker
        assert '<option value="Australia/Lord_Howe" selected>Lord Howe Island (Australia/Lord_Howe)</option>' in picker
        assert picker.index('label="Australia"') < picker.index('label="Nepal"')

    def test_an_outsider_cannot_change_a_members_zone(self, org: Org, outsider_client: Client) -> None:
        response = outsider_client.post(url(org, "booking_time_zone"), {"time_zone": "Asia/Kolkata"})

        assert response.status_code == 404
        assert User.objects.get(pk=org.member.pk).time_zone == ""


class TestConfirmSummary:
    def test_a_picked_time_leads_to_a_clear_summary(self, org: Org, adele: Membership) -> None:
        client = signed_in(adele.user)
        alex, lee = member(org, "Alex Wilber"), member(org, "Lee Gu")
        page, starts = search_page(client, org, required=[alex], optional=[lee], agenda="Budget <b>and</b> plans")
        link = next(line for line in page.split('"') if "/book/confirm?start=" in line).replace("&amp;", "&")

        summary = client.get(link).content.decode()

        assert linked_starts(page)[0] == starts[0]
        assert "Confirm the meeting" in summary and "Alex Wilber" in summary and "Lee Gu" in summary
        assert "Quarterly planning" in summary and "a Teams meeting" in summary
        assert "Budget &lt;b&gt;and&lt;/b&gt; plans" in summary
        assert "(Europe/Berlin), 30 minutes" in summary

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ({"start": "tomorrow", "minutes": "30"}, "The start time is not a time"),
            ({"start": "2020-01-06T14:00:00Z", "minutes": "30"}, "already passed"),
            ({"start": "2099-01-06T14:00:00", "minutes": "30"}, "must say its zone"),
            ({"start": "2099-01-06T14:00:00Z", "minutes": "31"}, "Pick a duration"),
        ],
    )
    def test_a_link_that_names_no_bookable_time_is_refused(self, org: Org, query: dict[str, str], message: str) -> None:
        colleague = MembershipFactory.create(organization=org.organization)
        response = signed_in(org.member).get(
            url(org, "booking_confirm_page"), {**query, "required": str(colleague.user.uuid)}
        )

        assert response.status_code == 400 and message in response.content.decode()

    def test_a_link_naming_another_organizations_person_is_refused(self, org: Org, other_org: Org) -> None:
        response = signed_in(org.member).get(
            url(org, "booking_confirm_page"),
            {"start": "2099-01-06T14:00:00Z", "minutes": "30", "required": str(other_org.member.uuid)},
        )

        assert response.status_code == 400
        assert "not a member of your organization" in response.content.decode()
        assert other_org.member.display_name not in response.content.decode()


class TestRules:
    def test_an_admin_sets_the_rules_and_members_read_them(self, org: Org) -> None:
        admin = signed_in(org.admin)
        answer = admin.post(
            url(org, "booking_rules"),
            {
                "blocking_statuses": ["busy", "oof"],
                "minimum_notice_minutes": "120",
                "buffer_before_minutes": "10",
                "buffer_after_minutes": "5",
                "granularity_minutes": "30",
                "default_duration_minutes": "60",
                "longest_window_days": "28",
            },
            follow=True,
        )

        rules = booking_rules_of(organization=org.organization)
        assert "Booking rules saved." in answer.content.decode()
        assert (rules.blocking, rules.minimum_notice_minutes, rules.granularity_minutes) == ({"busy", "oof"}, 120, 30)
        read = signed_in(org.member).get(url(org, "booking_rules")).content.decode()
        assert "How times are chosen" in read and "busy, out of office" in read and "every 30 minutes" in read
        assert "Save the rules" not in read
        assert 'value="60"' in signed_in(org.member).get(url(org, "booking_page")).content.decode()

    def test_on_a_half_hour_grid_no_page_offers_or_names_a_quarter_hour_meeting(self, org: Org) -> None:
        rules = booking_rules_of(organization=org.organization)
        rules.granularity_minutes = 30
        rules.save()
        client = signed_in(org.member)

        how = client.get(url(org, "booking_rules")).content.decode()
        page = client.get(url(org, "booking_page")).content.decode()
        refused = client.get(url(org, "booking_page"), {"minutes": "45"}).content.decode()

        assert "A meeting lasts 30 to 120 minutes, in steps of 30 minutes" in how and "15 to 120" not in how
        assert '<option value="30"' in page and '<option value="15"' not in page
        assert "Pick a duration from 30 to 120 minutes, in steps of 30." in refused

    def test_bad_rules_are_refused_and_change_nothing(self, org: Org) -> None:
        answer = signed_in(org.admin).post(
            url(org, "booking_rules"),
            {
                "blocking_statuses": ["busy", "sleeping"],
                "minimum_notice_minutes": "-5",
                "buffer_before_minutes": "500",
                "buffer_after_minutes": "0",
                "granularity_minutes": "7",
                "default_duration_minutes": "50",
                "longest_window_days": "90",
            },
        )

        page = answer.content.decode()
        assert (
            answer.status_code == 200
            and "A buffer can be at most 120." in page
            and "The range can be at most 56" in page
        )
        rules = booking_rules_of(organization=org.organization)
        assert (rules.blocking, rules.buffer_before_minutes, rules.longest_window_days) == (
            {"busy", "oof", "tentative"},
            0,
            56,
        )

    def test_a_member_cannot_change_the_rules(self, org: Org) -> None:
        answer = signed_in(org.member).post(url(org, "booking_rules"), {"minimum_notice_minutes": "0"})

        assert answer.status_code == 403
        assert booking_rules_of(organization=org.organization).minimum_notice_minutes == 60

    def test_the_grid_and_buffers_shape_the_times_offered(
        self, org: Org, adele: Membership, emulator_settings: EmulatorProcess
    ) -> None:
        rules = booking_rules_of(organization=org.organization)
        rules.granularity_minutes, rules.buffer_before_minutes = 60, 15
        rules.save()

        _, starts = search_page(signed_in(adele.user), org, required=[member(org, "Alex Wilber")], minutes=60)

        assert starts and all(s.minute == 0 for s in starts)


def test_the_integration_settings_page_links_to_the_booking_rules(admin_client: Client, org: Org) -> None:
    page = admin_client.get(url(org, "integration_settings")).content.decode()

    assert "Booking rules" in page and url(org, "booking_rules") in page


class TestWithoutScript:
    def test_a_search_without_htmx_renders_the_whole_page_with_its_times(self, org: Org, adele: Membership) -> None:
        alex = member(org, "Alex Wilber")
        first, last = TODAY + timedelta(days=7), TODAY + timedelta(days=11)
        query = {"required": str(alex.user.uuid), "minutes": "30", "start_date": str(first), "end_date": str(last)}

        page = signed_in(adele.user).get(url(org, "booking_page"), query).content.decode()

        assert "<h1>Book a meeting</h1>" in page and "Best times" in page and linked_starts(page)
        assert 'class="chip" data-uuid="' + str(alex.user.uuid) in page  # the colleague stays picked


class TestWidened:
    def test_a_person_allowed_outside_their_hours_gets_flagged_times(self, org: Org, adele: Membership) -> None:
        alex = member(org, "Alex Wilber")
        client = signed_in(adele.user)

        _, kept = search_page(client, org, required=[alex])
        page, widened = search_page(client, org, required=[alex], widen=[str(alex.user.uuid)])

        assert len(widened) > len(kept)
        assert "outside Alex Wilber" in page and "working hours" in page

    def test_only_people_in_the_meeting_can_be_widened(self, org: Org, adele: Membership) -> None:
        page, starts = search_page(
            signed_in(adele.user), org, required=[member(org, "Alex Wilber")], widen=[str(uuid.uuid4())]
        )

        assert "Only people in this meeting can be searched outside their working hours." in page and not starts
