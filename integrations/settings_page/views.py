"""The admins' integration settings page: tenant and mode, test, disconnect, the security group and the reach check.

Consent starts from here but is a sign-in first (`integrations.signin.views.start_consent`) and comes back to
`integrations.consent.views`; "Synchronise now" is `integrations.directory.views`'."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from accounts.access import admin_membership_for
from accounts.models import Membership, User
from integrations.connection import answering
from integrations.connection.clients import ConnectionNotReady
from integrations.connection.log import audit_log, last_disconnect
from integrations.connection.lookup import connection_or_blank
from integrations.member_calendars.selectors import connected_member_count, members_to_reconnect
from integrations.models import Connection
from integrations.reach import services as reach
from integrations.reach.selectors import reach_counts
from integrations.settings_page import services
from integrations.settings_page.forms import AccessGroupForm, TenantForm


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # every view here is behind login_required
    return request.user


def _settings_url(code: uuid.UUID) -> str:
    return reverse("integration_settings", kwargs={"code": code})


@login_required
@require_GET
def settings_page(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    return _render_settings(request, admin_membership_for(request, code))


def _render_settings(
    request: HttpRequest,
    membership: Membership,
    *,
    tenant_form: TenantForm | None = None,
    group_form: AccessGroupForm | None = None,
) -> HttpResponse:
    organization = membership.organization
    connection = connection_or_blank(organization=organization)
    context = {
        "organization": organization,
        "membership": membership,
        "connection": connection,
        "tenant_form": tenant_form or TenantForm(initial={"tenant": connection.tenant, "mode": connection.mode}),
        "group_form": group_form or AccessGroupForm(initial={"access_group": connection.access_group}),
        "events": audit_log(organization=organization)[:50],
        "disconnected_by": last_disconnect(organization=organization),
        "to_reconnect": members_to_reconnect(organization=organization),
        "connected_members": connected_member_count(organization=organization),
        "reach": reach_counts(organization=organization),
        "not_answering": answering.last_not_answering(organization=organization),
        "client_id": services.client_id(),
        "Mode": Connection.Mode,
        "Status": Connection.Status,
    }
    return render(request, "integrations/settings.html", context)


@login_required
@require_POST
def save_tenant(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    membership = admin_membership_for(request, code)
    form = TenantForm(request.POST)
    problem = services.tenant_problem(tenant=form.cleaned_data["tenant"]) if form.is_valid() else None
    if problem:
        form.add_error("tenant", problem)
    if not form.is_valid():
        return _render_settings(request, membership, tenant_form=form)
    tenant, mode = form.cleaned_data["tenant"], form.cleaned_data["mode"]
    change = services.connection_change(organization=membership.organization, tenant=tenant, mode=mode)
    if change.consequences and request.POST.get("confirm") != "yes":
        return _confirm(
            request,
            membership,
            title=change.title,
            consequences=change.consequences,
            action=reverse("integration_tenant", kwargs={"code": code}),
            fields=[("tenant", tenant), ("mode", mode)],
            button=change.button,
        )
    services.connection_configure(organization=membership.organization, actor=_user(request), tenant=tenant, mode=mode)
    messages.success(request, change.done)
    return redirect(_settings_url(code))


def _confirm(request: HttpRequest, membership: Membership, **context: object) -> HttpResponse:
    return render(request, "integrations/confirm.html", {"organization": membership.organization, **context})


@login_required
@require_POST
def test_connection(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    membership = admin_membership_for(request, code)
    try:
        connection = services.connection_test(organization=membership.organization, actor=_user(request))
    except ConnectionNotReady as exc:
        messages.error(request, str(exc))
        return redirect(_settings_url(code))
    if connection.is_active:
        messages.success(request, gettext("All checks passed: Overlap reached Microsoft 365 with your consent."))
    else:
        messages.error(
            request,
            gettext("%(what)s What to do: %(fix)s")
            % {"what": gettext(connection.last_error_message), "fix": gettext(connection.last_error_fix)},
        )
    return redirect(_settings_url(code))


@login_required
@require_POST
def disconnect(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    membership = admin_membership_for(request, code)
    connected = connection_or_blank(organization=membership.organization).status not in (
        Connection.Status.NOT_CONFIGURED,
        Connection.Status.DISCONNECTED,
    )
    if connected and request.POST.get("confirm") != "yes":
        return _confirm(
            request,
            membership,
            title=gettext("Disconnect Microsoft 365?"),
            consequences=services.DISCONNECT_CONSEQUENCES,
            action=reverse("integration_disconnect", kwargs={"code": code}),
            fields=[],
            button=gettext("Disconnect"),
        )
    try:
        services.connection_disconnect(organization=membership.organization, actor=_user(request))
    except ConnectionNotReady as exc:
        messages.error(request, str(exc))
        return redirect(_settings_url(code))
    messages.success(
        request,
        "Disconnected: Overlap makes no more calls to your tenant and has forgotten its tokens. To remove "
        "the consent at Microsoft too, delete Overlap under Enterprise applications in the Entra admin center.",
    )
    return redirect(_settings_url(code))


@login_required
@require_POST
def save_group(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    membership = admin_membership_for(request, code)
    form = AccessGroupForm(request.POST)
    problem = (
        reach.access_group_problem(organization=membership.organization, group=form.cleaned_data["access_group"])
        if form.is_valid()
        else None
    )
    if problem:
        form.add_error("access_group", problem)
    if not form.is_valid():
        return _render_settings(request, membership, group_form=form)
    reach.connection_set_access_group(
        organization=membership.organization, actor=_user(request), group=form.cleaned_data["access_group"]
    )
    if form.cleaned_data["access_group"]:
        messages.success(
            request, gettext("Saved the security group. Run “Check who Overlap can reach” once the policy is set.")
        )
    else:
        messages.success(
            request,
            "Removed the security group. Overlap no longer expects an access policy; if your tenant still has one, "
            "people outside its group show as “not enabled by your admin”.",
        )
    return redirect(_settings_url(code) + "#scoping")


@login_required
@require_POST
def check_reach(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    membership = admin_membership_for(request, code)
    try:
        reach.reach_check_soon(organization=membership.organization)
    except ConnectionNotReady as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, gettext("Checking who Overlap can reach; the result shows below when it is ready."))
    return redirect(_settings_url(code) + "#scoping")


@login_required
@require_POST
def rooms(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    membership = admin_membership_for(request, code)
    enabled = request.POST.get("rooms") == "on"
    try:
        connection = services.rooms_turn(organization=membership.organization, actor=_user(request), enabled=enabled)
    except ConnectionNotReady as exc:
        messages.error(request, str(exc))
        return redirect(_settings_url(code) + "#rooms")
    if not enabled:
        messages.success(request, "Rooms are off: members book meetings without rooms.")
    elif connection.rooms_granted_at:
        messages.success(request, "Rooms are on: Overlap is reading your rooms and room lists now.")
    else:
        messages.warning(
            request,
            "Rooms are on, but Microsoft has not granted Place.Read.All yet. Click “Grant Place.Read.All at "
            "Microsoft” and accept: that consent asks only for this permission on top of the ones you gave.",
        )
    return redirect(_settings_url(code) + "#rooms")
