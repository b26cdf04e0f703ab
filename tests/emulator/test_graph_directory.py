"""Graph's token check and the directory: what Overlap's client and allauth read about people."""

from __future__ import annotations

from m365_emulator.testing import EmulatorProcess
from tests.emulator.helpers import app_token, delegated_token, graph


def _consented_token(emulator: EmulatorProcess) -> str:
    emulator.grant_admin_consent()
    return app_token(emulator)


def test_graph_refuses_a_call_without_a_token(emulator: EmulatorProcess) -> None:
    response = graph(emulator, "GET", "/users", None)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "InvalidAuthenticationToken"
    assert error["message"] == "Access token is empty."
    assert error["innerError"]["request-id"] == response.headers["request-id"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")


def test_graph_echoes_the_callers_client_request_id(emulator: EmulatorProcess) -> None:
    token = _consented_token(emulator)
    response = graph(emulator, "GET", "/users", token, headers={"client-request-id": "abc-123"})
    assert response.headers["client-request-id"] == "abc-123"
    assert response.headers["request-id"] != "abc-123"


def test_graph_refuses_a_token_that_is_not_a_jwt(emulator: EmulatorProcess) -> None:
    response = graph(emulator, "GET", "/users", "not-a-token")
    assert response.status_code == 401
    assert "CompactToken parsing failed" in response.json()["error"]["message"]


def test_graph_refuses_an_expired_token(emulator: EmulatorProcess) -> None:
    emulator.grant_admin_consent()
    emulator.control("POST", "/token-lifetime", {"seconds": 1})
    token = app_token(emulator)
    import time

    time.sleep(2.1)
    response = graph(emulator, "GET", "/users", token)
    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]


def test_a_reset_retires_tokens_issued_before_it(emulator: EmulatorProcess) -> None:
    token = _consented_token(emulator)
    emulator.reset()
    assert graph(emulator, "GET", "/users", token).status_code == 401


def test_a_token_without_roles_gets_403_from_graph(emulator: EmulatorProcess) -> None:
    # A user consented (so the app exists in the tenant) but no admin granted app permissions.
    megan = "megan.bowen@contoso.onmicrosoft.com"
    emulator.control(
        "POST",
        f"/tenants/{emulator.tenant_id}/users/{megan}/consent",
        {"client_id": emulator.client_id, "scopes": "User.Read"},
    )
    token = app_token(emulator)
    response = graph(emulator, "GET", "/users", token)
    assert response.status_code == 403


def test_it_pages_users_with_next_links_until_everyone_is_read(emulator: EmulatorProcess) -> None:
    token = _consented_token(emulator)
    response = graph(
        emulator, "GET", "/users", token, params={"$top": "7", "$select": "id,displayName,userPrincipalName"}
    )
    names: list[str] = []
    pages = 0
    while True:
        body = response.json()
        assert response.status_code == 200
        names += [user["userPrincipalName"] for user in body["value"]]
        assert all(set(user) == {"id", "displayName", "userPrincipalName"} for user in body["value"])
        pages += 1
        if "@odata.nextLink" not in body:
            break
        response = emulator.session.get(body["@odata.nextLink"], headers={"Authorization": f"Bearer {token}"})
    assert pages >= 5
    assert len(names) == len(set(names)) >= 40
    assert "adele.vance@contoso.onmicrosoft.com" in names


