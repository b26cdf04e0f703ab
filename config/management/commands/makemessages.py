"""Django's makemessages, without msgmerge's fuzzy guesses: a new string is left untranslated rather than given
the translation of a similar one, which a reader would see until someone noticed (tests/test_translations.py
fails on a fuzzy entry)."""

from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
