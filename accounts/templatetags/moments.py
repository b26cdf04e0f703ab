"""`{{ value|moment:"j M Y, H:i e" }}`: when something happened (a sync, a consent, an audit entry), as a <time>.

Marked so that a reader's tools can tell a moment from a meeting's time, and the README's pictures can blank it
(a picture taken again must not change because the clock did).
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]

register = template.Library()


@register.filter
def moment(value: datetime | None, pattern: str = "j M Y, H:i e") -> SafeString | str:
    if not isinstance(value, datetime):
        return ""
    local = template_localtime(value)
    return format_html('<time class="moment" datetime="{}">{}</time>', local.isoformat(), date_format(local, pattern))
