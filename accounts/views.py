from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.access import membership_for, signed_in_user
from accounts.models import Membership


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send a person to their organization; with several, let them choose."""
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
