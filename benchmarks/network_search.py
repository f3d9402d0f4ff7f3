"""`make bench` rows for the relationship map and global search (issue 21): the map's pages as a
commissioner, their first render (the graph and layout built, nothing cached) and later ones
(served from the cache), and global search's page over a fixed set of words as a staff member.

Targets: the portfolio map renders in ≤ 1 s at F=1 (first render included); search p50 ≤ 100 ms
at F=1. Query counts are the same at every F."""

from __future__ import annotations

import statistics
import time

MAP_TARGET_MS = 1000
SEARCH_TARGET_MS = 100
# Words of the scale seeder's vocabulary (collabhub/scale.py): place names, kinds of
# organisation, collaboration themes, people's names and titles, goal indicators; broad ones
# ("manager", "water") match thousands of rows at F=1, narrow ones a handful.
SEARCH_WORDS = [
    "brookvale",
    "housing",
    "water",
    "louis",
    "broadband",
    "pine",
    "response",
    "city of",
    "manager",
    "stone tran",
]
COLD_RENDERS = 3


def _timed(client, url: str, renders: int, *, before=None) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries = [], 0
    for _ in range(renders):
        if before is not None:
            before()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code}")
        queries = len(captured.captured_queries)
    return statistics.median(times) * 1000, queries


def bench_network_search(result, actors, renders: int) -> None:
    """Measure into `result.network_search` (a dict the table rows below read)."""
    from django.core.cache import cache
    from django.test import Client

    from commissioner.network import PORTFOLIO_CAP, NetworkFilter, portfolio_network

    commissioner, staff = Client(), Client()
    commissioner.force_login(actors.commissioner)
    staff.force_login(actors.staff)

    busiest = portfolio_network(network_filter=NetworkFilter()).nodes[0]

    def forget_maps():
        # Only the two maps' keys: the sessions and throttle counts stay.
        cache.delete_many(list(_map_keys(busiest.id)))

    pages = {
        "portfolio": "/commissioner/network/",
        "organisation": f"/commissioner/network/organisations/{busiest.slug}/",
    }
    measured = {"cap": PORTFOLIO_CAP}
    for name, url in pages.items():
        commissioner.get(url)  # warm the process (templates, imports)
        measured[f"{name}_cold"] = _timed(commissioner, url, COLD_RENDERS, before=forget_maps)
        commissioner.get(url)
        measured[f"{name}_warm"] = _timed(commissioner, url, renders)
    times, queries = [], set()
    for words in SEARCH_WORDS:
        staff.get("/search/", {"q": words})
        for _ in range(max(3, renders // 5)):
            p50, count = _timed(staff, f"/search/?q={words.replace(' ', '+')}", 1)
            times.append(p50)
            queries.add(count)
    measured["search_p50"] = statistics.median(times)
    measured["search_max"] = max(times)
    measured["search_queries"] = max(queries)
    result.network_search = measured


def _map_keys(organisation_id: int):
    """The cache keys of the two maps the benchmark renders (commissioner.network builds them
    from the filter and the data version)."""
    from commissioner.network import EGO_CAP, PORTFOLIO_CAP, NetworkFilter, data_version

    version = data_version()
    key = NetworkFilter().key
    yield f"network:portfolio:{PORTFOLIO_CAP}:{key}:{version}"
    yield f"network:ego:{organisation_id}:{EGO_CAP}:{key}:{version}"


def rows(results) -> list[tuple[str, list[str], str, str]]:
    """(label, a cell per factor, target, met) for run.py's table."""
    measured = [getattr(r, "network_search", None) for r in results]
    if not all(measured):
        return []
    large = next((m for r, m in zip(results, measured, strict=True) if r.factor >= 1), None)

    def met(ok: bool) -> str:
        return "yes" if ok else "**no**"

    out = []
    for name, label in (
        ("portfolio", "relationship map"),
        ("organisation", "an organisation's map"),
    ):
        cold = [m[f"{name}_cold"] for m in measured]
        warm = [m[f"{name}_warm"] for m in measured]
        counts = {q for _, q in warm}
        out.append(
            (
                f"**page** {label}: queries (first render / cached)",
                [f"{c[1]} / {w[1]}" for c, w in zip(cold, warm, strict=True)],
                "same at every F",
                met(len({c[1] for c in cold}) == 1 and len(counts) == 1),
            )
        )
        target, ok = "", ""
        if large is not None and name == "portfolio":
            target = f"≤ {MAP_TARGET_MS} ms at F=1"
            ok = met(large[f"{name}_cold"][0] <= MAP_TARGET_MS)
        out.append(
            (
                f"page {label}: p50 render ms, first / cached",
                [f"{c[0]:.0f} / {w[0]:.0f}" for c, w in zip(cold, warm, strict=True)],
                target,
                ok,
            )
        )
    out.append(
        (
            f"**search** page, {len(SEARCH_WORDS)} searches: queries",
            [str(m["search_queries"]) for m in measured],
            "same at every F",
            met(len({m["search_queries"] for m in measured}) == 1),
        )
    )
    out.append(
        (
            "search: p50 ms (slowest)",
            [f"{m['search_p50']:.1f} ({m['search_max']:.0f})" for m in measured],
            f"≤ {SEARCH_TARGET_MS} ms at F=1" if large else "",
            met(large["search_p50"] <= SEARCH_TARGET_MS) if large else "",
        )
    )
    return out
