"""The flag inbox's pages: keyset pagination on its order (newest raised first, then by id, the
order of the flags' indexes and of the API) and a count that stops at COUNT_LIMIT, so a page
costs the same on the first page and the thousandth, and never counts the whole table
(docs/performance.md, "The flag inbox").

A page is named by a cursor, the (raised_on, id) of the row it continues from: `after=` for the
older flags that follow a row, `before=` for the newer ones that precede it. A cursor that does
not parse is the first page, never an error."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from core.bounds import MAX_ID

PAGE_SIZE = 25
# Up to this many matching flags the page says how many; past it, "more than".
COUNT_LIMIT = 1000
# Newest raised first, then by id: the order of the flag_raised_order index (every flag) and of
# the flag_open_inbox_order partial index (open and acknowledged flags).
ORDER = ("-raised_on", "pk")


def cursor_of(flag) -> str:
    return f"{flag.raised_on.isoformat()}.{flag.pk}"


def parse_cursor(value: str | None) -> tuple[dt.date, int] | None:
    day, _, pk = (value or "").partition(".")
    try:
        raised_on, number = dt.date.fromisoformat(day), int(pk)
    except ValueError:
        return None
    if not 1 <= number <= MAX_ID:
        return None
    return raised_on, number


@dataclass
class InboxPage:
    flags: list
    count: int | None  # the matching flags, counted up to COUNT_LIMIT + 1; None: not counted
    next_cursor: str | None  # older flags follow
    previous_cursor: str | None  # newer flags precede
    is_first: bool

    def __post_init__(self):
        if self.count is None and self.is_first and self.next_cursor is None:
            self.count = len(self.flags)  # the whole of it is on this page

    @property
    def count_is_exact(self) -> bool:
        return self.count is not None and self.count <= COUNT_LIMIT

    @property
    def counted(self) -> bool:
        return self.count is not None

    @property
    def count_limit(self) -> int:
        return COUNT_LIMIT


def _older_than(raised_on: dt.date, pk: int) -> Q:
    """After (raised_on, pk) in the inbox's order: raised earlier, or the same day, higher id.
    `raised_on <= day` bounds the index scan; the OR only sorts out the rows of that day."""
    return Q(raised_on__lte=raised_on) & (Q(raised_on__lt=raised_on) | Q(pk__gt=pk))


def _newer_than(raised_on: dt.date, pk: int) -> Q:
    return Q(raised_on__gte=raised_on) & (Q(raised_on__gt=raised_on) | Q(pk__lt=pk))


def inbox_page(
    queryset: QuerySet, *, after: str | None = None, before: str | None = None, count=True
):
    """One page of `queryset` (filtered, not yet ordered) newest first: the page's rows (one
    more than a page, to know whether another follows) and, with `count`, a bounded count. A
    text search is not counted: its count would join every flag to its partner and
    collaboration (0.5 s at national scale) to find the few that match."""
    count = queryset.order_by()[: COUNT_LIMIT + 1].count() if count else None
    newest_first = queryset.order_by(*ORDER)
    after_key, before_key = parse_cursor(after), parse_cursor(before)
    if before_key is not None and after_key is None:
        rows = list(
            queryset.filter(_newer_than(*before_key)).order_by("raised_on", "-pk")[: PAGE_SIZE + 1]
        )
        newer_exist = len(rows) > PAGE_SIZE
        flags = list(reversed(rows[:PAGE_SIZE]))
        return InboxPage(
            flags=flags,
            count=count,
            next_cursor=cursor_of(flags[-1]) if flags else None,
            previous_cursor=cursor_of(flags[0]) if flags and newer_exist else None,
            is_first=not newer_exist,
        )
    if after_key is not None:
        newest_first = newest_first.filter(_older_than(*after_key))
    rows = list(newest_first[: PAGE_SIZE + 1])
    flags = rows[:PAGE_SIZE]
    return InboxPage(
        flags=flags,
        count=count,
        next_cursor=cursor_of(flags[-1]) if len(rows) > PAGE_SIZE else None,
        previous_cursor=cursor_of(flags[0]) if after_key is not None and flags else None,
        is_first=after_key is None,
    )
