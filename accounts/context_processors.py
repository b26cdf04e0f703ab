from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.models import Membership


def memberships(request: HttpRequest) -> dict[str, object]:
    """The organizations the signed-in user belongs to, for the navigation.

    An error page for a request refused before the authentication middleware ran (a bad Host header: 400) has no
    `request.user`; it is then rendered as for a visitor. Read only when a template shows them: a page's part
    that htmx swaps in (the booking page's search results) has no navigation and costs no query for it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_memberships": []}
    return {
        "nav_memberships": SimpleLazyObject(
            lambda: list(
                Membership.objects.filter(user_id=user.pk, is_active=True)
                .select_related("organization")
                .order_by("organization__name")
            )
        )
    }
