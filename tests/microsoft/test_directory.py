"""The directory through Graph: every page of users, one user, group membership, errors by mailbox."""

from __future__ import annotations

import pytest

from integrations.microsoft.client import GraphClient
from integrations.microsoft.errors import AccessDenied, BadRequest, NotFound
from m365_emulator.testing import EmulatorProcess
from tests.microsoft.conftest import ADELE, graph_calls


def test_it_lists_every_enabled_member_across_pages(graph: GraphClient, emulator: EmulatorProcess) -> None:
    since = emulator.last_seq()

    users = graph.list_users(page_size=10)

    addresses = {u.address for u in users}
    assert len(users) == len(addresses) >= 38
    assert ADELE in addresses and "pradeep.gupta@contoso.onmicrosoft.com" not in addresses  # disabled
    assert not any("#EXT#" in u.user_principal_name for u in users)  # the guest
    assert len(graph_calls(emulator, since)) == -(-len(users) // 10)


def test_it_can_include_disabled_accounts_and_guests(graph: GraphClient) -> None:
    everyone = graph.list_users(enabled_only=False, members_only=False)

    kinds = {(u.account_enabled, u.user_type) for u in everyone}
    assert (False, "Member") in kinds and (True, "Guest") in kinds


def test_it_reads_one_user_with_the_fields_overlap_keeps(graph: GraphClient) -> None:
    adele = graph.get_user(ADELE)

    assert (adele.display_name, adele.given_name, adele.surname, adele.job_title) == (
        "Adele Vance",
        "Adele",
        "Vance",
        "Retail Manager",
    )
    assert adele.account_enabled is True and adele.user_type == "Member"


def test_an_unknown_user_is_not_found(graph: GraphClient) -> None:
    with pytest.raises(NotFound) as raised:
        graph.get_user("nobody@contoso.onmicrosoft.com")

    assert raised.value.code and raised.value.request_id and raised.value.status == 404


def test_me_needs_a_member_and_is_a_bad_request_for_the_app(graph: GraphClient) -> None:
    with pytest.raises(BadRequest) as raised:
        graph.me()

    assert raised.value.permanent and "delegated" in raised.value.message


def policy_groups(emulator: EmulatorProcess) -> list[str]:
    groups = {g["mail"]: g["id"] for t in emulator.control("GET", "/tenants")["tenants"] for g in t["groups"]}
    return [groups["overlap-users@contoso.onmicrosoft.com"], groups["allcompany@contoso.onmicrosoft.com"]]


def test_group_membership_needs_a_permission_overlaps_app_does_not_ask_for(
    graph: GraphClient, emulator: EmulatorProcess
) -> None:
    with pytest.raises(AccessDenied) as raised:
        graph.check_member_groups(ADELE, policy_groups(emulator))

    assert not raised.value.by_policy and raised.value.status == 403
