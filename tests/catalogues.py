"""The shipped catalogues (locale/<lang>/LC_MESSAGES/django.po and .mo) against the strings the code marks."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
# Complete: a missing, empty or fuzzy translation fails. The others must hold every marked string, none stale or
# fuzzy, but may leave some untranslated (they read in English there): Arabic is partial, for the right-to-left
# layout.
COMPLETE = ("ja", "de", "fr", "es", "pt_BR")
PARTIAL = ("ar",)
# What makemessages reads: the product, not the emulator, the tests or the benchmarks.
SOURCES = ("accounts", "booking", "config", "integrations", "localtime", "templates", "manage.py")

Key = tuple[str, str | None]  # (msgid, msgctxt)


def catalogue(language: str) -> Catalog:
    with (LOCALE / language / "LC_MESSAGES" / "django.po").open("rb") as po:
        return read_po(po, locale=language)


def compiled(language: str) -> Catalog:
    with (LOCALE / language / "LC_MESSAGES" / "django.mo").open("rb") as mo:
        return read_mo(mo)


def keys(found: Catalog) -> set[Key]:
    return {(_id(m.id), m.context) for m in found if m.id}


def translations(found: Catalog, *, english_is_missing: bool = True) -> dict[Key, object]:
    """Each translated, not fuzzy, message's translation (a tuple for plural forms). A compiled catalogue holds an
    untranslated plural message with its English forms: that counts as no translation, unless the source says
    those forms are the translation (`english_is_missing=False`: French "minute" and "minutes" are French too)."""
    return {
        (_id(m.id), m.context): _forms(m.string)
        for m in found
        if m.id and _complete(m.string) and not m.fuzzy and not (english_is_missing and _english(m.string, m.id))
    }


def _english(string: str | tuple[str, ...] | list[str] | None, msgid: str | tuple[str, ...] | list[str]) -> bool:
    """Whether a plural message's forms are only its English ones (how a compiled catalogue keeps it untranslated)."""
    return isinstance(string, tuple | list) and not isinstance(msgid, str) and set(string) <= set(msgid)


def _forms(value: str | tuple[str, ...] | list[str] | None) -> str | tuple[str, ...]:
    return value if isinstance(value, str) else tuple(value or ())


def _complete(string: str | tuple[str, ...] | list[str] | None) -> bool:
    return bool(string) if isinstance(string, str) or string is None else all(string)


def extracted(workdir: Path) -> Catalog:
    """Every string the product marks today, as makemessages finds it in a copy of the sources."""
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, workdir / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, workdir / name)
    (workdir / "locale").mkdir()
    command = [sys.executable, "manage.py", "makemessages", "-l", "xx", "--no-wrap", "--no-location"]
    subprocess.run(command, cwd=workdir, check=True, capture_output=True)
    # makemessages leaves the plural rule for a translator to write; Babel needs one to read the file.
    text = (workdir / "locale" / "xx" / "LC_MESSAGES" / "django.po").read_bytes()
    return read_po(io.BytesIO(text.replace(b"nplurals=INTEGER; plural=EXPRESSION;", b"nplurals=2; plural=(n != 1);")))


def _id(value: str | tuple[str, ...] | list[str]) -> str:
    return value if isinstance(value, str) else value[0]
