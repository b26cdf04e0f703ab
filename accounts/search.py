"""Finding people by what one types, among 100,000 as among ten.

One or two letters find the people whose name starts with them (so many match that only the start means
something): an index on the upper-cased name answers in order and stops at the page's LIMIT. Longer words
find everyone whose name or address contains every word, case-insensitive: one expression is searched,
the name and the address joined by a space, so that on PostgreSQL one trigram index answers every word
together (accounts' migration 0005 builds both indexes on exactly the SQL Django emits here). A word holds
no space, so it never matches across the two. Those results are sorted on an expression no index provides,
so that the planner takes the trigram index instead of walking the whole directory in name order.
"""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, F, Func, QuerySet, Value
from django.db.models.expressions import OrderBy
from django.db.models.functions import Concat

from accounts.models import Membership

MOST_WORDS = 5
TRIGRAM = 3


class SearchText(Func):
    """The name and the address joined by a space: `(name || ' ' || email)`, as the trigram index has it."""

    template = "(%(expressions)s)"
    arg_joiner = " || ' ' || "
    output_field = CharField()


class NameKey(Func):
    """The upper-cased name, in byte order on PostgreSQL (so that one index serves LIKE 'AB%' and ORDER BY)."""

    template = "UPPER(%(expressions)s)"
    output_field = CharField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template='(UPPER((%(expressions)s)::text) COLLATE "C")', **extra)


def _short(words: list[str]) -> bool:
    return bool(words) and all(len(word) < TRIGRAM for word in words)


def memberships_matching(memberships: QuerySet[Membership], query: str) -> QuerySet[Membership]:
    """The memberships whose person matches `query` (at most five words; see the module's docstring)."""
    words = query.split()[:MOST_WORDS]
    found = memberships.filter(user__isnull=False)
    if _short(words):
        found = found.annotate(name_key=NameKey(F("user__name"))).filter(name_key__startswith=words[0].upper())
        words = words[1:]
    found = found.annotate(search_text=SearchText(F("user__name"), F("user__email")))
    for word in words:
        found = found.filter(search_text__icontains=word)
    return found


def by_name(query: str) -> list[OrderBy]:
    """The order results show in, by name then address, chosen so that PostgreSQL plans the search well."""
    if _short(query.split()[:MOST_WORDS]):
        return [NameKey(F("user__name")).asc(), F("user__email").asc()]
    unindexed = Concat(F("user__name"), Value(""), output_field=CharField())
    return [unindexed.asc(), F("user__email").asc()]


def first_matches(memberships: QuerySet[Membership], query: str, *, most: int) -> list[Membership]:
    """Up to `most` people matching `query`, by name: a LIMITed read, whatever the directory's size."""
    if not query.split():
        return []
    return list(memberships_matching(memberships, query).order_by(*by_name(query))[:most])
