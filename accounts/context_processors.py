from __future__ import annotations

from django.http import HttpRequest

from accounts.models import Membership


def memberships(request: HttpRequest) -> dict[str, object]:
    """The organizations the signed-in user belongs to, for the navigation."""
    if not request.user.is_authenticated:
        return {"nav_memberships": []}
    return {
        "nav_memberships": list(
            Membership.objects.filter(user_id=request.user.pk, is_active=True)
            .select_related("organization")
            .order_by("organization__name")
        )
    }
