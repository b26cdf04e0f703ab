"""What a web worker would otherwise build on its first requests, built once in gunicorn's master before it forks
the workers (`preload_app`, config/gunicorn.py's `when_ready`): every page's template compiled, the URL resolver
filled in each language, each language's catalogue read and its clock's minutes written (`localtime.reading.clocks`).
A worker renewed after GUNICORN_MAX_REQUESTS then serves at once, instead of spending about a quarter of a second of
CPU on it (bench/SEARCH_PROFILE.md) while the other workers carry its share; under load three renewals in a few
seconds made the slowest searches of a run. Nothing here opens a connection or starts a thread.

Then `freeze` moves everything the master holds out of the garbage collector's sight. A worker's full collection
otherwise walks every object it inherited (Django, the templates, the catalogues: some 180,000) while each of its
threads waits: 100 to 130 ms a time, the slowest searches of a run (bench/SEARCH_PROFILE.md, seventh pass); and
walking them writes to the pages the workers share with the master, which the kernel then copies into each."""

from __future__ import annotations

import gc
from pathlib import Path

from django.conf import settings
from django.template import engines
from django.urls import get_resolver
from django.utils import translation

from localtime import reading


def warm() -> int:
    """Compile the project's templates, fill the URL resolver and read the catalogues; the templates compiled."""
    for code, _ in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Overlap")
            get_resolver().reverse_dict  # noqa: B018  (reading it fills the resolver for this language)
            reading.clocks(code)  # every minute of the day on this language's clock
    compiled = 0
    directories: list[str] = [d for template in settings.TEMPLATES for d in template.get("DIRS", ())]  # type: ignore[attr-defined]
    for directory in map(Path, directories):
        for path in sorted(directory.rglob("*.html")):
            for engine in engines.all():
                engine.get_template(path.relative_to(directory).as_posix())
                compiled += 1
    return compiled


def freeze() -> int:
    """Collect what the master no longer holds, then keep the rest out of every later collection (of the master and
    of each worker forked from it: Python's advice for a process that forks without exec); how many were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
