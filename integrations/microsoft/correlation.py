"""The id that Graph calls carry as `client-request-id`: whatever the caller bound for the work at hand.

The web app binds each request's id (and a worker each task's) here, in a context variable, so that a call
made deep inside a service needs no id passed down to it. Outside any bound id, each call gets a fresh one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

_current: ContextVar[str | None] = ContextVar("overlap_request_id", default=None)


def current() -> str | None:
    return _current.get()


def new() -> str:
    return str(uuid.uuid4())


def bind(value: str | None) -> Token[str | None]:
    return _current.set(value)


def unbind(token: Token[str | None]) -> None:
    _current.reset(token)


@contextmanager
def bound(value: str) -> Iterator[str]:
    """`value` is the current id inside the block, and only there."""
    token = bind(value)
    try:
        yield value
    finally:
        unbind(token)
