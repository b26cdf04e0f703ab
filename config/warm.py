"""What a web worker would otherwise build on its first requests, built once in gunicorn's master before it forks
the workers (`preload_app`, config/gunicorn.py's `when_ready`): every page's template compiled, the URL resolver
filled in each language, each language's catalogue read. A worker renewed after GUNICORN_MAX_REQUESTS then serves
at once, instead of spending about a quarter of a second of CPU on it (bench/SEARCH_PROFILE.md) while the other
workers carry its share; under load three renewals in a few seconds made the slowest searches of a run.
Nothing here opens a connection or starts a thread."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.template import engines
from django.urls import get_resolver
from django.utils import translation


def warm() -> int:
    """Compile the project's templates, fill the URL resolver and read the catalogues; the templates compiled."""
    for code, _ in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Overlap")
            get_resolver().reverse_dict  # noqa: B018  (reading it fills the resolver for this language)
    compiled = 0
    directories: list[str] = [d for template in settings.TEMPLATES for d in template.get("DIRS", ())]  # type: ignore[attr-defined]
    for directory in map(Path, directories):
        for path in sorted(directory.rglob("*.html")):
            for engine in engines.all():
                engine.get_template(path.relative_to(directory).as_posix())
                compiled += 1
    return compiled
