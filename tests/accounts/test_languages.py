"""Each person reads Overlap in their language and on their clock: the browser's language on a first visit, their
own choice once made (kept on their account, for their mail too), English for a client that asks for none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, User
from booking.models import Booking
from tests.conftest import Org, signed_in

PASSWORD = "correct horse battery staple"  # tests/factories.py


def _meeting(org: Org, start: datetime) -> None:
    """The admin's half-hour meeting with the member (My meetings lists it for the admin, who organizes it)."""
    organizer = Membership.objects.get(user=org.admin, organization=org.organization)
    invited = Membership.objects.get(user=org.member, organization=org.organization)
    booking = Booking.objects.create(
        organization=org.organization, organizer=organizer, start=start, end=start + timedelta(minutes=30), subject="P"
    )
    for membership, role in ((organizer, "organizer"), (invited, "required")):
        booking.participants.create(membership=membership, role=role)


def _my_meetings(org: Org, user: User) -> str:
    return signed_in(user).get(reverse("meetings", kwargs={"code": org.code})).content.decode()


class TestTheLanguageOfAPage:
    def test_a_client_that_asks_for_no_language_reads_english(self, org: Org) -> None:
        page = Client().get(reverse("home")).content.decode()
        assert '<html lang="en" dir="ltr">' in page and "Sign in with Microsoft" in page

    def test_a_visitor_reads_the_language_their_browser_asks_for(self, org: Org) -> None:
        page = Client().get(reverse("home"), HTTP_ACCEPT_LANGUAGE="ja,en;q=0.5").content.decode()
        assert '<html lang="ja" dir="ltr">' in page and "Microsoft でサインイン" in page
        assert "Sign in with Microsoft" not in page

    def test_a_language_overlap_does_not_speak_falls_back_to_english(self, org: Org) -> None:
        page = Client().get(reverse("home"), HTTP_ACCEPT_LANGUAGE="tlh").content.decode()
        assert '<html lang="en" dir="ltr">' in page

    def test_an_arabic_page_is_laid_out_right_to_left(self, org: Org) -> None:
        page = Client().get(reverse("home"), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
        assert '<html lang="ar" dir="rtl">' in page

    def test_a_persons_own_choice_wins_over_their_browser(self, org: Org) -> None:
        org.member.language = "ja"
        org.member.save()
        client = signed_in(org.member)
        page = client.get(reverse("meetings", kwargs={"code": org.code}), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert '<html lang="ja"' in page and "マイ会議" in page


class TestTheProfile:
    def test_a_member_chooses_their_language_and_it_is_remembered(self, org: Org, other_org: Org) -> None:
        client = signed_in(org.member)
        form = client.get(reverse("profile")).content.decode()
        assert (
            '<option value="ja" lang="ja">日本語</option>' in form and '<option value="en" lang="en" selected>' in form
        )

        answer = client.post(reverse("profile"), {"language": "ja"}, follow=True).content.decode()

        org.member.refresh_from_db()
        assert org.member.language == "ja"
        assert "言語を保存しました。" in answer and '<option value="ja" lang="ja" selected>' in answer
        assert "マイ会議" in _my_meetings(org, org.member)
        other_org.member.refresh_from_db()
        assert other_org.member.language == ""  # an outsider's account is untouched

    def test_a_language_overlap_does_not_speak_is_refused_and_nothing_is_saved(self, org: Org) -> None:
        answer = signed_in(org.member).post(reverse("profile"), {"language": "xx"})
        org.member.refresh_from_db()
        assert answer.status_code == 200 and 'class="errorlist' in answer.content.decode()
        assert org.member.language == ""

    def test_a_visitor_is_sent_to_sign_in(self, org: Org) -> None:
        answer = Client().post(reverse("profile"), {"language": "ja"})
        assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]

    def test_the_first_sign_in_keeps_the_browsers_language(self, org: Org) -> None:
        invited = User.objects.create_user(email="kana@contoso.example", password=PASSWORD)
        client = Client(HTTP_ACCEPT_LANGUAGE="ja")
        client.post(reverse("account_login"), {"login": invited.email, "password": PASSWORD})
        invited.refresh_from_db()
        assert invited.language == "ja"

        Client(HTTP_ACCEPT_LANGUAGE="de").post(reverse("account_login"), {"login": invited.email, "password": PASSWORD})
        invited.refresh_from_db()
        assert invited.language == "ja"  # a later sign-in from another browser changes nothing


class TestTheReadersClock:
    def test_a_us_english_member_reads_a_twelve_hour_clock(self, org: Org) -> None:
        org.admin.time_zone = "America/New_York"
        org.admin.save()
        _meeting(org, datetime(2031, 3, 4, 19, 0, tzinfo=UTC))  # 2:00 PM in New York

        page = _my_meetings(org, org.admin)

        assert "Tue, Mar 4, 2031, 2:00\u00a0PM\u20132:30\u00a0PM your time (America/New_York)" in page

    def test_a_japanese_member_reads_japanese_dates_on_a_24_hour_clock(self, org: Org) -> None:
        org.admin.time_zone = "Asia/Tokyo"
        org.admin.language = "ja"
        org.admin.save()
        _meeting(org, datetime(2031, 3, 4, 5, 0, tzinfo=UTC))  # 14:00 in Tokyo

        page = _my_meetings(org, org.admin)

        assert "あなたの時刻 (Asia/Tokyo) で 2031年3月4日(火) 14:00\u201314:30" in page

    def test_the_zone_picker_names_cities_and_countries_in_the_readers_language(self, org: Org) -> None:
        org.member.language = "ja"
        org.member.save()
        page = signed_in(org.member).get(reverse("booking_page", kwargs={"code": org.code})).content.decode()
        assert '<optgroup label="日本"><option value="Asia/Tokyo">東京 (Asia/Tokyo)</option></optgroup>' in page


class TestMailInTheRecipientsLanguage:
    def test_an_invitation_to_a_known_person_is_in_their_language(self, org: Org, admin_client: Client) -> None:
        User.objects.create_user(email="kana@contoso.example", password=PASSWORD, language="ja")
        admin_client.post(
            reverse("invitations", kwargs={"code": org.code}), {"email": "kana@contoso.example", "role": "member"}
        )
        sent = mail.outbox[-1]
        assert sent.subject.startswith("Overlap の") and "招待" in sent.subject
        assert "Overlap の組織に招待されました。" in sent.body

    def test_an_invitation_to_a_stranger_is_in_the_inviters_language(self, org: Org) -> None:
        org.admin.language = "ja"
        org.admin.save()
        signed_in(org.admin).post(
            reverse("invitations", kwargs={"code": org.code}), {"email": "new@contoso.example", "role": "member"}
        )
        assert "Overlap の組織に招待されました。" in mail.outbox[-1].body

    def test_an_invitation_is_english_when_nobody_chose_otherwise(self, org: Org, admin_client: Client) -> None:
        admin_client.post(
            reverse("invitations", kwargs={"code": org.code}), {"email": "new@contoso.example", "role": "member"}
        )
        assert "You are invited to join an organization on Overlap" in mail.outbox[-1].body