def test_it_refuses_a_page_size_over_999(emulator: EmulatorProcess) -> None:
    token = _consented_token(emulator)
    assert graph(emulator, "GET", "/users", token, params={"$top": "999"}).status_code == 200
    response = graph(emulator, "GET", "/users", token, params={"$top": "1000"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "Request_BadRequest"


def test_it_filters_users_on_account_enabled_and_user_type(emulator: EmulatorProcess) -> None:
    token = _consented_token(emulator)
    select = "userPrincipalName,accountEnabled,userType"
    params = {"$top": "999", "$select": select, "$filter": "accountEnabled eq true and userType eq 'Member'"}
    users = graph(emulator, "GET", "/users", token, params=params).json()["value"]
    upns = {u["userPrincipalName"] for u in users}
    assert "pradeep.gupta@contoso.onmicrosoft.com" not in upns  # disabled
    assert not any("#EXT#" in upn for upn in upns)  # the guest
    assert all(u["accountEnabled"] is True and u["userType"] == "Member" for u in users)
    every = graph(emulator, "GET", "/users", token, params={"$top": "999", "$select": select}).json()["value"]
    assert len(every) > len(users)


def test_a_not_equal_filter_needs_advanced_query_headers(emulator: EmulatorProcess) -> None:
    token = _consented_token(emulator)
    params = {"$filter": "accountEnabled ne true", "$select": "userPrincipalName"}
    assert graph(emulator, "GET", "/users", token, params=params).status_code == 400
    advanced = {**params, "$count": "true"}
    response = graph(emulator, "GET", "/users", token, params=advanced, headers={"ConsistencyLevel": "eventual"})
    assert [u["userPrincipalName"] for u in response.json()["value"]] == ["pradeep.gupta@contoso.onmicrosoft.com"]
    assert response.json()["@odata.count"] == 1


def test_it_reads_one_user_by_upn_or_id_and_404s_a_stranger(emulator: EmulatorProcess) -> None:
    token = _consented_token(emulator)
    megan = graph(emulator, "GET", "/users/Megan.Bowen@contoso.onmicrosoft.com", token).json()
    assert megan["displayName"] == "Megan Bowen"
    assert graph(emulator, "GET", f"/users/{megan['id']}", token).json()["mail"] == megan["mail"]
    missing = graph(emulator, "GET", "/users/nobody@contoso.onmicrosoft.com", token)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "Request_ResourceNotFound"


def test_a_tenant_token_does_not_see_another_tenants_people(emulator: EmulatorProcess) -> None:
    token = _consented_token(emulator)
    assert graph(emulator, "GET", "/users/diego.siciliani@fabrikam.onmicrosoft.com", token).status_code == 404


def test_me_is_refused_for_an_app_only_token(emulator: EmulatorProcess) -> None:
    token = _consented_token(emulator)
    response = graph(emulator, "GET", "/me", token)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "/me request is only valid with delegated authentication flow."


def test_directory_changes_through_the_control_api_show_in_graph(emulator: EmulatorProcess) -> None:
    token = _consented_token(emulator)
    path = f"/tenants/{emulator.tenant_domain}/users"
    emulator.control(
        "POST", path, {"user": "alex.wilber@contoso.onmicrosoft.com", "accountEnabled": False, "displayName": "Alex W."}
    )
    emulator.control(
        "POST", path, {"userPrincipalName": "new.person@contoso.onmicrosoft.com", "displayName": "New Person"}
    )
    alex = graph(
        emulator,
        "GET",
        "/users/alex.wilber@contoso.onmicrosoft.com",
        token,
        params={"$select": "displayName,accountEnabled"},
    )
    assert alex.json()["displayName"] == "Alex W."
    assert alex.json()["accountEnabled"] is False
    assert graph(emulator, "GET", "/users/new.person@contoso.onmicrosoft.com", token).status_code == 200


def test_unknown_graph_segments_get_400(emulator: EmulatorProcess) -> None:
    token = _consented_token(emulator)
    response = graph(emulator, "GET", "/nonsense", token)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadRequest"


def test_the_log_records_each_graph_call_with_tenant_and_token_kind(emulator: EmulatorProcess) -> None:
    token = _consented_token(emulator)
    since = emulator.last_seq()
    graph(emulator, "GET", "/users", token, params={"$top": "3"})
    entries = emulator.log(since=since)
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [("GET", "/v1.0/users", 200)]
    entry = entries[0]
    assert entry["query"] == {"$top": ["3"]}
    assert (entry["tenant"], entry["token_kind"], entry["app"]) == (emulator.tenant_id, "app", emulator.client_id)


def test_check_member_groups_needs_group_permission_overlaps_app_lacks(emulator: EmulatorProcess) -> None:
    token = _consented_token(emulator)
    body = {"groupIds": [_overlap_group(emulator)]}
    response = graph(emulator, "POST", "/users/megan.bowen@contoso.onmicrosoft.com/checkMemberGroups", token, json=body)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "Authorization_RequestDenied"


def test_a_signed_in_person_checks_their_own_groups_twenty_at_a_time(emulator: EmulatorProcess) -> None:
    token = delegated_token(emulator, "megan.bowen@contoso.onmicrosoft.com")
    other = "00000000-0000-4000-8000-000000000000"
    body = {"groupIds": [_overlap_group(emulator), other]}
    response = graph(emulator, "POST", "/me/checkMemberGroups", token, json=body)
    assert response.json()["value"] == [_overlap_group(emulator)]
    joni = delegated_token(emulator, "joni.sherman@contoso.onmicrosoft.com")
    assert graph(emulator, "POST", "/me/checkMemberGroups", joni, json=body).json()["value"] == []
    too_many = graph(emulator, "POST", "/me/checkMemberGroups", token, json={"groupIds": [other] * 21})
    assert too_many.status_code == 400


def test_users_cannot_be_listed_with_a_delegated_user_read_token(emulator: EmulatorProcess) -> None:
    token = delegated_token(emulator, "megan.bowen@contoso.onmicrosoft.com")
    assert graph(emulator, "GET", "/users", token).status_code == 403
    assert graph(emulator, "GET", "/me", token).json()["userPrincipalName"] == "megan.bowen@contoso.onmicrosoft.com"


def _overlap_group(emulator: EmulatorProcess) -> str:
    tenants = emulator.control("GET", "/tenants")["tenants"]
    return next(g["id"] for t in tenants for g in t["groups"] if g["mail"].startswith("overlap-users@contoso"))
