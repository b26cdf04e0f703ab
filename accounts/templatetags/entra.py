"""`{% entra_governs %}`: the one sentence that tells a Microsoft person why a password or address page refuses."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext

from accounts.adapters import ENTRA_GOVERNS

register = template.Library()


@register.simple_tag
def entra_governs() -> str:
    return gettext(ENTRA_GOVERNS)
