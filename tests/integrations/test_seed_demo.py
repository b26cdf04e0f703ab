from __future__ import annotations

from django.core.management import call_command
from django.test import Client

from accounts.models import Membership, Organization, User
from integrations.models import Connection, DirectoryEntry
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import browser, consent_at_microsoft
from tests.integrations.test_microsoft_sign_in import sign_in_with_microsoft


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


def test_the_demo_organization_is_bound_to_contoso_with_its_people_linked_by_object_id(
    db: None,
    emulator_settings: EmulatorProcess,
) -> None:
    call_command("seed_demo")
    organization = Organization.objects.get(name="Contoso")
    connection = Connection.objects.get(organization=organization)

    assert (connection.tenant_guid, connection.status) == (emulator_settings.tenant_id, "awaiting_consent")
    for address in ("adele.vance", "megan.bowen", "alex.wilber"):
        email = f"{address}@contoso.onmicrosoft.com"
        entry = DirectoryEntry.objects.get(membership__user__email=email)
        assert entry.object_id == emulator_settings.user_id(email)


def test_adele_connects_the_demo_and_megan_then_signs_in_with_microsoft_as_her_seeded_self(
    db: None,
    emulator_settings: EmulatorProcess,
) -> None:
    call_command("seed_demo")
    adele = User.objects.get(email="adele.vance@contoso.onmicrosoft.com")
    organization = Organization.objects.get(name="Contoso")
    org = Org(organization, adele, User.objects.get(email="megan.bowen@contoso.onmicrosoft.com"))

    page = consent_at_microsoft(browser(adele), org, emulator_settings, adele.email, "accept")
    client, _ = sign_in_with_microsoft(emulator_settings, org.member.email)

    assert "Connected. Overlap checked the connection" in page
    assert client.session["_auth_user_id"] == str(org.member.pk)
    assert User.objects.filter(email__startswith="megan.bowen").count() == 1
