"""The words of a template that a reader sees and no `{% translate %}` marks: what tests/test_translations.py fails on.

Text between tags and the attributes people read (aria-label, title, placeholder, alt, an optgroup's label) count;
code (<pre>, <code>, <script>, <style>), comments, variables and template tags do not, nor a few names that every
language writes the same way (`NAMES`). A quoted sentence inside a template tag (`default:"…"`, `yesno:"…"`, an
include's `with x="…"`) counts too, unless it is given as `_("…")`.
"""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
NAMES = {"Overlap", "Microsoft 365", "Teams", "Outlook", "UTC", "Azure AD", "Entra ID", "CSV", "OK"}

_DROPPED = [
    re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.S),
    re.compile(r"{#.*?#}", re.S),
    re.compile(r"{%\s*blocktranslate\b.*?{%\s*endblocktranslate\s*%}", re.S),
    re.compile(r"<(pre|code|script|style)\b.*?</\1>", re.S | re.I),
]
_READ_ATTRIBUTES = re.compile(r'\b(?:aria-label|title|placeholder|alt|label)="([^"]*)"')
_TAG = re.compile(r"<[^>]*>")
_TEMPLATE = re.compile(r"{%.*?%}|{{.*?}}", re.S)
# A sentence (it has a space) given as a filter's argument or an include's value; "required,optional" is a value.
_QUOTED_IN_TAG = re.compile(
    r'(?<!_\()(?:yesno|default|default_if_none):"([^"]*\s[^"]*)"|(?<!_\()\b\w+="([^"]*\s[^"]*)"'
)
_LETTER = re.compile(r"[^\W\d_]{2,}")


def unmarked(text: str) -> list[str]:
    """Each piece of visible text in a template's source that no translation tag marks."""
    for pattern in _DROPPED:
        text = pattern.sub(" ", text)
    found = [q for tag in _TEMPLATE.findall(text) if tag.startswith("{%") for q in _quoted(tag)]
    found += [q for tag in _TAG.findall(text) for q in _READ_ATTRIBUTES.findall(_without_template(tag)) if _words(q)]
    for piece in _TEMPLATE.split(_TAG.sub("\x00", text)):
        found += [part.strip() for part in piece.split("\x00") if _words(part)]
    return found


def _quoted(tag: str) -> list[str]:
    if re.match(r"{%\s*(translate|trans|url|load|extends|block|static)\b", tag):
        return []
    return [a or b for a, b in _QUOTED_IN_TAG.findall(tag) if not (a or b).endswith(".html") and _words(a or b)]


def _without_template(tag: str) -> str:
    return _TEMPLATE.sub("", tag)


def _words(text: str) -> bool:
    cleaned = " ".join(text.split()).strip(" ·\u2014\u2013:;,.()“”\"'!?…/|-")
    return bool(_LETTER.search(cleaned)) and cleaned not in NAMES


def every_template() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".html", ".txt"))
