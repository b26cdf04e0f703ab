"""Domain-wide mode keeps the members in step with Entra ID, and never deletes anybody."""

from __future__ import annotations

from django.test import TestCase

from accounts.models import Membership, User
from integrations import tasks
from integrations.models import Connection
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import CONTOSO_ID, browser, connect, url

MEGAN = "megan.bowen@contoso.onmicrosoft.com"
NEWCOMER = "nora.newcomer@contoso.onmicrosoft.com"


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
        listed = [e for e in emulator_settings.log(before) if e["path"] == "/v1.0/users"]
        assert listed and all(e["token_kind"] == "app" for e in listed)
        assert Connection.objects.get(organization=org.organization).last_sync_at is not None

    def test_it_skips_organizations_in_individual_mode(self, org: Org, emulator_settings: EmulatorProcess) -> None:
        connect(browser(org.admin), org, emulator_settings, mode="delegated")

        assert tasks.sync_all_directories() == 0
        assert MEGAN not in _active(org)
