"""The routes the server serves, filled in by the handler modules: each has `register(router)` and adds its own.

The server (`server.py`) makes one `Router`, gives it to every handler module, and builds its URL maps from what
they added; a handler module imports neither the server nor another module's routes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from werkzeug.wrappers import Response

Handler = Callable[..., Response]


@dataclass(frozen=True)
class Route:
    methods: tuple[str, ...]
    path: str
    handler: Handler


@dataclass
class Router:
    """Identity pages (`handler(host, request, **values)`), control endpoints under /_emulator (on the host, or
    on its state only), and Graph endpoints under the version root (`handler(call, **values)`)."""

    pages: list[Route] = field(default_factory=list)
    control: list[Route] = field(default_factory=list)
    control_on_state: list[Route] = field(default_factory=list)
    graph: list[Route] = field(default_factory=list)

    def add_page(self, path: str, methods: list[str], handler: Handler) -> None:
        self.pages.append(Route(tuple(methods), path, handler))

    def add_control(self, method: str, path: str, handler: Handler, *, on_state: bool = False) -> None:
        (self.control_on_state if on_state else self.control).append(Route((method,), path, handler))

    def add_graph(self, method: str, path: str, handler: Handler) -> None:
        self.graph.append(Route((method,), path, handler))

    def add_controls(self, routes: list[tuple[str, str, Handler]], *, on_state: bool = False) -> None:
        for method, path, handler in routes:
            self.add_control(method, path, handler, on_state=on_state)

    def add_graphs(self, routes: list[tuple[str, str, Handler]]) -> None:
        for method, path, handler in routes:
            self.add_graph(method, path, handler)
