"""The small family of errors Overlap sees from Microsoft; nothing else ever leaves this package.

Each error carries Graph's (or Entra ID's) code, message and request id, the HTTP status when there
was one, and says whether trying again later can help (`permanent`).
"""

from __future__ import annotations

from typing import Any, ClassVar

# Entra ID's AADSTS numbers, by what they mean for Overlap.
_TENANT_UNKNOWN = {90002, 900023, 90072}
_CONSENT_MISSING = {700016, 65001, 65004, 500011, 7000112}
_CLIENT_MISCONFIGURED = {7000215, 7000222, 70011, 700022, 50194, 700054}
_PERSON_GONE = {50034, 50057}  # the user account does not exist in the directory / is disabled
_USER_ACTION_NEEDED = ("invalid_grant", "interaction_required", "consent_required", "login_required")


class MicrosoftError(Exception):
    """Anything that went wrong talking to Entra ID or Graph."""

    permanent: ClassVar[bool] = True

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        request_id: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id
        self.status = status

    def __str__(self) -> str:
        where = f" (request-id {self.request_id})" if self.request_id else ""
        return f"{self.code or type(self).__name__}: {self.message}{where}"


class TenantNotFound(MicrosoftError):
    """The tenant id or domain does not exist in Entra ID."""


class ConsentMissing(MicrosoftError):
    """The organization has not granted (or has revoked) Overlap's consent."""


class ClientConfigurationError(MicrosoftError):
    """Overlap's own registration is wrong: client secret invalid or expired, bad scope."""


class ReauthenticationRequired(MicrosoftError):
    """A member's sign-in is no longer usable (refresh token revoked, expired, MFA now required)."""


class PersonGone(ReauthenticationRequired):
    """Entra ID refused a member's token renewal because it deleted or disabled the person."""


class AccessDenied(MicrosoftError):
    """Graph refused this mailbox or object. `by_policy`: the admin's application access policy excludes it."""

    def __init__(self, message: str, *, by_policy: bool = False, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.by_policy = by_policy


class NotFound(MicrosoftError):
    """No such user, mailbox or event (or the event was deleted)."""


class BadRequest(MicrosoftError):
    """Graph rejected the request itself; sending it again will not help."""


class SyncReset(MicrosoftError):
    """A delta link Graph no longer knows (expired after 7 days, or reset): synchronize in full again.

    Directory resources answer 400 `syncStateNotFound`; other workloads answer 410 Gone (`resyncRequired`).
    """


class Throttled(MicrosoftError):
    """Too many requests; `retry_after` is Graph's advice in seconds, when it gave one."""

    permanent = False

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Unavailable(MicrosoftError):
    """The service is down or could not be reached."""

    permanent = False


class Timeout(MicrosoftError):
    """No answer in time; the request may or may not have taken effect."""

    permanent = False


_RESYNC_CODES = ("syncstatenotfound", "resyncrequired", "syncstateinvalid")


def graph_error(
    status: int,
    payload: Any,
    *,
    request_id: str | None = None,
    retry_after: float | None = None,
    delegated: bool = False,
) -> MicrosoftError:
    """The error for a failed Graph response (status, decoded JSON body or None, headers' facts)."""
    code, message = _graph_code_and_message(payload)
    message = message or f"Graph answered HTTP {status}."
    facts: dict[str, Any] = {"code": code, "request_id": request_id, "status": status}
    if status == 410 or code.lower() in _RESYNC_CODES:
        return SyncReset(message, **facts)
    if status == 401:
        kind: type[MicrosoftError] = ReauthenticationRequired if delegated else ConsentMissing
        return kind(message, **facts)
    if status == 403:
        return AccessDenied(message, by_policy="OData is disabled" in message, **facts)
    if status == 404:
        return NotFound(message, **facts)
    if status == 429:
        return Throttled(message, retry_after=retry_after, **facts)
    if status == 504:
        return Timeout(message, **facts)
    if status >= 500 and status != 501:
        return Unavailable(message, **facts)
    return BadRequest(message, **facts)


def _graph_code_and_message(payload: Any) -> tuple[str, str]:
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        return "", ""
    return str(error.get("code") or ""), str(error.get("message") or "")


def token_error(result: dict[str, Any], *, delegated: bool = False) -> MicrosoftError:
    """The error for a failed token request, from the OAuth error body MSAL hands back."""
    codes = {int(c) for c in result.get("error_codes") or [] if str(c).isdigit()}
    error = str(result.get("error") or "")
    facts: dict[str, Any] = {
        "code": error,
        "request_id": result.get("correlation_id") or result.get("trace_id"),
    }
    message = str(result.get("error_description") or error or "The token request failed.")
    return _token_error_class(codes, error, delegated)(message, **facts)


def _token_error_class(codes: set[int], error: str, delegated: bool) -> type[MicrosoftError]:
    if codes & _TENANT_UNKNOWN:
        return TenantNotFound
    if codes & _CLIENT_MISCONFIGURED or error in ("invalid_client", "invalid_scope"):
        return ClientConfigurationError
    if error in ("temporarily_unavailable", "server_error"):
        return Unavailable
    if delegated and codes & _PERSON_GONE:
        return PersonGone
    # For a member, a dead grant or a withdrawn consent has one remedy: sign in (and consent) again.
    if delegated and error in _USER_ACTION_NEEDED:
        return ReauthenticationRequired
    if codes & _CONSENT_MISSING or error in (*_USER_ACTION_NEEDED, "unauthorized_client"):
        return ConsentMissing
    return BadRequest
