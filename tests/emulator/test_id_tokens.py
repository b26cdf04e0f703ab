"""ID tokens as Entra issues them: tid, oid, a pairwise sub, email only when asked, and wids per the manifest."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from m365_emulator.testing import ControlFailed, EmulatorProcess
from tests.emulator.helpers import signed_in_tokens

REDIRECT = "http://127.0.0.1:8000/accounts/microsoft/login/callback/"
ADELE = "adele.vance@contoso.onmicrosoft.com"
MEGAN = "megan.bowen@contoso.onmicrosoft.com"
JONI = "joni.sherman@contoso.onmicrosoft.com"
DIEGO = "diego.siciliani@fabrikam.onmicrosoft.com"
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
USER_ADMINISTRATOR = "fe930be7-5e62-47db-91af-98c3a49a38b1"
MEMBER_ROLE = "b79fbf4d-3ef9-4689-8143-76b194e85509"


def sign_in(
    emulator: EmulatorProcess, user: str, *, scope: str = "openid profile email", nonce: str = "n-0", tenant: str = ""
) -> dict[str, Any]:
    """The verified claims of the ID token a person's sign-in gives the app."""
    authority = tenant or "organizations"
    body = signed_in_tokens(emulator, user, scope=scope, authority=authority, redirect=REDIRECT, nonce=nonce)
    return verified(emulator, str(body["id_token"]))


def verified(emulator: EmulatorProcess, token: str) -> dict[str, Any]:
    keys = emulator.session.get(f"{emulator.base_url}/common/discovery/v2.0/keys", timeout=10).json()["keys"]
    key = jwt.PyJWK(keys[0]).key
    claims: dict[str, Any] = jwt.decode(token, key, algorithms=["RS256"], audience=emulator.client_id)
    return claims


def test_an_id_token_names_the_tenant_the_person_and_the_app(emulator: EmulatorProcess) -> None:
    claims = sign_in(emulator, MEGAN, nonce="n-megan")
    assert claims["tid"] == emulator.tenant_id
    assert claims["oid"] == emulator.user_id(MEGAN)
    assert claims["aud"] == emulator.client_id
    assert claims["iss"] == f"{emulator.base_url}/{emulator.tenant_id}/v2.0"
    assert claims["ver"] == "2.0"
    assert claims["nonce"] == "n-megan"
    assert claims["preferred_username"] == MEGAN and claims["name"] == "Megan Bowen"
    assert claims["email"] == MEGAN


def test_sub_is_pairwise_per_app_and_never_the_object_id(emulator: EmulatorProcess) -> None:
    first, again = sign_in(emulator, MEGAN), sign_in(emulator, MEGAN)
    alex = sign_in(emulator, "alex.wilber@contoso.onmicrosoft.com")
    assert first["sub"] == again["sub"] != alex["sub"]
    assert first["sub"] != first["oid"] and len(first["sub"]) == 43


def test_email_is_left_out_without_the_email_scope(emulator: EmulatorProcess) -> None:
    claims = sign_in(emulator, MEGAN, scope="openid profile")
    assert "email" not in claims
    assert claims["preferred_username"] == MEGAN


def test_email_is_left_out_for_a_person_without_a_mail(emulator: EmulatorProcess) -> None:
    claims = sign_in(emulator, "scanner@contoso.onmicrosoft.com")
    assert "email" not in claims and claims["oid"] == emulator.user_id("scanner@contoso.onmicrosoft.com")


def test_a_changed_mail_is_carried_unverified_while_oid_stays(emulator: EmulatorProcess) -> None:
    before = sign_in(emulator, "alex.wilber@contoso.onmicrosoft.com")
    emulator.update_user("alex.wilber@contoso.onmicrosoft.com", mail=ADELE)
    after = sign_in(emulator, "alex.wilber@contoso.onmicrosoft.com")
    assert after["email"] == ADELE
    assert after["oid"] == before["oid"] != emulator.user_id("adele.vance@contoso.onmicrosoft.com")
    assert after["preferred_username"] == "alex.wilber@contoso.onmicrosoft.com"


