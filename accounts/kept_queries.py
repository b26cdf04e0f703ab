"""Queries whose SQL is made once per process, and run again with each request's values.

Django's ORM makes a queryset's SQL afresh every time it runs. For the queries every signed-in page runs (the
session, the user, the membership with its organization, rules and connection joined; the colleagues of a search
with their reach) that is most of the request's CPU: about 1.2 ms to make the membership's SQL, four times what
the database takes to answer it (`bench/SEARCH_PROFILE.md`, sixth pass).

The first time, a `KeptQuery` builds its queryset, so each value goes through its field as the ORM would put it,
and makes only the WHERE clause, the part that holds the values. The rest of the statement and what turns rows
into objects (the columns of each `select_related` model, the annotations) are made once and kept under that
WHERE clause's text: a query whose filters read differently (a list of three people where there were two) is made
and kept anew, so a kept statement is always the one the ORM would have made. A statement whose values are not all
in its WHERE clause is never kept: it runs through the ORM as usual.

Then each value's place among the statement's parameters is found, by building the query once more with a
stand-in for each value (`_Placed`): from then on, values of the same types and list lengths go straight into
their places, and the query is not even built (building the colleagues' query was half its CPU). A value the
database backend changes on its way (a UUID or a datetime on SQLite, a pattern for `startswith`, a string for a
UUID column) is not found as itself: such a query is built every time, as above. Placing is checked before it is
kept: the real values, placed, must give exactly the parameters the ORM gave.

The contract: `build` takes the values and uses them in filters only (not in `select_related`, annotations or
ordering). The two libraries that did this (django-prepared-queries, django-prepared-query) stopped at Django 2.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db.models import Model, QuerySet
from django.db.models.sql import Query

M = TypeVar("M", bound=Model)

# Kept statements per query, at most: a list filter makes one per length of the list.
MOST_KEPT = 64


@dataclass(frozen=True)
class _Statement:
    sql: str
    select: Any  # the compiler's columns, model map and annotations, as `ModelIterable` reads them
    klass_info: Any
    annotation_col_map: Any
    col_count: int
    has_extra_select: bool

    def ready(self, compiler: Any, params: list[Any]) -> Any:
        """The compiler, made to run this statement with these values instead of making its SQL again."""
        compiler.select, compiler.klass_info = self.select, self.klass_info
        compiler.annotation_col_map, compiler.col_count = self.annotation_col_map, self.col_count
        compiler.has_extra_select = self.has_extra_select
        compiler.as_sql = lambda *args, **kwargs: (self.sql, params)
        return compiler


class _KeptQuery(Query):
    """A query that runs a kept statement (`QuerySet` and its iterables ask the query for its compiler)."""

    statement: _Statement
    params: list[Any]

    @classmethod
    def over(cls, queryset: QuerySet[Any], statement: _Statement, params: list[Any]) -> QuerySet[Any]:
        """The queryset, made to run this statement with these parameters."""
        kept = queryset.query.chain(cls)
        assert isinstance(kept, cls)
        kept.statement, kept.params = statement, params
        queryset.query = kept
        return queryset

    def get_compiler(self, using: Any = None, connection: Any = None, elide_empty: bool = True) -> Any:
        compiler = super().get_compiler(using, connection, elide_empty)
        return self.statement.ready(compiler, self.params)


class KeptQuery(Generic[M]):
    """`build(*values)`'s rows, its SQL made once for each shape of its WHERE clause."""

    def __init__(self, build: Callable[..., QuerySet[M]]) -> None:
        self._build = build
        self._kept: dict[tuple[str, str], _Statement | None] = {}
        self._placed: dict[tuple[Any, ...], _Placed | None] = {}
        self._model: type[Model] | None = None

    def all(self, *values: Any) -> list[M]:
        shape = _shape(values)
        placed = self._placed.get(shape) if shape is not None else None
        if placed is not None:
            return list(placed.queryset(values))
        queryset = self._build(*values)
        query, self._model = queryset.query, queryset.model
        try:
            where, params = query.get_compiler(using=queryset.db).compile(query.where)
        except EmptyResultSet:
            return []
        except FullResultSet:
            where, params = "", ()
        key = (queryset.db, where)
        if key not in self._kept:
            if len(self._kept) >= MOST_KEPT:
                self._kept.clear()
            self._kept[key] = _made(queryset, where, list(params))
        statement = self._kept[key]
        if statement is None:
            return list(queryset)
        if shape is not None and shape not in self._placed:
            if len(self._placed) >= MOST_KEPT:
                self._placed.clear()
            self._placed[shape] = _Placed.found(self._build, values, statement, where, list(params))
        return list(_KeptQuery.over(queryset, statement, list(params)))

    def get(self, *values: Any) -> M:
        """The one row, or the model's DoesNotExist (MultipleObjectsReturned when there are more), as `.get()`."""
        rows = self.all(*values)
        if len(rows) == 1:
            return rows[0]
        model: Any = self._model
        if not rows:
            raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
        raise model.MultipleObjectsReturned(f"get() returned more than one {model._meta.object_name}.")


