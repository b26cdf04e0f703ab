"""Plain words for what went wrong with Microsoft, and what the admin or member should do about it."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_noop

from integrations.microsoft import errors

# The words are English, as stored with a connection's problem; each is marked for the catalogues, and the pages
# show it in the reader's language (`{% translate connection.last_error_message %}`).


@dataclass(frozen=True)
class Explanation:
    code: str
    message: str
    fix: str
    revoked: bool = False  # consent is gone: the connection is revoked, not merely in trouble


def explain_error(error: errors.MicrosoftError) -> Explanation:
    """What an admin reads on the settings page when a check against Microsoft fails."""
    code = error.code or type(error).__name__
    if isinstance(error, errors.TenantNotFound):
        return Explanation(code, gettext_noop("Microsoft does not know this tenant."), _FIX_TENANT)
    if isinstance(error, errors.ClientConfigurationError):
        return Explanation(code, gettext_noop("Overlap's own Microsoft registration is misconfigured."), _FIX_OPERATOR)
    if isinstance(error, errors.ConsentMissing):
        return Explanation(
            code, gettext_noop("Overlap no longer has consent in your tenant."), _FIX_CONSENT, revoked=True
        )
    if isinstance(error, errors.AccessDenied) and error.by_policy:
        return Explanation(
            code, gettext_noop("Your application access policy keeps Overlap out of this mailbox."), _FIX_POLICY
        )
    if isinstance(error, errors.AccessDenied):
        return Explanation(code, gettext_noop("Microsoft refused Overlap's permissions."), _FIX_CONSENT, revoked=True)
    if isinstance(error, errors.Throttled | errors.Unavailable | errors.Timeout):
        return Explanation(
            code, gettext_noop("Microsoft did not answer in time or asked Overlap to slow down."), _FIX_LATER
        )
    return Explanation(code, f"Microsoft answered with an error: {error.message}", _FIX_SUPPORT)


_FIX_TENANT = gettext_noop(
    "Check the tenant ID or domain above against the Entra admin center, save it, and grant consent again."
)
_FIX_CONSENT = gettext_noop(
    "Click “Grant admin consent” and accept as a Global Administrator or Privileged Role Administrator. "
    "If someone removed Overlap under Enterprise applications on purpose, talk to them first."
)
_FIX_POLICY = gettext_noop("Add the person to the security group named below, or change the application access policy.")
_FIX_LATER = gettext_noop("Nothing to change on your side: click “Test connection” again in a few minutes.")
_FIX_OPERATOR = gettext_noop(
    "Nothing to change in your tenant: tell whoever runs Overlap to check its client ID and secret."
)
_FIX_SUPPORT = gettext_noop(
    "Click “Test connection” again; if it keeps failing, send this message and its time to support."
)


# The consent callback's error redirects: Microsoft's `error` / `error_subcode` / AADSTS code → words.
CONSENT_CANCELLED = Explanation(
    "cancelled",
    gettext_noop("You cancelled at Microsoft, so nothing was granted."),
    gettext_noop("Click “Grant admin consent” when you are ready, and choose Accept on Microsoft's page."),
)
CONSENT_DECLINED = Explanation(
    "declined",
    gettext_noop("The permissions were declined at Microsoft, so Overlap is not connected."),
    gettext_noop(
        "Read the permissions listed below; if they are acceptable, click “Grant admin consent” and choose Accept."
    ),
)
CONSENT_NOT_ADMIN = Explanation(
    "not_admin",
    gettext_noop("The account you signed in with at Microsoft may not grant consent for the whole organization."),
    gettext_noop(
        "Ask a Global Administrator or Privileged Role Administrator to sign in to Overlap and click “Grant admin "
        "consent”, or sign in at Microsoft with such an account."
    ),
)
CONSENT_OTHER = Explanation(
    "consent_failed",
    gettext_noop("Microsoft did not complete the consent."),
    gettext_noop("Click “Grant admin consent” again; if it fails again, send the message below to support."),
)


def explain_consent_error(error: str, subcode: str, description: str) -> Explanation:
    """Sort Microsoft's error redirect into cancelled, declined, not an admin, or something else."""
    text = f"{error} {subcode} {description}".lower()
    if "cancel" in text:
        return CONSENT_CANCELLED
    if "65004" in text or "declin" in text:
        return CONSENT_DECLINED
    if any(mark in text for mark in ("90094", "90093", "90008", "admin approval", "not an admin", "administrator")):
        return CONSENT_NOT_ADMIN
    if error == "access_denied":
        return CONSENT_DECLINED
    return Explanation(CONSENT_OTHER.code, f"{CONSENT_OTHER.message} ({description or error})", CONSENT_OTHER.fix)
