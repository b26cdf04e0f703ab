"""Access helpers: every organization-owned lookup starts from the signed-in user's memberships.

"Missing" and "not yours" both give 404, so that nobody can probe for other organizations.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpRequest

from accounts.kept_queries import KeptQuery
from accounts.models import Membership, User


def signed_in_user(request: HttpRequest) -> User:
    """The signed-in user; views behind login_required only."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("Sign in first.")
    return user


def membership_for(request: HttpRequest, code: uuid.UUID, *, also: tuple[str, ...] = ()) -> Membership:
    """The signed-in user's active membership of the organization with this code, or 404.

    `also` names more one-to-one relations to read in the same query (`select_related` paths), for a page that
    needs them on every request: the booking page's search reads its rules and connection this way."""
    user = request.user
    if not isinstance(user, User):
        raise Http404("No such organization.")
    try:
        membership = _membership_query(also).get(user.pk, code)
    except Membership.DoesNotExist:
        raise Http404("No such organization.") from None
    membership.user = user  # the signed-in user, read this request: not joined again
    return membership


@functools.cache
def _membership_query(also: tuple[str, ...]) -> KeptQuery[Membership]:
    """Every signed-in page reads its membership: its statement is made once (`accounts.kept_queries`)."""
    return KeptQuery(
        lambda user_id, code: Membership.objects.select_related("organization", *also).filter(
            user_id=user_id, organization__code=code, is_active=True
        )
    )


def read_with(instance: Model, relation: str) -> tuple[bool, Any]:
    """(True, the related row or None) when `relation` was read with `instance` (`membership_for`'s `also`);
    (False, None) when it was not, and the caller reads it itself: never a query here, never a stale guess."""
    cached = instance._state.fields_cache
    return (True, cached[relation]) if relation in cached else (False, None)


def admin_membership_for(request: HttpRequest, code: uuid.UUID) -> Membership:
    """Like `membership_for`, but a member who is not an admin gets 403 (outsiders still get 404)."""
    membership = membership_for(request, code)
    if not membership.is_admin:
        raise PermissionDenied("Only the organization's admins can do this.")
    return membership


def person_in(*, organization_code: uuid.UUID, person: uuid.UUID) -> Membership:
    """A person's membership (active or not) of the organization, looked up inside it first; 404 otherwise."""
    try:
        return Membership.objects.select_related("organization", "user").get(
            organization__code=organization_code, user__uuid=person
        )
    except Membership.DoesNotExist:
        raise Http404("No such person in this organization.") from None
