"""The house's import rules, read from the source (every import, also inside functions).

booking → integrations → integrations.microsoft; accounts imports no app; only integrations.microsoft imports
requests or msal; nothing in the product imports the emulator; neither the product nor the emulator has a cycle.
Inside booking: the engine is pure (no Django, no app but the model of local time), the search writes no booking (it
imports none of booking's writers), and views reach Microsoft only through the services. Inside integrations, the
packages by flow form no cycle either: `connection` is the floor every flow builds on, `settings_page` the top that
only the URLs import, and no view reaches the Graph client.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("config", "accounts", "localtime", "integrations", "booking")


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources(*packages: str) -> Iterator[tuple[str, ast.Module]]:
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield _module(path), ast.parse(path.read_text(), str(path))


def _imports(tree: ast.Module) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _offending(packages: tuple[str, ...], allowed: Callable[[str, str], bool], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{module} imports {name}"
        for module, tree in _sources(*packages)
        for name in _imports(tree)
        if any(_within(name, f) for f in forbidden) and not allowed(module, name)
    )


def _nothing_allowed(module: str, name: str) -> bool:
    return False


def test_booking_reaches_microsoft_only_through_the_calendars_facade() -> None:
    def allowed(module: str, name: str) -> bool:
        return _within(name, "integrations.calendars")

    assert _offending(("booking",), allowed, ("integrations",)) == []


def test_the_integration_never_imports_booking() -> None:
    assert _offending(("integrations",), _nothing_allowed, ("booking",)) == []


def test_the_microsoft_package_imports_nothing_from_overlaps_apps() -> None:
    def allowed(module: str, name: str) -> bool:
        return not _within(module, "integrations.microsoft") or _within(name, "integrations.microsoft")

    assert _offending(("integrations",), allowed, ("accounts", "integrations", "booking", "config")) == []


def test_the_model_of_local_time_imports_no_app() -> None:
    def allowed(module: str, name: str) -> bool:
        return _within(name, "localtime")

    forbidden = ("accounts", "integrations", "booking", "config")
    assert _offending(("localtime",), allowed, forbidden) == []


def test_the_engine_imports_nothing_of_django_or_the_apps_but_the_model_of_local_time() -> None:
    def allowed(module: str, name: str) -> bool:
        return _within(name, "booking.engine") or _within(name, "localtime")

    forbidden = ("django", "celery", "accounts", "integrations", "booking", "config")
    assert _offending(("booking/engine",), allowed, forbidden) == []


# Booking's writers: the search reads and ranks; booking, confirming and moving a meeting happen elsewhere.
BOOKING_WRITERS = (
    "booking.services",
    "booking.preferences",
    "booking.forms",
    "booking.tasks",
    "booking.sweep",
    "booking.readback",
    "booking.views",
    "booking.meeting_views",
)


def test_the_search_imports_none_of_bookings_writers() -> None:
    assert _offending(("booking/search",), _nothing_allowed, BOOKING_WRITERS) == []


def test_views_never_import_the_integration() -> None:
    def allowed(module: str, name: str) -> bool:
        return not module.endswith("views")

    assert _offending(("booking",), allowed, ("integrations",)) == []


def test_accounts_imports_no_app() -> None:
    assert _offending(("accounts",), _nothing_allowed, ("integrations", "booking", "config")) == []


def test_only_the_microsoft_package_imports_requests_or_msal() -> None:
    def allowed(module: str, name: str) -> bool:
        return _within(module, "integrations.microsoft")

    assert _offending(PRODUCT, allowed, ("requests", "msal")) == []


def test_nothing_in_the_product_imports_the_emulator() -> None:
    assert _offending(PRODUCT, _nothing_allowed, ("m365_emulator",)) == []


def _cycles(*packages: str) -> list[str]:
    modules = {module: tree for module, tree in _sources(*packages)}
    edges = {
        module: {name for name in _imports(tree) if name in modules and not _within(module, name)}
        for module, tree in modules.items()
    }
    # `from config import request_id` inside config names a sibling, not the package's __init__: not an edge.
    return sorted(f"{a} ⇄ {b}" for a in edges for b in edges[a] if _reaches(edges, b, a))


def test_the_products_modules_form_no_cycle() -> None:
    assert _cycles(*PRODUCT) == []


def test_the_emulators_modules_form_no_cycle() -> None:
    assert _cycles("m365_emulator") == []


def _reaches(edges: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        current = todo.pop()
        if current == goal:
            return True
        if current not in seen:
            seen.add(current)
            todo.extend(edges.get(current, ()))
    return False


def test_no_caller_reaches_into_the_graph_clients_transport() -> None:
    reaching = sorted(
        module
        for module, tree in _sources(*PRODUCT)
        if not _within(module, "integrations.microsoft")
        and any(isinstance(n, ast.Attribute) and n.attr == "transport" for n in ast.walk(tree))
    )
    assert reaching == []


def _calls_from_settings(tree: ast.Module) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "from_settings" for n in ast.walk(tree))


def _settings_readers() -> list[str]:
    return sorted(
        module
        for module, tree in _sources(*PRODUCT)
        if _calls_from_settings(tree) and module != "integrations.microsoft.config"
    )


def test_the_microsoft_configuration_is_read_from_the_settings_only_by_the_connection_module() -> None:
    assert [m for m in _settings_readers() if m != "integrations.signin.services"] == [
        "integrations.connection.clients"
    ]


def test_the_microsoft_configuration_is_read_from_the_settings_in_one_place() -> None:
    assert _settings_readers() == ["integrations.connection.clients"]


# -- the integration's packages by flow ------------------------------------------------------------------------


def _part(module: str) -> str:
    """The package (or top-level module) of the integration a module is in: integrations.directory.sync → directory."""
    return module.split(".")[1] if module.count(".") else ""


def _integration_edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for module, tree in _sources("integrations"):
        names = {_part(name) for name in _imports(tree) if _within(name, "integrations") and name != "integrations"}
        edges.setdefault(_part(module), set()).update(names - {_part(module), ""})
    return edges


def test_the_integrations_packages_form_no_cycle() -> None:
    edges = _integration_edges()
    assert sorted(f"{a} ⇄ {b}" for a in edges for b in edges[a] if _reaches(edges, b, a)) == []


def test_the_connection_package_builds_on_no_other_flow() -> None:
    assert _integration_edges()["connection"] <= {"models", "microsoft"}


def test_the_settings_page_is_imported_by_the_urls_only() -> None:
    importers = {part for part, names in _integration_edges().items() if "settings_page" in names}
    assert importers == {"urls"}


# What a view may name of the wire: the errors it words for people and the verified sign-in it hands on.
_VIEWS_MAY_NAME = {
    "integrations.microsoft",
    "integrations.microsoft.errors",
    "integrations.microsoft.oidc",
    "integrations.microsoft.oidc.VerifiedSignIn",
}


def test_no_view_reaches_the_graph_client_or_the_tokens() -> None:
    def allowed(module: str, name: str) -> bool:
        return not module.endswith("views") or name in _VIEWS_MAY_NAME

    assert _offending(PRODUCT, allowed, ("integrations.microsoft",)) == []


def test_graph_clients_are_built_by_the_connection_package_alone() -> None:
    builders = sorted(
        module
        for module, tree in _sources(*PRODUCT)
        if not _within(module, "integrations.microsoft")
        and any(isinstance(n, ast.Attribute) and n.attr in ("for_tenant", "for_member") for n in ast.walk(tree))
    )
    assert builders == ["integrations.connection.clients"]
