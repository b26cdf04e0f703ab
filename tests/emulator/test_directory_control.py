"""The control API's directory changes the trust tests need: a changed mail, a person deleted and made again."""

from __future__ import annotations

import pytest

from m365_emulator.testing import ControlFailed, EmulatorProcess
from tests.emulator.helpers import app_token, graph, signed_in_tokens, token_endpoint
from tests.emulator.test_id_tokens import sign_in

LEE = "lee.gu@contoso.onmicrosoft.com"


def _refresh(emulator: EmulatorProcess, refresh_token: str) -> dict[str, object]:
    answer = token_endpoint(emulator, emulator.tenant_id, grant_type="refresh_token", refresh_token=refresh_token)
    body: dict[str, object] = answer.json()
    return body


def test_a_recreated_person_has_the_same_address_and_a_new_object_id(emulator: EmulatorProcess) -> None:
    before = emulator.user_id(LEE)
    person = emulator.recreate_user(LEE)
    assert person["userPrincipalName"] == LEE and person["mail"] == LEE
    assert person["id"] != before
    assert emulator.user_id(LEE) == person["id"]
    assert sign_in(emulator, LEE)["oid"] == person["id"]


def test_graph_lists_the_new_object_and_forgets_the_old_one(emulator: EmulatorProcess) -> None:
    emulator.grant_admin_consent()
    before = emulator.user_id(LEE)
    after = emulator.recreate_user(LEE)["id"]
    token = app_token(emulator)
    assert graph(emulator, "GET", f"/users/{before}", token).status_code == 404
    assert graph(emulator, "GET", f"/users/{LEE}", token).json()["id"] == after


def test_the_old_persons_refresh_token_dies_with_them(emulator: EmulatorProcess) -> None:
    body = emulator.control(
        "POST",
        f"/tenants/{emulator.tenant_id}/users/{LEE}/consent",
        {"client_id": emulator.client_id, "scopes": "User.Read"},
    )
    assert body["ok"] is True
    tokens = _redeem_refresh_token(emulator)
    emulator.recreate_user(LEE)
    answer = _refresh(emulator, tokens)
    assert answer["error"] == "invalid_grant"
    assert answer["error_codes"] == [50034]


def _redeem_refresh_token(emulator: EmulatorProcess) -> str:
    return str(signed_in_tokens(emulator, LEE, scope="openid offline_access User.Read")["refresh_token"])


def test_a_deleted_person_made_again_by_address_gets_a_new_object_id(emulator: EmulatorProcess) -> None:
    before = emulator.user_id(LEE)
    emulator.control("DELETE", f"/tenants/{emulator.tenant_id}/users/{LEE}")
    made = emulator.control(
        "POST", f"/tenants/{emulator.tenant_id}/users", {"userPrincipalName": LEE, "displayName": "Lee Gu"}
    )
    assert made["created"] is True and made["user"]["id"] != before


def test_a_recreated_admin_loses_their_roles_and_groups_can_be_given(emulator: EmulatorProcess) -> None:
    adele = "adele.vance@contoso.onmicrosoft.com"
    person = emulator.recreate_user(adele, groups=[])
    assert person["directoryRoles"] == [] and person["isAdmin"] is False and person["groups"] == []


def test_recreating_someone_unknown_is_refused(emulator: EmulatorProcess) -> None:
    with pytest.raises(ControlFailed, match="404"):
        emulator.recreate_user("nobody@contoso.onmicrosoft.com")


def test_a_changed_mail_is_listed_and_resolves(emulator: EmulatorProcess) -> None:
    person = emulator.update_user(LEE, mail="lee@contoso.example")
    assert person["mail"] == "lee@contoso.example"
    assert emulator.user_id("lee@contoso.example") == person["id"]
