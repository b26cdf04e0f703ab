"""The people page (admins): who is in the organization, their role and access, and their calendar; and the
settings page's "Synchronise now"."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from accounts import services as accounts
from accounts.access import admin_membership_for, person_in, signed_in_user
from accounts.models import Membership
from integrations.connection.clients import ConnectionNotReady
from integrations.connection.lookup import connection_or_blank
from integrations.directory.people import people_page
from integrations.directory.queue import directory_sync_soon
from integrations.models import Connection


@login_required
@require_GET
def people(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    membership = admin_membership_for(request, code)
    organization = membership.organization
    connection = connection_or_blank(organization=organization)
    query = request.GET.get("q", "").strip()[:100]
    unreachable = request.GET.get("reach") == "no"
    page = people_page(organization=organization, query=query, number=request.GET.get("page"), unreachable=unreachable)
    keep = urlencode({**({"q": query} if query else {}), **({"reach": "no"} if unreachable else {})})
    context = {"organization": organization, "connection": connection, "Mode": Connection.Mode, "keep": keep}
    context["clashes"] = accounts.address_clashes(organization=organization)
    return render(
        request, "integrations/people.html", {**context, "page": page, "query": query, "unreachable": unreachable}
    )


@login_required
@require_POST
def change_role(request: HttpRequest, code: uuid.UUID, person: uuid.UUID) -> HttpResponse:
    admin_membership_for(request, code)
    target = person_in(organization_code=code, person=person)
    role = _chosen(request, "role", Membership.Role.values, refusal=gettext("Choose admin or member."))
    try:
        if role and accounts.membership_set_role(membership=target, role=role, by=signed_in_user(request)):
            messages.success(request, _now_role(target.user.display_name, role))
    except accounts.LastAdmin as why:
        messages.error(request, str(why))
    return _back(request, code)


@login_required
@require_POST
def change_access(request: HttpRequest, code: uuid.UUID, person: uuid.UUID) -> HttpResponse:
    admin = admin_membership_for(request, code)
    target = person_in(organization_code=code, person=person)
    active = _chosen(request, "active", ("yes", "no"), refusal=gettext("Choose to deactivate or reactivate."))
    try:
        if active and accounts.membership_change_access(
            membership=target, is_active=active == "yes", by=signed_in_user(request)
        ):
            done = (
                gettext("%(name)s can use Overlap again in %(organization)s.")
                if active == "yes"
                else gettext("%(name)s can no longer use Overlap in %(organization)s.")
            )
            messages.success(
                request, done % {"name": target.user.display_name, "organization": admin.organization.name}
            )
    except (accounts.LastAdmin, accounts.NotOnYourself) as why:
        messages.error(request, str(why))
    return _back(request, code)


def _chosen(request: HttpRequest, field: str, choices: Sequence[str], *, refusal: str) -> str | None:
    """The admin's choice in `field` when it is one of `choices`; otherwise None, and `refusal` is said."""
    value = request.POST.get(field, "")
    if value in choices:
        return value
    messages.error(request, refusal)
    return None


def _back(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    """Back to the same search and page the admin acted from."""
    keep = {key: request.POST[key][:100] for key in ("q", "page") if request.POST.get(key)}
    url = reverse("people", kwargs={"code": code})
    return redirect(f"{url}?{urlencode(keep)}" if keep else url)


@login_required
@require_POST
def settle_clash(request: HttpRequest, code: uuid.UUID, person: uuid.UUID) -> HttpResponse:
    """A password account gives a Microsoft person's address: the admin merges it into them, or removes it."""
    admin_membership_for(request, code)
    local = person_in(organization_code=code, person=person)
    action = _chosen(
        request, "action", ("merge", "remove"), refusal=gettext("Choose to merge or to remove the password account.")
    )
    try:
        if action == "merge":
            into = accounts.password_account_merge(local=local, by=signed_in_user(request))
            messages.success(
                request,
                gettext("%(email)s's meetings now belong to %(name)s.")
                % {"email": local.user.email, "name": into.user.display_name},
            )
        elif action == "remove":
            accounts.password_account_remove(local=local, by=signed_in_user(request))
            messages.success(
                request, gettext("The password account %(email)s is removed.") % {"email": local.user.email}
            )
    except (accounts.CannotMerge, accounts.LastAdmin, accounts.NotOnYourself) as why:
        messages.error(request, str(why))
    return _back(request, code)


@login_required
@require_POST
def sync_now(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    membership = admin_membership_for(request, code)
    try:
        directory_sync_soon(organization=membership.organization)
    except ConnectionNotReady as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, gettext("Synchronisation started; the result shows below when it has finished."))
    return _to_members(code)


@login_required
@require_POST
def sync_confirm(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    """An admin agrees to the large deactivation a synchronisation held back."""
    membership = admin_membership_for(request, code)
    try:
        directory_sync_soon(organization=membership.organization, confirmed=True)
    except ConnectionNotReady as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, gettext("Confirmed. Synchronisation started; the result shows below when it has finished.")
        )
    return _to_members(code)


def _to_members(code: uuid.UUID) -> HttpResponse:
    """The settings page's members section, where the sync's result shows."""
    return redirect(reverse("integration_settings", kwargs={"code": code}) + "#members")


def _now_role(name: str, role: str) -> str:
    if role == Membership.Role.ADMIN:
        return gettext("%(name)s is now admin.") % {"name": name}
    return gettext("%(name)s is now member.") % {"name": name}