# The values whose place in a statement's parameters can be found, and a stand-in of each type that no real
# value takes (compiled, never run). A value the database backend changes on its way (a UUID or a datetime on
# SQLite, a string for a UUID column) is not found as itself, and its query is built every time instead.
_STAND_INS: dict[type, Callable[[Any, int], Any]] = {
    int: lambda value, n: 2**31 - 1 - n,  # within a 32-bit column's range: Django refuses values past it
    str: lambda value, n: f"kept-query-stand-in-{n}",
    uuid.UUID: lambda value, n: uuid.UUID(int=2**127 + n),
    datetime: lambda value, n: datetime(1001 + n, 1, 1, tzinfo=value.tzinfo),
}


def _shape(values: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The types and list lengths of these values (None when one cannot be placed): one `_Placed` per shape."""
    shape: list[Any] = []
    for value in values:
        if isinstance(value, list | tuple):
            if any(type(v) not in _STAND_INS for v in value):
                return None
            shape.append(tuple(type(v) for v in value))
        elif type(value) in _STAND_INS:
            shape.append(type(value))
        else:
            return None
    return tuple(shape)


@dataclass(frozen=True)
class _Placed:
    """A kept statement, and where each value goes in its parameters: a query that need not be built again."""

    template: QuerySet[Any]  # built once, never run: each run is a copy of it with the kept statement
    statement: _Statement
    # Each parameter: (the value's position, its item in a list or None, None), or (None, None, a constant).
    places: tuple[tuple[int | None, int | None, Any], ...]

    def queryset(self, values: tuple[Any, ...]) -> QuerySet[Any]:
        return _KeptQuery.over(self.template.all(), self.statement, self.params(values))

    def params(self, values: tuple[Any, ...]) -> list[Any]:
        return [
            constant if at is None else values[at] if item is None else values[at][item]
            for at, item, constant in self.places
        ]

    @classmethod
    def found(
        cls,
        build: Callable[..., QuerySet[Any]],
        values: tuple[Any, ...],
        statement: _Statement,
        where: str,
        params: list[Any],
    ) -> _Placed | None:
        """Build the query again with stand-ins: each parameter that is a stand-in itself is that value's place;
        every other one must be a constant (the same as with the real values). None when a value cannot be placed
        (its query is then built every time)."""
        stand_ins: list[Any] = []
        places: dict[tuple[type, Any], tuple[int, int | None]] = {}
        try:
            for at, value in enumerate(values):
                listed = isinstance(value, list | tuple)
                made = [_STAND_INS[type(v)](v, len(places) + i) for i, v in enumerate(value if listed else [value])]
                places.update(((type(m), m), (at, i if listed else None)) for i, m in enumerate(made))
                stand_ins.append(type(value)(made) if listed else made[0])
            queryset = build(*stand_ins)
            theirs_where, theirs = queryset.query.get_compiler(using=queryset.db).compile(queryset.query.where)
        except Exception:  # a stand-in the query refuses: it is built every time, as before
            return None
        if theirs_where != where or len(theirs) != len(params):
            return None
        found: list[tuple[int | None, int | None, Any]] = []
        for their, our in zip(theirs, params, strict=True):
            place = places.get((type(their), their))
            if place is None and (type(their) is not type(our) or their != our):
                return None  # a value changed on its way to the database, or a constant that is not one
            found.append((*place, None) if place is not None else (None, None, our))
        if {(at, item) for at, item, _ in found if at is not None} != set(places.values()):
            return None  # a value with no place of its own (used twice, or changed on its way)
        placed = cls(build(*values), statement, tuple(found))
        return placed if placed.params(values) == params else None


def _made(queryset: QuerySet[Any], where: str, params: list[Any]) -> _Statement | None:
    """The whole statement, when its only values are the WHERE clause's (None: run it through the ORM)."""
    compiler = queryset.query.chain().get_compiler(using=queryset.db)
    sql, all_params = compiler.as_sql()
    if list(all_params) != params or (where and where not in sql):
        return None
    return _Statement(
        sql,
        compiler.select,
        compiler.klass_info,
        compiler.annotation_col_map,
        compiler.col_count,
        compiler.has_extra_select,
    )
