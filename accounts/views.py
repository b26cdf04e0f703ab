from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import activate, get_language, gettext

from accounts import services
from accounts.access import admin_membership_for, membership_for, signed_in_user
from accounts.forms import AcceptInvitationForm, InvitationForm, LanguageForm
from accounts.limits import INVITATIONS, INVITATIONS_PER_ADDRESS, limited, too_many, wait_seconds
from accounts.models import Membership


def home(request: HttpRequest) -> HttpResponse:
    """A visitor learns what Overlap does and signs in; a person goes to their organization or chooses one."""
    if not request.user.is_authenticated:
        return render(request, "account/login.html")
    memberships = list(
        Membership.objects.filter(user=signed_in_user(request), is_active=True).select_related("organization")
    )
    if len(memberships) == 1:
        return redirect("organization_home", code=memberships[0].organization.code)
    return render(request, "accounts/choose_organization.html", {"memberships": memberships})


@login_required
def organization_home(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    membership = membership_for(request, code)
    return render(
        request,
        "accounts/organization_home.html",
        {"membership": membership, "organization": membership.organization},
    )


@login_required
@limited(INVITATIONS, methods=("POST",))
def invitations(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    """An admin invites a person by email; the page lists who was invited and whether they came."""
    membership = admin_membership_for(request, code)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        seconds = wait_seconds(request, INVITATIONS_PER_ADDRESS, key=email)
        if seconds is not None:
            return too_many(request, INVITATIONS_PER_ADDRESS, seconds)
        invitation = services.invitation_issue(
            organization=membership.organization,
            invited_by=signed_in_user(request),
            email=email,
            role=form.cleaned_data["role"],
            accept_url=lambda secret: request.build_absolute_uri(
                reverse("accept_invitation", kwargs={"secret": secret})
            ),
        )
        messages.success(request, gettext("Invitation sent to %(email)s.") % {"email": invitation.email})
        return redirect("invitations", code=code)
    context = {
        "organization": membership.organization,
        "membership": membership,
        "form": form,
        "invitations": membership.organization.invitations.select_related("invited_by")[:50],
        "now": timezone.now(),
    }
    return render(request, "accounts/invitations.html", context)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """A person's own page: the language their pages, dates and mail are in."""
    user = signed_in_user(request)
    form = LanguageForm(request.POST or None, initial={"language": get_language()})
    if request.method == "POST" and form.is_valid():
        services.user_language_set(user=user, language=form.cleaned_data["language"])
        activate(user.language)  # this answer's message reads in the new language already
        messages.success(request, gettext("Your language is saved."))
        return redirect("profile")
    return render(request, "accounts/profile.html", {"form": form})


def accept_invitation(request: HttpRequest, secret: str) -> HttpResponse:
    """The invited person chooses a name and password once; the link is then used up."""
    try:
        invitation = services.invitation_open(secret=secret)
    except services.InvitationInvalid as exc:
        return render(request, "accounts/invitation_invalid.html", {"reason": str(exc)}, status=410)
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                secret=secret, name=form.cleaned_data["name"], password=form.cleaned_data["password1"]
            )
        except services.AddressTaken:
            messages.error(request, gettext("An account with this address exists already. Sign in with it instead."))
            return redirect("account_login")
        except services.InvitationInvalid as exc:
            return render(request, "accounts/invitation_invalid.html", {"reason": str(exc)}, status=410)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("organization_home", code=invitation.organization.code)
    return render(request, "accounts/accept_invitation.html", {"invitation": invitation, "form": form})
