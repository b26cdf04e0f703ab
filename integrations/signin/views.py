"""Pages of the Microsoft sign-in: sign in, "Start with Microsoft 365", link an account, and their one callback."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import admin_membership_for, membership_for, signed_in_user
from accounts.models import Membership, Organization, User
from integrations.connection.clients import ConnectionNotReady
from integrations.consent import services as consent
from integrations.microsoft import errors
from integrations.microsoft.oidc import VerifiedSignIn
from integrations.signin import services as signin
from integrations.signin.services import PendingSignIn, Purpose, SignInRefused
from integrations.state import InvalidState

_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _callback(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("sign_in_callback"))


def _go(request: HttpRequest, purpose: Purpose, membership: Membership | None = None) -> HttpResponse:
    try:
        url = signin.sign_in_url(
            session=request.session,
            purpose=purpose,
            redirect_uri=_callback(request),
            organization=membership.organization if membership else None,
            user=membership.user if membership else None,
        )
    except errors.MicrosoftError as error:
        messages.error(request, _unreachable(error.message))
        return redirect("account_login")
    return HttpResponseRedirect(url)


@login_required
@require_POST
def start_consent(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    """First the admin signs in at Microsoft (who they are, which tenant, which role), then consents."""
    membership = admin_membership_for(request, code)
    try:
        url = signin.sign_in_url(
            session=request.session,
            purpose=Purpose.CONSENT,
            redirect_uri=request.build_absolute_uri(reverse("sign_in_callback")),
            tenant=consent.consent_tenant(organization=membership.organization),
            organization=membership.organization,
            user=signed_in_user(request),
        )
    except ConnectionNotReady as exc:
        messages.error(request, str(exc))
        return redirect("integration_settings", code=code)
    return HttpResponseRedirect(url)


@require_GET
def start_page(request: HttpRequest) -> HttpResponse:
    return render(request, "integrations/start.html")


@require_POST
def start(request: HttpRequest) -> HttpResponse:
    return _go(request, Purpose.START)


@require_POST
def sign_in(request: HttpRequest) -> HttpResponse:
    return _go(request, Purpose.SIGN_IN)


@login_required
@require_POST
def link(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    membership = membership_for(request, code)
    return _go(request, Purpose.LINK, membership)


@require_GET
def sign_in_callback(request: HttpRequest) -> HttpResponse:
    """Microsoft sends the person back here; what happens next depends on why they went."""
    user_id = request.user.pk if request.user.is_authenticated else None
    try:
        pending = signin.pending_sign_in(session=request.session, state=request.GET.get("state", ""), user_id=user_id)
    except InvalidState as exc:
        messages.error(request, gettext("%(why)s Nothing was changed. Start again.") % {"why": exc})
        return redirect("home" if user_id else "account_login")
    try:
        identity = signin.finish(pending=pending, params=request.GET.dict())
    except errors.ConsentMissing:
        messages.error(request, gettext("You cancelled the sign-in at Microsoft. Nothing was changed."))
        return _back(pending)
    except errors.MicrosoftError as error:
        messages.error(
            request,
            gettext("Microsoft did not complete the sign-in (%(why)s). Nothing was changed.") % {"why": error.message},
        )
        return _back(pending)
    try:
        return _STEPS[pending.purpose](request, pending, identity)
    except consent.RoleMissing as exc:
        return _someone_else_must(request, pending, str(exc))
    except (SignInRefused, consent.ConsentRefused) as exc:
        messages.error(request, str(exc))
        return _back(pending)


def _someone_else_must(request: HttpRequest, pending: PendingSignIn, message: str) -> HttpResponse:
    """The signed-in account cannot grant consent: say who can, and give a link to hand on to them."""
    organization = None
    if pending.organization_code and pending.purpose in (Purpose.CONSENT, Purpose.HANDED):
        organization = Organization.objects.filter(code=pending.organization_code).first()
    if organization is not None:
        link = reverse("consent_handed", kwargs={"link": signin.handed_link_code(organization=organization)})
    else:
        link = reverse("start")  # nothing was created: the right person starts the organization themselves
    context = {"message": message, "link": request.build_absolute_uri(link), "organization": organization}
    return render(request, "integrations/someone_else_must.html", context, status=403)


@require_http_methods(["GET", "POST"])
def consent_handed(request: HttpRequest, link: str) -> HttpResponse:
    """The page a handed-on link opens: who asks, and a button to sign in at Microsoft and grant consent."""
    try:
        organization = signin.handed_organization(code=link)
        tenant = consent.consent_tenant(organization=organization)
    except (InvalidState, ConnectionNotReady) as exc:
        messages.error(request, gettext("%(why)s Nothing was changed.") % {"why": exc})
        return redirect("start")
    if request.method == "GET":
        return render(request, "integrations/handed.html", {"organization": organization, "tenant": tenant})
    try:
        url = signin.sign_in_url(
            session=request.session,
            purpose=Purpose.HANDED,
            redirect_uri=_callback(request),
            tenant=tenant,
            organization=organization,
        )
    except errors.MicrosoftError as error:
        messages.error(request, _unreachable(error.message))
        return redirect("start")
    return HttpResponseRedirect(url)


def _back(pending: PendingSignIn) -> HttpResponse:
    if pending.purpose in (Purpose.CONSENT, Purpose.HANDED) and pending.organization_code:
        return redirect("integration_settings", code=pending.organization_code)
    if pending.purpose == Purpose.LINK and pending.organization_code:
        return redirect("organization_home", code=pending.organization_code)
    if pending.purpose == Purpose.START:
        return redirect("start")
    return redirect("account_login")


def _signed_in(request: HttpRequest, pending: PendingSignIn, identity: VerifiedSignIn) -> HttpResponse:
    login(request, signin.person_for_sign_in(identity=identity), backend=_BACKEND)
    return redirect("home")


def _started(request: HttpRequest, pending: PendingSignIn, identity: VerifiedSignIn) -> HttpResponse:
    user, organization = signin.organization_start(identity=identity)
    login(request, user, backend=_BACKEND)
    messages.success(
        request,
        gettext("%(organization)s is ready. Now grant Overlap access to your Microsoft 365.")
        % {"organization": organization.name},
    )
    return _to_admin_consent(request, user, organization.code, identity)


def _consent(request: HttpRequest, pending: PendingSignIn, identity: VerifiedSignIn) -> HttpResponse:
    membership = admin_membership_for(request, uuid.UUID(str(pending.organization_code)))
    assert isinstance(request.user, User)
    return _to_admin_consent(request, request.user, membership.organization.code, identity)


def _to_admin_consent(request: HttpRequest, user: User, code: uuid.UUID, identity: VerifiedSignIn) -> HttpResponse:
    membership = admin_membership_for(request, code)
    url = consent.consent_prove(
        organization=membership.organization,
        actor=user,
        identity=identity,
        session=request.session,
        redirect_uri=request.build_absolute_uri(reverse("consent_callback")),
    )
    return HttpResponseRedirect(url)


def _handed(request: HttpRequest, pending: PendingSignIn, identity: VerifiedSignIn) -> HttpResponse:
    organization = Organization.objects.get(code=uuid.UUID(str(pending.organization_code)))
    user = signin.organization_join(identity=identity, organization=organization)
    login(request, user, backend=_BACKEND)
    messages.success(
        request,
        gettext("You are an admin of %(organization)s. Now grant Overlap access at Microsoft.")
        % {"organization": organization.name},
    )
    return _to_admin_consent(request, user, organization.code, identity)


def _linked(request: HttpRequest, pending: PendingSignIn, identity: VerifiedSignIn) -> HttpResponse:
    membership = membership_for(request, uuid.UUID(str(pending.organization_code)))
    signin.membership_link(membership=membership, identity=identity)
    update_session_auth_hash(request, membership.user)  # now governed by Entra ID: this browser stays signed in
    messages.success(
        request,
        gettext("Your Microsoft account %(account)s is connected. You can sign in with it.")
        % {"account": identity.username},
    )
    return redirect("organization_home", code=membership.organization.code)


_STEPS = {
    Purpose.SIGN_IN: _signed_in,
    Purpose.START: _started,
    Purpose.CONSENT: _consent,
    Purpose.LINK: _linked,
    Purpose.HANDED: _handed,
}


def _unreachable(why: str) -> str:
    return gettext("Microsoft cannot be reached right now (%(why)s). Try again in a minute.") % {"why": why}
