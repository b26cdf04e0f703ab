"""The integration settings page (admins), its Microsoft round trips, and a member's calendar connection."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.access import admin_membership_for, membership_for
from accounts.models import Membership, User
from integrations import answering, members, selectors, services, signin
from integrations.connection import ConnectionNotReady
from integrations.explain import Explanation
from integrations.forms import AccessGroupForm, TenantForm
from integrations.models import Connection
from integrations.state import InvalidState, redeem_state


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
    connection = selectors.connection_of(organization=organization)
    context = {
        "organization": organization,
        "membership": membership,
        "connection": connection,
        "tenant_form": tenant_form or TenantForm(initial={"tenant": connection.tenant, "mode": connection.mode}),
        "group_form": group_form or AccessGroupForm(initial={"access_group": connection.access_group}),
        "events": selectors.audit_log(organization=organization)[:50],
        "disconnected_by": selectors.last_disconnect(organization=organization),
        "to_reconnect": selectors.members_to_reconnect(organization=organization),
        "connected_members": selectors.connected_member_count(organization=organization),
        "reach": selectors.reach_counts(organization=organization),
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
def start_consent(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    """First the admin signs in at Microsoft (who they are, which tenant, which role), then consents."""
    membership = admin_membership_for(request, code)
    try:
        url = signin.sign_in_url(
            session=request.session,
            purpose=signin.Purpose.CONSENT,
            redirect_uri=request.build_absolute_uri(reverse("sign_in_callback")),
            tenant=services.consent_tenant(organization=membership.organization),
            organization=membership.organization,
            user=_user(request),
        )
    except ConnectionNotReady as exc:
        messages.error(request, str(exc))
        return redirect(_settings_url(code))
    return HttpResponseRedirect(url)


@login_required
@require_GET
def consent_callback(request: HttpRequest) -> HttpResponse:
    """Microsoft sends the admin back here; the organization comes from the signed state, never from the URL."""
    try:
        redeemed = redeem_state(
            request.session, request.GET.get("state", ""), purpose=services.CONSENT_PURPOSE, user_id=request.user.pk
        )
    except InvalidState as exc:
        messages.error(request, f"{exc} Nothing was changed. Start again from the integration settings page.")
        return redirect("home")
    membership = admin_membership_for(request, redeemed.organization_code)
    outcome = services.consent_complete(
        organization=membership.organization,
        actor=_user(request),
        params=request.GET.dict(),
        proven_tenant=redeemed.tenant,
    )
    _say_outcome(request, outcome.explanation)
    return redirect(_settings_url(redeemed.organization_code))


def _say_outcome(request: HttpRequest, explanation: Explanation | None) -> None:
    if explanation is None:
        messages.success(request, "Connected. Overlap checked the connection with Microsoft and it works.")
    else:
        messages.error(request, f"{explanation.message} What to do: {explanation.fix}")


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
        messages.success(request, "All checks passed: Overlap reached Microsoft 365 with your consent.")
    else:
        messages.error(request, f"{connection.last_error_message} What to do: {connection.last_error_fix}")
    return redirect(_settings_url(code))


@login_required
@require_POST
def disconnect(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    membership = admin_membership_for(request, code)
    connected = selectors.connection_of(organization=membership.organization).status not in (
        Connection.Status.NOT_CONFIGURED,
        Connection.Status.DISCONNECTED,
    )
    if connected and request.POST.get("confirm") != "yes":
        return _confirm(
            request,
            membership,
            title="Disconnect Microsoft 365?",
            consequences=services.DISCONNECT_CONSEQUENCES,
            action=reverse("integration_disconnect", kwargs={"code": code}),
            fields=[],
            button="Disconnect",
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
        services.access_group_problem(organization=membership.organization, group=form.cleaned_data["access_group"])
        if form.is_valid()
        else None
    )
    if problem:
        form.add_error("access_group", problem)
    if not form.is_valid():
        return _render_settings(request, membership, group_form=form)
    services.connection_set_access_group(
        organization=membership.organization, actor=_user(request), group=form.cleaned_data["access_group"]
    )
    if form.cleaned_data["access_group"]:
        messages.success(request, "Saved the security group. Run “Check who Overlap can reach” once the policy is set.")
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
        services.reach_check_soon(organization=membership.organization)
    except ConnectionNotReady as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Checking who Overlap can reach; the result shows below when it is ready.")
    return redirect(_settings_url(code) + "#scoping")


@login_required
@require_POST
def sync_now(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    membership = admin_membership_for(request, code)
    try:
        services.directory_sync_soon(organization=membership.organization)
    except ConnectionNotReady as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Synchronisation started; the result shows below when it has finished.")
    return redirect(_settings_url(code) + "#members")


@login_required
@require_POST
def sync_confirm(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    """An admin agrees to the large deactivation a synchronisation held back."""
    membership = admin_membership_for(request, code)
    try:
        services.directory_sync_soon(organization=membership.organization, confirmed=True)
    except ConnectionNotReady as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Confirmed. Synchronisation started; the result shows below when it has finished.")
    return redirect(_settings_url(code) + "#members")


# A member's own calendar connection (individual mode).


@login_required
@require_GET
def calendar_page(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    membership = membership_for(request, code)
    connection = selectors.connection_of(organization=membership.organization)
    grant = selectors.grant_of(membership=membership)
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
        url = members.member_connect_url(
            membership=membership,
            session=request.session,
            redirect_uri=request.build_absolute_uri(reverse("calendar_callback")),
        )
    except ConnectionNotReady:
        messages.error(request, "Your organization has not connected Microsoft 365 yet. Ask one of your admins.")
        return redirect("calendar_connection", code=code)
    return HttpResponseRedirect(url)


@login_required
@require_GET
def calendar_callback(request: HttpRequest) -> HttpResponse:
    try:
        membership, flow = members.pending_membership(
            session=request.session, user=_user(request), state=request.GET.get("state", "")
        )
    except InvalidState as exc:
        messages.error(request, f"{exc} Nothing was changed. Start again from your calendar connection page.")
        return redirect("home")
    outcome = members.member_connect_complete(membership=membership, flow=flow, params=request.GET.dict())
    update_session_auth_hash(request, membership.user)  # now governed by Entra ID: this browser stays signed in
    (messages.success if outcome.connected else messages.error)(request, outcome.message)
    return redirect("calendar_connection", code=membership.organization.code)


@login_required
@require_POST
def calendar_disconnect(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    membership = membership_for(request, code)
    members.member_disconnect(membership=membership)
    messages.success(request, "Your calendar is disconnected; Overlap has forgotten your tokens.")
    return redirect("calendar_connection", code=code)


@login_required
@require_POST
def calendar_check(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    membership = membership_for(request, code)
    grant = members.member_check(membership=membership)
    if grant and grant.status == grant.Status.CONNECTED:
        messages.success(request, "Your calendar connection works.")
    return redirect("calendar_connection", code=code)
