"""Graph's and Entra ID's refusals become one small family that says whether a retry can help."""

from __future__ import annotations

import pytest

from integrations.microsoft.errors import (
    AccessDenied,
    BadRequest,
    ClientConfigurationError,
    ConsentMissing,
    MicrosoftError,
    NotFound,
    PersonGone,
    ReauthenticationRequired,
    SyncReset,
    TenantNotFound,
    Throttled,
    Timeout,
    Unavailable,
    graph_error,
    token_error,
)


def _body(code: str, message: str) -> dict[str, object]:
    return {"error": {"code": code, "message": message, "innerError": {"request-id": "r-1"}}}


@pytest.mark.parametrize(
    ("status", "code", "message", "kind", "permanent"),
    [
        (403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.", AccessDenied, True),
        (404, "ErrorItemNotFound", "The specified object was not found in the store.", NotFound, True),
        (404, "ErrorInvalidUser", "The requested user 'x' is invalid.", NotFound, True),
        (400, "ErrorInvalidIdMalformed", "Id is malformed.", BadRequest, True),
        (429, "TooManyRequests", "Please retry again later.", Throttled, False),
        (503, "ServiceUnavailable", "Service unavailable.", Unavailable, False),
        (504, "GatewayTimeout", "Gateway timeout.", Timeout, False),
        (401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.", ConsentMissing, True),
        (400, "syncStateNotFound", "The sync state generation is not found.", SyncReset, True),
        (410, "resyncRequired", "Resync required. Replace any local items with the server's.", SyncReset, True),
    ],
)
def test_graph_statuses_map_to_the_family(
    status: int, code: str, message: str, kind: type[MicrosoftError], permanent: bool
) -> None:
    error = graph_error(status, _body(code, message), request_id="r-1")

    assert type(error) is kind
    assert (error.code, error.message, error.request_id, error.status, error.permanent) == (
        code,
        message,
        "r-1",
        status,
        permanent,
    )


def test_an_access_policy_refusal_says_it_was_the_admins_policy() -> None:
    error = graph_error(403, _body("ErrorAccessDenied", "Access to OData is disabled."))

    assert isinstance(error, AccessDenied) and error.by_policy


def test_a_missing_permission_is_not_blamed_on_the_policy() -> None:
    error = graph_error(403, _body("ErrorAccessDenied", "Access is denied. Check credentials and try again."))

    assert isinstance(error, AccessDenied) and not error.by_policy


def test_throttling_carries_graphs_fractional_retry_after() -> None:
    error = graph_error(429, _body("TooManyRequests", "Please retry again later."), retry_after=2.128)

    assert isinstance(error, Throttled) and error.retry_after == 2.128


def test_a_rejected_token_for_a_member_means_signing_in_again() -> None:
    error = graph_error(401, _body("InvalidAuthenticationToken", "Access token is empty."), delegated=True)

    assert isinstance(error, ReauthenticationRequired)


def _oauth(error: str, code: int) -> dict[str, object]:
    return {
        "error": error,
        "error_description": f"AADSTS{code}: something. Trace ID: t",
        "error_codes": [code],
        "correlation_id": "c-1",
    }


@pytest.mark.parametrize(
    ("error", "code", "delegated", "kind"),
    [
        ("unauthorized_client", 700016, False, ConsentMissing),
        ("invalid_client", 7000215, False, ClientConfigurationError),
        ("invalid_client", 7000222, False, ClientConfigurationError),
        ("invalid_request", 90002, False, TenantNotFound),
        ("invalid_request", 900023, False, TenantNotFound),
        ("invalid_grant", 50173, True, ReauthenticationRequired),
        ("invalid_grant", 700082, True, ReauthenticationRequired),
        ("invalid_grant", 70008, True, ReauthenticationRequired),
        ("temporarily_unavailable", 0, False, Unavailable),
    ],
)
def test_token_endpoint_errors_map_to_the_family(
    error: str, code: int, delegated: bool, kind: type[MicrosoftError]
) -> None:
    result = token_error(_oauth(error, code), delegated=delegated)

    assert type(result) is kind
    assert result.code == error and result.request_id == "c-1" and str(code) in result.message


def test_a_revoked_refresh_token_is_permanent() -> None:
    assert token_error(_oauth("invalid_grant", 50173), delegated=True).permanent


def test_a_withdrawn_consent_is_consent_missing_for_the_app_and_a_new_sign_in_for_a_member() -> None:
    assert type(token_error(_oauth("invalid_grant", 65001))) is ConsentMissing
    assert type(token_error(_oauth("invalid_grant", 65001), delegated=True)) is ReauthenticationRequired


@pytest.mark.parametrize("code", [50034, 50057])
def test_a_renewal_refused_for_a_deleted_or_disabled_member_says_the_person_is_gone(code: int) -> None:
    assert type(token_error(_oauth("invalid_grant", code), delegated=True)) is PersonGone
    assert type(token_error(_oauth("invalid_grant", 700082), delegated=True)) is ReauthenticationRequired
