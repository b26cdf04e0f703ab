from __future__ import annotations

from django.core.management import call_command
from django.test import Client

from accounts.models import Membership, Organization, User


def test_the_demo_seed_makes_an_organization_whose_admin_can_sign_in(db: None) -> None:
    call_command("seed_demo")
    client = Client()
    assert client.login(email="adele.vance@contoso.onmicrosoft.com", password="overlap-demo")
    organization = Organization.objects.get(name="Contoso")
    response = client.get(f"/orgs/{organization.code}/")
    assert "What to do next, as an admin" in response.text


def test_seeding_twice_changes_nothing_and_keeps_what_people_changed(db: None) -> None:
    call_command("seed_demo")
    megan = User.objects.get(email="megan.bowen@contoso.onmicrosoft.com")
    megan.set_password("a new password of her own")
    megan.save()
    before = (Organization.objects.count(), User.objects.count(), Membership.objects.count())
    call_command("seed_demo")
    assert (Organization.objects.count(), User.objects.count(), Membership.objects.count()) == before
    megan.refresh_from_db()
    assert megan.check_password("a new password of her own")