def test_wids_lists_a_global_administrators_role_under_directory_role_claims(emulator: EmulatorProcess) -> None:
    assert emulator.set_group_membership_claims("DirectoryRole") == "DirectoryRole"
    claims = sign_in(emulator, ADELE)
    assert GLOBAL_ADMINISTRATOR in claims["wids"]
    assert "groups" not in claims


def test_a_plain_member_has_only_the_default_member_role_in_wids(emulator: EmulatorProcess) -> None:
    assert sign_in(emulator, MEGAN)["wids"] == [MEMBER_ROLE]


def test_a_user_administrator_carries_a_role_that_cannot_grant_consent(emulator: EmulatorProcess) -> None:
    wids = sign_in(emulator, JONI)["wids"]
    assert USER_ADMINISTRATOR in wids and GLOBAL_ADMINISTRATOR not in wids


@pytest.mark.parametrize("value", ["None", "SecurityGroup", "ApplicationGroup"])
def test_wids_is_absent_unless_the_manifest_asks_for_directory_roles(emulator: EmulatorProcess, value: str) -> None:
    emulator.set_group_membership_claims(value)
    assert "wids" not in sign_in(emulator, ADELE)


def test_all_brings_both_wids_and_security_groups(emulator: EmulatorProcess) -> None:
    emulator.set_group_membership_claims("All")
    claims = sign_in(emulator, ADELE)
    assert GLOBAL_ADMINISTRATOR in claims["wids"]
    groups = next(t for t in emulator.control("GET", "/tenants")["tenants"] if t["id"] == emulator.tenant_id)
    overlap = next(g["id"] for g in groups["groups"] if g["displayName"] == "Overlap users")
    assert overlap in claims["groups"]


def test_flags_may_be_combined_and_a_wrong_value_is_refused(emulator: EmulatorProcess) -> None:
    assert emulator.set_group_membership_claims("securitygroup, directoryrole") == "SecurityGroup, DirectoryRole"
    claims = sign_in(emulator, ADELE)
    assert "wids" in claims and "groups" in claims
    with pytest.raises(ControlFailed, match="value must be"):
        emulator.set_group_membership_claims("Admins")
    assert emulator.control("GET", "/apps")["apps"][0]["groupMembershipClaims"] == "SecurityGroup, DirectoryRole"


def test_a_reset_restores_directory_role_claims(emulator: EmulatorProcess) -> None:
    emulator.set_group_membership_claims(None)
    emulator.reset()
    assert emulator.control("GET", "/apps")["apps"][0]["groupMembershipClaims"] == "DirectoryRole"


def test_another_tenants_admin_gets_their_own_tid(emulator: EmulatorProcess) -> None:
    emulator.control(
        "POST", "/tenants/fabrikam.onmicrosoft.com/consent", {"client_id": emulator.client_id, "granted": True}
    )
    claims = sign_in(emulator, DIEGO)
    assert claims["tid"] != emulator.tenant_id
    assert claims["iss"].endswith(f"/{claims['tid']}/v2.0")
    assert GLOBAL_ADMINISTRATOR in claims["wids"]


def test_roles_assigned_through_the_control_api_reach_the_token(emulator: EmulatorProcess) -> None:
    person = emulator.update_user(MEGAN, directoryRoles=["Application Administrator"])
    assert person["isAdmin"] is True
    assert "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3" in sign_in(emulator, MEGAN)["wids"]
    emulator.update_user(MEGAN, isAdmin=False)
    assert sign_in(emulator, MEGAN)["wids"] == [MEMBER_ROLE]
    with pytest.raises(ControlFailed, match="Unknown directory role"):
        emulator.update_user(MEGAN, directoryRoles=["Chief"])


def test_a_guest_without_roles_gets_no_wids_at_all(emulator: EmulatorProcess) -> None:
    guest = next(
        u["userPrincipalName"]
        for t in emulator.control("GET", "/tenants")["tenants"]
        for u in t["users"]
        if u["userType"] == "Guest"
    )
    claims = sign_in(emulator, guest, tenant=emulator.tenant_id)
    assert "wids" not in claims and claims["tid"] == emulator.tenant_id
