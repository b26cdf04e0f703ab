"""Where Microsoft sends the admin back after admin consent; the organization comes from the signed state."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from accounts.access import admin_membership_for, signed_in_user
from integrations.connection.explain import Explanation
from integrations.consent.services import CONSENT_PURPOSE, consent_complete
from integrations.state import InvalidState, redeem_state


@login_required
@require_GET
def consent_callback(request: HttpRequest) -> HttpResponse:
    """Microsoft sends the admin back here; the organization comes from the signed state, never from the URL."""
    try:
        redeemed = redeem_state(
            request.session, request.GET.get("state", ""), purpose=CONSENT_PURPOSE, user_id=request.user.pk
        )
    except InvalidState as exc:
        messages.error(
            request,
            gettext("%(why)s Nothing was changed. Start again from the integration settings page.") % {"why": exc},
        )
        return redirect("home")
    membership = admin_membership_for(request, redeemed.organization_code)
    outcome = consent_complete(
        organization=membership.organization,
        actor=signed_in_user(request),
        params=request.GET.dict(),
        proven_tenant=redeemed.tenant,
    )
    _say_outcome(request, outcome.explanation)
    return redirect("integration_settings", code=redeemed.organization_code)


def _say_outcome(request: HttpRequest, explanation: Explanation | None) -> None:
    if explanation is None:
        messages.success(request, gettext("Connected. Overlap checked the connection with Microsoft and it works."))
    else:
        messages.error(request, _what_to_do(explanation.message, explanation.fix))


def _what_to_do(message: str, fix: str) -> str:
    """A problem and its fix, each in the reader's language (they are English as Overlap keeps them)."""
    return gettext("%(what)s What to do: %(fix)s") % {"what": gettext(message), "fix": gettext(fix)}
