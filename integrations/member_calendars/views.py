"""A member's own calendar connection (individual mode): its page, connect, the callback, check, disconnect."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from accounts.access import membership_for
from accounts.models import User
from integrations.connection.clients import ConnectionNotReady
from integrations.connection.lookup import connection_or_blank
from integrations.member_calendars import services
from integrations.member_calendars.selectors import grant_of
from integrations.state import InvalidState


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # every view here is behind login_required
    return request.user


@login_required
@require_GET
def calendar_page(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    membership = membership_for(request, code)
    connection = connection_or_blank(organization=membership.organization)
    grant = grant_of(membership=membership)
    context = {
        "organization": membership.organization,
        "membership": membership,
        "connection": connection,
        "grant": grant,
    }
    return render(request, "integrations/calendar.html", context)


@login_required
@require_POST
def calendar_connect(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    membership = membership_for(request, code)
    try:
        url = services.member_connect_url(
            membership=membership,
            session=request.session,
            redirect_uri=request.build_absolute_uri(reverse("calendar_callback")),
        )
    except ConnectionNotReady:
        messages.error(
            request, gettext("Your organization has not connected Microsoft 365 yet. Ask one of your admins.")
        )
        return redirect("calendar_connection", code=code)
    return HttpResponseRedirect(url)


@login_required
@require_GET
def calendar_callback(request: HttpRequest) -> HttpResponse:
    try:
        membership, flow = services.pending_membership(
            session=request.session, user=_user(request), state=request.GET.get("state", "")
        )
    except InvalidState as exc:
        messages.error(
            request,
            gettext("%(why)s Nothing was changed. Start again from your calendar connection page.") % {"why": exc},
        )
        return redirect("home")
    outcome = services.member_connect_complete(membership=membership, flow=flow, params=request.GET.dict())
    update_session_auth_hash(request, membership.user)  # now governed by Entra ID: this browser stays signed in
    (messages.success if outcome.connected else messages.error)(request, outcome.message)
    return redirect("calendar_connection", code=membership.organization.code)


@login_required
@require_POST
def calendar_disconnect(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    membership = membership_for(request, code)
    services.member_disconnect(membership=membership)
    messages.success(request, gettext("Your calendar is disconnected; Overlap has forgotten your tokens."))
    return redirect("calendar_connection", code=code)


@login_required
@require_POST
def calendar_check(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    membership = membership_for(request, code)
    grant = services.member_check(membership=membership)
    if grant and grant.status == grant.Status.CONNECTED:
        messages.success(request, gettext("Your calendar connection works."))
    return redirect("calendar_connection", code=code)
