"""Every word a reader sees is marked for translation, and every shipped language has all of them, none stale."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.catalogues import COMPLETE, PARTIAL, catalogue, compiled, extracted, keys, translations
from tests.template_text import TEMPLATES, every_template, unmarked


def test_every_template_string_is_marked_for_translation() -> None:
    found = {str(p.relative_to(TEMPLATES)): unmarked(p.read_text()) for p in every_template()}
    assert {name: words for name, words in found.items() if words} == {}


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("<p>Book a meeting</p>", ["Book a meeting"]),
        ('<button aria-label="Remove Ann">x</button>', ["Remove Ann"]),
        ('{% include "x.html" with empty="No meetings yet." %}', ["No meetings yet."]),
        ('{{ value|default:"not known yet" }}<p>{% if a %}Yes, it works{% endif %}</p>', ["Yes, it works"]),
        ('{% load i18n %}<p>{% translate "Book a meeting" %}</p>', []),
        ("<p>{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}</p><p>Overlap</p>", []),
        ('<pre><code>Connect-ExchangeOnline</code></pre>{# a note #}<p aria-label="{{ x }}">{{ y }}</p>', []),
        ('{% include "x.html" with empty=_("No meetings yet.") role="required,optional" %}', []),
    ],
)
def test_the_check_finds_words_no_translation_tag_marks(source: str, words: list[str]) -> None:
    assert unmarked(source) == words


@pytest.mark.skipif(not shutil.which("xgettext"), reason="makemessages needs GNU gettext's xgettext")
def test_each_shipped_catalogue_has_every_marked_string_and_no_stale_or_fuzzy_one(tmp_path: Path) -> None:
    wanted = keys(extracted(tmp_path))
    assert len(wanted) > 300  # the extraction itself worked
    for language in COMPLETE + PARTIAL:
        shipped = catalogue(language)
        assert sorted(wanted - keys(shipped), key=str) == [], f"{language} lacks these (run `make messages`)"
        assert sorted(keys(shipped) - wanted, key=str) == [], f"{language} has stale strings (run `make messages`)"
        assert [m.id for m in shipped if m.id and m.fuzzy] == [], f"{language} has fuzzy translations"
    for language in COMPLETE:
        missing = wanted - set(translations(catalogue(language), english_is_missing=False))
        assert sorted(missing, key=str) == [], f"{language} has no translation for these"


@pytest.mark.parametrize("language", COMPLETE + PARTIAL)
def test_the_compiled_catalogue_is_its_source_compiled(language: str) -> None:
    assert translations(compiled(language)) == translations(catalogue(language)), "run `make messages`"


@pytest.mark.parametrize("language", COMPLETE + PARTIAL)
def test_every_translation_keeps_the_placeholders_of_its_english(language: str) -> None:
    import re

    placeholder = re.compile(r"%\([a-z_0-9]+\)[sd]|%[sd]")
    for message in catalogue(language):
        if not message.id or not message.string:
            continue
        english = message.id if isinstance(message.id, str) else message.id[-1]
        forms = (message.string,) if isinstance(message.string, str) else message.string
        for form in forms:
            if form:
                assert set(placeholder.findall(form)) <= set(placeholder.findall(english)) | {"%(number)s"}, (
                    language,
                    english,
                    form,
                )
