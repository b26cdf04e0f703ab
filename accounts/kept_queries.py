"""Queries whose SQL is made once per process, and run again with each request's values.

Django's ORM makes a queryset's SQL afresh every time it runs. For the queries every signed-in page runs (the
session, the user, the membership with its organization, rules and connection joined; the colleagues of a search
with their reach) that is most of the request's CPU: about 1.2 ms to make the membership's SQL, four times what
the database takes to answer it (`bench/SEARCH_PROFILE.md`, sixth pass).

A `KeptQuery` still builds its queryset every time, so each value goes through its field as the ORM would put it
(a UUID as the database stores it, a datetime in UTC). It then makes only the WHERE clause, the part that holds
the values. The rest of the statement and what turns rows into objects (the columns of each `select_related`
model, the annotations) are made once, on first use, and kept under that WHERE clause's text: a query whose
filters read differently (a list of three people where there were two) is made and kept anew, so a kept
statement is always the one the ORM would have made. A statement whose values are not all in its WHERE clause is
never kept: it runs through the ORM as usual.

The contract: `build` takes the values and uses them in filters only (not in `select_related`, annotations or
ordering). The two libraries that did this (django-prepared-queries, django-prepared-query) stopped at Django 2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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

    def get_compiler(self, using: Any = None, connection: Any = None, elide_empty: bool = True) -> Any:
        compiler = super().get_compiler(using, connection, elide_empty)
        return self.statement.ready(compiler, self.params)


class KeptQuery(Generic[M]):
    """`build(*values)`'s rows, its SQL made once for each shape of its WHERE clause."""

    def __init__(self, build: Callable[..., QuerySet[M]]) -> None:
        self._build = build
        self._kept: dict[tuple[str, str], _Statement | None] = {}

    def all(self, *values: Any) -> list[M]:
        queryset = self._build(*values)
        query = queryset.query
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
        kept = query.chain(_KeptQuery)
        assert isinstance(kept, _KeptQuery)
        kept.statement, kept.params = statement, list(params)
        queryset.query = kept
        return list(queryset)

    def get(self, *values: Any) -> M:
        """The one row, or the model's DoesNotExist (MultipleObjectsReturned when there are more), as `.get()`."""
        rows = self.all(*values)
        if len(rows) == 1:
            return rows[0]
        model: Any = self._build(*values).model
        if not rows:
            raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
        raise model.MultipleObjectsReturned(f"get() returned more than one {model._meta.object_name}.")


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
