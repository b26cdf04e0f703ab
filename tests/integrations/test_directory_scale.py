"""The directory sync for a large organization: pages, bulk writes, Graph's delta query, flat memory.

Each test grows the emulator's Contoso by a few thousand people (its crowd call) after the admin connected.
"""

from __future__ import annotations

import tracemalloc
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership, User
from integrations.directory import sync as directory
from integrations.microsoft.client import DIRECTORY_FIELDS
from integrations.models import Connection, DirectoryEntry
from m365_emulator.testing import EmulatorProcess
from tests.conftest import Org
from tests.integrations.helpers import browser, connect

QUERIES_PER_PAGE = 45  # SQLite splits a bulk insert of 999 rows into a dozen statements; PostgreSQL needs one


def _connected_with_crowd(org: Org, emulator: EmulatorProcess, people: int) -> dict[str, Any]:
    connect(browser(org.admin), org, emulator)
    return emulator.add_crowd(people, seed=3)


def _sync(org: Org) -> directory.SyncResult:
    return directory.directory_sync(organization=org.organization)


def _full_next_time(org: Org) -> None:
    Connection.objects.filter(organization=org.organization).update(directory_delta_link="")


def _writes(queries: CaptureQueriesContext) -> list[str]:
    """Writes to people, memberships and directory entries (not the connection's last-sync line)."""
    found = [q["sql"] for q in queries.captured_queries]
    return [s for s in found if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
            and "integrations_connection" not in s]  # fmt: skip


def _graph_calls(emulator: EmulatorProcess, since: int) -> list[dict[str, Any]]:
    return [e for e in emulator.log(since) if str(e["path"]).startswith("/v1.0/")]


def _directory(emulator: EmulatorProcess, upns: list[str]) -> list[dict[str, Any]]:
    """These people as the emulator's directory holds them."""
    wanted = {upn.lower() for upn in upns}
    tenants = emulator.control("GET", "/tenants")["tenants"]
    return [u for t in tenants for u in t["users"] if u["userPrincipalName"].lower() in wanted]


def _active(org: Org) -> int:
    return Membership.objects.filter(organization=org.organization, is_active=True).count()


class TestFullSync:
    def test_thousands_of_people_arrive_in_pages_of_999_with_a_bounded_number_of_queries_per_page(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        crowd = _connected_with_crowd(org, emulator_settings, 3000)
        _full_next_time(org)
        active_before, before = _active(org), emulator_settings.last_seq()

        with CaptureQueriesContext(connection) as queries:
            result = _sync(org)

        listed = [e for e in _graph_calls(emulator_settings, before) if e["path"] == "/v1.0/users"]
        assert [e["query"]["$top"] for e in listed] == [["999"]] * 4
        assert listed[0]["query"]["$select"] == [DIRECTORY_FIELDS]
        assert result.mode == "full" and result.pages == 4
        members = 3000 - crowd["guests"] - crowd["disabled"]
        assert len(result.added) == members and _active(org) == active_before + members
        assert len(queries.captured_queries) <= QUERIES_PER_PAGE * result.pages + 25

    def test_a_re_sync_with_nothing_changed_writes_nothing(self, org: Org, emulator_settings: EmulatorProcess) -> None:
        _connected_with_crowd(org, emulator_settings, 2000)
        _sync(org)
        _full_next_time(org)

        with CaptureQueriesContext(connection) as queries:
            result = _sync(org)

        assert result.mode == "full" and not result.added and not result.deactivated and not result.reactivated
        assert _writes(queries) == []

    def test_memory_stays_flat_as_the_directory_grows(self, org: Org, emulator_settings: EmulatorProcess) -> None:
        _connected_with_crowd(org, emulator_settings, 1200)
        _sync(org)
        small = self._peak_of_a_full_sync(org)
        emulator_settings.add_crowd(2400, seed=4)
        _sync(org)

        large = self._peak_of_a_full_sync(org)

        assert large < small * 1.6, (small, large)  # three times the people, about the same memory

    def _peak_of_a_full_sync(self, org: Org) -> int:
        _full_next_time(org)
        tracemalloc.start()
        try:
            _sync(org)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


class TestDeltaSync:
    def test_a_later_sync_reads_only_the_changes_and_applies_exactly_them(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        _connected_with_crowd(org, emulator_settings, 2000)
        _sync(org)  # the crowd arrives through the delta link stored at connection
        active_before, before = _active(org), emulator_settings.last_seq()
        done = emulator_settings.change_crowd(8, kinds=["rename", "disable", "delete", "add"])

        with CaptureQueriesContext(connection) as queries:
            result = _sync(org)

        assert {e["path"] for e in _graph_calls(emulator_settings, before)} == {"/v1.0/users/delta"}
        assert result.mode == "delta" and len(queries.captured_queries) < 60
        for upn in done["disabled"] + done["deleted"]:
            assert not Membership.objects.get(user__email=upn).is_active
        newcomers = _directory(emulator_settings, done["added"])  # a newcomer may be a guest or disabled
        members = [p["mail"] for p in newcomers if p["userType"] == "Member" and p["accountEnabled"]]
        assert set(Membership.objects.filter(is_active=True, user__email__in=done["added"]).values_list(
            "user__email", flat=True)) == set(members)  # fmt: skip
        renamed = User.objects.filter(email__in=done["renamed"]).values_list("name", flat=True)
        assert all(name.endswith(" Khan") or name.endswith(" Berg") for name in renamed) and len(renamed) == 2
        assert _active(org) == active_before - 4 + len(members)
        assert (len(result.added), len(result.deactivated), len(result.reactivated)) == (len(members), 4, 0)

    def test_a_quiet_directory_costs_one_request_and_no_write(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        _connected_with_crowd(org, emulator_settings, 500)
        _sync(org)
        before = emulator_settings.last_seq()

        with CaptureQueriesContext(connection) as queries:
            _sync(org)

        assert len(_graph_calls(emulator_settings, before)) == 1 and _writes(queries) == []

    def test_an_expired_delta_link_falls_back_to_a_full_sync(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        _connected_with_crowd(org, emulator_settings, 1500)
        _sync(org)
        old_link = Connection.objects.get(organization=org.organization).directory_delta_link
        emulator_settings.expire_delta_tokens()
        done = emulator_settings.change_crowd(1, kinds=["disable"])
        before = emulator_settings.last_seq()

        result = _sync(org)

        calls = [(e["path"], e["status"]) for e in _graph_calls(emulator_settings, before)]
        assert calls[0] == ("/v1.0/users/delta", 400)  # the old link: syncStateNotFound
        assert ("/v1.0/users", 200) in calls and result.mode == "full"
        assert not Membership.objects.get(user__email=done["disabled"][0]).is_active
        new_link = Connection.objects.get(organization=org.organization).directory_delta_link
        assert new_link and new_link != old_link
        assert _sync(org).mode == "delta"

    def test_a_person_removed_in_entra_id_is_deactivated_by_the_delta_and_kept(
        self, org: Org, emulator_settings: EmulatorProcess
    ) -> None:
        _connected_with_crowd(org, emulator_settings, 300)
        _sync(org)
        done = emulator_settings.change_crowd(1, kinds=["delete"])

        _sync(org)

        entry = DirectoryEntry.objects.get(membership__user__email=done["deleted"][0])
        assert not entry.account_enabled and not entry.membership.is_active
