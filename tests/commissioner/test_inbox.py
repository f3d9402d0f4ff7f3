"""The flag inbox's pages (commissioner/inbox.py): keyset pages newest first that never skip or
repeat a flag, a count that stops at its limit, filters carried from page to page, a bad cursor
read as the first page, the same number of queries on every page, and open flags read through
their own partial index."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from commissioner import inbox
from commissioner.models import Flag
from commissioner.selectors import flag_list_for
from tests import factories
from tests.querycount import query_budget

pytestmark = pytest.mark.django_db

URL = "/commissioner/flags/"


def flag_ids(response) -> list[int]:
    """The flags of a page in order (each row links to its flag twice)."""
    found = re.findall(r'href="/commissioner/flags/(\d+)/"', response.content.decode())
    return [int(pk) for pk in dict.fromkeys(found)]


def link(response, rel: str) -> str | None:
    found = re.search(rf'href="([^"]+)" rel="{rel}"', response.content.decode())
    return URL + unescape(found[1]) if found else None


def words(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def sixty(collaboration):
    """60 open flags over 20 days, three a day (ties in id order), half disengaged."""
    today = timezone.localdate()
    flags = []
    for n in range(60):
        participation = factories.ParticipationFactory(collaboration=collaboration)
        flags.append(
            factories.FlagFactory(
                participation=participation,
                raised_on=today - dt.timedelta(days=n // 3),
                band="disengaged" if n % 2 else "at_risk",
            )
        )
    return flags


def newest_first(flags) -> list[int]:
    return [f.pk for f in sorted(flags, key=lambda f: (-f.raised_on.toordinal(), f.pk))]


def test_pages_follow_each_other_newest_first_without_gaps_or_repeats(commissioner_client, sixty):
    first = commissioner_client.get(URL)
    assert "60 flags" in words(first)
    assert link(first, "prev") is None
    seen, page, pages = [], first, []
    while True:
        pages.append(page)
        seen += flag_ids(page)
        following = link(page, "next")
        if following is None:
            break
        page = commissioner_client.get(following)
    assert [len(flag_ids(p)) for p in pages] == [25, 25, 10]
    assert seen == newest_first(sixty)
    # Back from the last page: the same second page.
    back = commissioner_client.get(link(pages[2], "prev"))
    assert flag_ids(back) == flag_ids(pages[1])
    assert flag_ids(commissioner_client.get(link(back, "prev"))) == flag_ids(first)
    assert "Newest" in words(pages[2])


def test_filters_stay_on_every_page(commissioner_client, sixty):
    first = commissioner_client.get(URL, {"band": "disengaged"})
    assert "30 flags" in words(first)
    second = commissioner_client.get(link(first, "next"))
    assert "band=disengaged" in link(first, "next")
    disengaged = [f for f in sixty if f.band == "disengaged"]
    assert flag_ids(first) + flag_ids(second) == newest_first(disengaged)


def test_closed_flags_stay_out_unless_asked_for(commissioner_client, sixty):
    closed = sixty[0]
    Flag.objects.filter(pk=closed.pk).update(status=Flag.Status.RESOLVED)
    assert "59 flags" in words(commissioner_client.get(URL))
    everything = commissioner_client.get(URL, {"status": "all"})
    assert "60 flags" in words(everything) and closed.pk in flag_ids(everything)


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "2026-13-01.5", "2026-01-01.", "2026-01-01.-4", "2026-01-01.99999999999999999999"],
)
def test_a_cursor_that_does_not_parse_is_the_first_page(commissioner_client, sixty, cursor):
    for name in ("after", "before"):
        response = commissioner_client.get(URL, {name: cursor})
        assert response.status_code == 200
        assert flag_ids(response) == newest_first(sixty)[:25]


def test_a_text_search_is_not_counted_past_its_page(commissioner_client, sixty, collaboration):
    first = commissioner_client.get(URL, {"q": collaboration.title[:6]})
    assert "25 flags on this page (more follow)" in words(first)
    last = commissioner_client.get(link(commissioner_client.get(link(first, "next")), "next"))
    assert "10 flags on this page" in words(last) and "more follow" not in words(last)
    # A search whose matches fit on one page says how many.
    one = commissioner_client.get(URL, {"q": sixty[0].participation.organisation.name})
    assert re.search(r"(^| )1 flag ", words(one)), words(one)[:300]


def test_the_count_stops_at_its_limit(commissioner_client, sixty, monkeypatch):
    monkeypatch.setattr(inbox, "COUNT_LIMIT", 40)
    assert "More than 40 flags" in words(commissioner_client.get(URL))
    assert "30 flags" in words(commissioner_client.get(URL, {"band": "disengaged"}))


def test_a_later_page_costs_the_same_queries(commissioner_client, collaboration):
    for copies in (30, 30):
        for _ in range(copies):
            factories.InterventionFactory(
                flag=factories.FlagFactory(
                    participation=factories.ParticipationFactory(collaboration=collaboration)
                )
            )
        first = commissioner_client.get(URL)
        with query_budget("commissioner.flag_list_older_page"):
            assert commissioner_client.get(link(first, "next")).status_code == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL partial index")
def test_the_inbox_reads_open_flags_through_their_partial_index(commissioner, sixty):
    queryset = flag_list_for(actor=commissioner).filter(status__in=Flag.OPEN_STATUSES)
    sql, params = queryset.order_by(*inbox.ORDER)[:26].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "flag_open_inbox_order" in plan, plan


def test_the_inbox_link_of_the_dashboard_still_works(commissioner_client, sixty):
    response = commissioner_client.get(reverse("commissioner:flag_list") + "?mine=on&page=3")
    assert response.status_code == 200
