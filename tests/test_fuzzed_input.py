"""Bad input, fuzzed (tests/fuzzing.py): every URL's parameters as owner, member and anonymous → no server error,
no change, and words saying what is wrong; and guards that keep the list of URLs, forms and parameters whole."""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from django import forms
from django.test import Client
from django.urls import resolve

from m365_emulator.testing import EmulatorProcess
from tests.emulator_fixture import point_settings_at
from tests.fuzzing import TARGETS, build_world, fuzz, mailboxes, url_of, url_patterns, url_routes

# A few tens of seconds on SQLite; `FUZZ_EXAMPLES=200` for a long run.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))


@pytest.fixture(scope="module")
def kept_mailboxes(m365_emulator: EmulatorProcess) -> Iterator[EmulatorProcess]:
    """One emulator for the module, reset once; every mailbox must hold the same events at the end."""
    m365_emulator.reset(fixture="demo", seed=1)
    before = mailboxes(m365_emulator)
    yield m365_emulator
    assert mailboxes(m365_emulator) == before, "bad input changed an event in the emulator's mailboxes"


@pytest.fixture
def fuzz_emulator(kept_mailboxes: EmulatorProcess, settings: Any) -> EmulatorProcess:
    return point_settings_at(kept_mailboxes, settings)


def test_every_url_is_fuzzed() -> None:
    assert set(url_routes()) == set(TARGETS)


class _Forms(HTMLParser):
    """Each <form>: its action and the names of its fields."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, set[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "form":
            self.found.append((named.get("action") or "", set()))
        elif tag in ("input", "select", "textarea", "button") and self.found and named.get("name"):
            self.found[-1][1].add(str(named["name"]))


@pytest.mark.django_db
def test_every_field_of_every_form_on_the_pages_is_fuzzed(fuzz_emulator: EmulatorProcess) -> None:
    world = build_world(fuzz_emulator, connected=True)
    owner = Client()
    owner.force_login(world.owner)
    seen: dict[str, set[str]] = {}
    for client in (owner, Client()):
        for name, target in TARGETS.items():
            page = url_of(name, world, {key: world.fill(p.good) for key, p in target.path.items()})
            good = {key: world.fill(p.good) for key, p in target.params.items() if p.good and target.method == "get"}
            response = client.get(page, good, follow=True)
            parser = _Forms()
            parser.feed(response.content.decode(errors="replace"))
            for action, fields in parser.found:
                form_url = urlsplit(action).path if action else response.wsgi_request.path
                seen.setdefault(resolve(form_url).url_name or "", set()).update(fields - {"csrfmiddlewaretoken"})
    missing = {name: fields - set(TARGETS[name].params) for name, fields in seen.items()}
    assert {name: fields for name, fields in missing.items() if fields} == {}
    assert {"booking_page", "booking_create", "invitations", "integration_tenant", "account_login"} <= set(seen)


def _form_classes() -> list[type[forms.BaseForm]]:
    import accounts.forms
    import booking.forms
    import booking.search.forms
    import integrations.settings_page.forms

    modules = (accounts.forms, booking.search.forms, booking.forms, integrations.settings_page.forms)
    return [
        cls
        for module in modules
        for cls in vars(module).values()
        if inspect.isclass(cls) and issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__
    ]


@pytest.mark.parametrize("form", _form_classes(), ids=lambda cls: cls.__name__)
def test_every_form_class_is_fuzzed_by_some_url(form: type[forms.BaseForm]) -> None:
    fields = set(form.base_fields)  # type: ignore[attr-defined]  # every Form class has them (its metaclass)
    assert any(fields <= set(target.params) for target in TARGETS.values()), f"no target sends all of {fields}"


_READ = re.compile(r"request\.(?:GET|POST)(?:\.get|\.getlist)?[\[(]\s*[\"'](\w+)[\"']")


def test_every_parameter_a_view_reads_is_fuzzed() -> None:
    """A view's `request.GET.get("x")` (or POST, or ["x"]) names a parameter its URL's entry must list."""
    by_module: dict[str, set[str]] = {}
    for name, (_, pattern) in url_patterns().items():
        view = inspect.unwrap(pattern.callback)
        by_module.setdefault(view.__module__, set()).update(TARGETS[name].params)
    unlisted = {}
    for module_name, listed in by_module.items():
        if not module_name.startswith(("accounts", "integrations", "booking", "config")):
            continue
        source = inspect.getsource(__import__(module_name, fromlist=["_"]))
        unlisted[module_name] = set(_READ.findall(source)) - listed
    assert {module: names for module, names in unlisted.items() if names} == {}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(TARGETS))
def test_bad_input_causes_no_server_error_and_changes_nothing(name: str, fuzz_emulator: EmulatorProcess) -> None:
    world = build_world(fuzz_emulator, connected=TARGETS[name].connected)
    tally = fuzz(name, world, fuzz_emulator, max_examples=EXAMPLES)
    assert tally.requests >= 3
    assert (tally.server_errors, tally.changes, tally.unexplained) == ([], [], [])
