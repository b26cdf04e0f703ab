"""Domain-wide mode keeps the members in step with Entra ID, and never deletes anybody."""

from __future__ import annotations

import html

from django.test import TestCase

from accounts.models import Membership, User
from integrations import tasks
from integrations.models import Connection, DirectoryEntry, IntegrationEvent
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import CONTOSO_ID, browser, connect, url

MEGAN = "megan.bowen@contoso.onmicrosoft.com"
NEWCOMER = "nora.newcomer@contoso.onmicrosoft.com"
ADELE = "adele.vance@contoso.onmicrosoft.com"


def _active(org: Org) -> set[str]:
    return set(
        Membership.objects.filter(organization=org.organization, is_active=True).values_list("user__email", flat=True)
    )


def _sync_now(org: Org) -> str:
    client = browser(org.admin)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(url(org, "integration_sync"))
    return client.get(url(org)).content.decode()


class TestDirectoryChanges:
    def test_a_new_person_in_entra_id_appears_and_a_disabled_one_loses_access(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        connect(browser(org.admin), org, emulator_settings)
        megan = User.objects.get(email=MEGAN)
        emulator_settings.control(
            "POST", f"/tenants/{CONTOSO_ID}/users", {"userPrincipalName": NEWCOMER, "displayName": "Nora Newcomer"}
        )
        emulator_settings.control("POST", f"/tenants/{CONTOSO_ID}/users", {"user": MEGAN, "accountEnabled": False})

        page = _sync_now(org)

        assert NEWCOMER in _active(org)
        assert MEGAN not in _active(org)
        assert User.objects.filter(pk=megan.pk).exists()  # kept, with everything hanging off the account
        assert Membership.objects.filter(user=megan, organization=org.organization, is_active=False).exists()
        assert "1 added, 1 deactivated" in page
        assert f"Added: {NEWCOMER}" in page and f"Deactivated: {MEGAN}" in page

    def test_a_person_enabled_again_gets_access_back(self, org: Org, emulator_settings: EmulatorProcess) -> None:
        connect(browser(org.admin), org, emulator_settings)
        emulator_settings.control("POST", f"/tenants/{CONTOSO_ID}/users", {"user": MEGAN, "accountEnabled": False})
        _sync_now(org)
        emulator_settings.control("POST", f"/tenants/{CONTOSO_ID}/users", {"user": MEGAN, "accountEnabled": True})

        _sync_now(org)

        assert MEGAN in _active(org)

    def test_a_person_an_admin_deactivated_stays_out_until_an_admin_lets_them_back(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        connect(browser(org.admin), org, emulator_settings)
        megan = User.objects.get(email=MEGAN)
        people = f"/orgs/{org.organization.code}/people/{megan.uuid}/access"
        browser(org.admin).post(people, {"active": "no"})

        _sync_now(org)  # Megan is still enabled in Entra ID

        assert MEGAN not in _active(org)
        browser(org.admin).post(people, {"active": "yes"})
        _sync_now(org)
        assert MEGAN in _active(org)

    def test_a_person_removed_from_entra_id_loses_access_but_is_not_deleted(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        connect(browser(org.admin), org, emulator_settings)
        emulator_settings.control("DELETE", f"/tenants/{CONTOSO_ID}/users/{MEGAN}")

        _sync_now(org)

        assert MEGAN not in _active(org)
        assert User.objects.filter(email=MEGAN).exists()

    def test_the_periodic_sync_reads_every_page_for_each_domain_wide_organization(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        connect(browser(org.admin), org, emulator_settings)
        emulator_settings.control(
            "POST", f"/tenants/{CONTOSO_ID}/users", {"userPrincipalName": NEWCOMER, "displayName": "Nora Newcomer"}
        )
        before = emulator_settings.last_seq()

        assert tasks.sync_all_directories() == 1

        assert NEWCOMER in _active(org)
        # The first sync (at connection) read everything; this one reads what changed since (Graph's delta query).
        listed = [e for e in emulator_settings.log(before) if e["path"] in ("/v1.0/users", "/v1.0/users/delta")]
        assert listed and all(e["token_kind"] == "app" for e in listed)
        assert Connection.objects.get(organization=org.organization).last_sync_at is not None

    def test_it_skips_organizations_in_individual_mode(self, org: Org, emulator_settings: EmulatorProcess) -> None:
        connect(browser(org.admin), org, emulator_settings, mode="delegated")

        assert tasks.sync_all_directories() == 0
        assert MEGAN not in _active(org)


def _settings_page(org: Org) -> str:
    return html.unescape(browser(org.admin).get(url(org)).content.decode())


class TestOddRecords:
    def test_a_person_deleted_and_recreated_with_the_same_address_is_a_new_person(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        connect(browser(org.admin), org, emulator_settings)
        old_megan = User.objects.get(email=MEGAN)
        old_id = emulator_settings.user_id(MEGAN)
        emulator_settings.control("DELETE", f"/tenants/{CONTOSO_ID}/users/{MEGAN}")
        emulator_settings.control(
            "POST",
            f"/tenants/{CONTOSO_ID}/users",
            {"userPrincipalName": MEGAN, "displayName": "Megan Bowen", "id": "0e0e0e0e-0000-4000-8000-00000000beef"},
        )
        assert emulator_settings.user_id(MEGAN) != old_id

        page = _sync_now(org)

        new_megan = User.objects.get(email=MEGAN)
        assert new_megan != old_megan
        assert DirectoryEntry.objects.get(membership__user=new_megan).object_id == emulator_settings.user_id(MEGAN)
        old_megan.refresh_from_db()
        assert not Membership.objects.get(user=old_megan).is_active  # kept, with its history
        assert "replaced by a new Microsoft account" in html.unescape(page)
        assert "Last synchronised" in page and "1 added" in page

    def test_address_squatting_by_a_password_account_does_not_keep_a_new_hire_out_of_the_sync(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        early_bird = User.objects.create_user(email=NEWCOMER, password="squatting-the-address")
        connect(browser(org.admin), org, emulator_settings)
        emulator_settings.control(
            "POST", f"/tenants/{CONTOSO_ID}/users", {"userPrincipalName": NEWCOMER, "displayName": "Nora Newcomer"}
        )

        _sync_now(org)

        nora = DirectoryEntry.objects.get(object_id=emulator_settings.user_id(NEWCOMER)).membership.user
        assert nora != early_bird and nora.email == NEWCOMER and nora.name == "Nora Newcomer"
        assert NEWCOMER in _active(org) and MEGAN in _active(org)
        assert not early_bird.memberships.exists()
        assert "could not be applied" not in _settings_page(org)

    def test_a_forged_address_copying_a_colleagues_is_skipped_not_guessed(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        connect(browser(org.admin), org, emulator_settings)
        megan = User.objects.get(email=MEGAN)
        emulator_settings.control(
            "POST",
            f"/tenants/{CONTOSO_ID}/users",
            {"userPrincipalName": NEWCOMER, "displayName": "Mallory", "mail": MEGAN},
        )

        _sync_now(org)

        assert f"the address {MEGAN} is also given by another person in Entra ID" in _settings_page(org)
        assert Membership.objects.get(user=megan).is_active and User.objects.get(pk=megan.pk).email == MEGAN


class TestSafetyLimits:
    def test_a_sync_never_takes_access_from_the_last_active_admin(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        connect(browser(org.admin), org, emulator_settings)
        Membership.objects.filter(organization=org.organization, role="admin").update(role="member")
        Membership.objects.filter(user__email=ADELE).update(role="admin")
        emulator_settings.control("POST", f"/tenants/{CONTOSO_ID}/users", {"user": ADELE, "accountEnabled": False})

        tasks.sync_directory(org.organization.pk)

        assert ADELE in _active(org)
        page = html.unescape(browser(User.objects.get(email=ADELE)).get(url(org)).content.decode())
        assert "the last active admin keeps access; make someone else admin first" in page

    def test_a_sync_that_would_deactivate_most_people_waits_for_an_admin_who_can_confirm(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        connect(browser(org.admin), org, emulator_settings)
        active_before = _active(org)
        people = [e for e in active_before if e.endswith("@contoso.onmicrosoft.com") and e != ADELE]
        for address in people[: len(active_before) // 2 + 2]:
            emulator_settings.control("DELETE", f"/tenants/{CONTOSO_ID}/users/{address}")

        _sync_now(org)

        assert _active(org) == active_before
        page = _settings_page(org)
        assert "The last synchronisation stopped before taking access from" in page and "Nobody lost access" in page
        assert IntegrationEvent.objects.filter(kind="sync_held").exists()

        with TestCase.captureOnCommitCallbacks(execute=True):
            browser(org.admin).post(url(org, "integration_sync_confirm"))

        assert len(_active(org)) == len(active_before) - (len(active_before) // 2 + 2)
        assert 'id="sync-held"' not in _settings_page(org)

    def test_a_member_cannot_confirm_a_held_sync(self, org: Org, emulator_settings: EmulatorProcess) -> None:
        assert browser(org.member).post(url(org, "integration_sync_confirm")).status_code == 403
