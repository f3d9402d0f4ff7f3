"""`make bench`: national-scale benchmarks against PostgreSQL, side by side with their floors.

For each scale factor (default 0.1, 0.3 and 1) it fills a dedicated database with
`seed_scale`, then measures

1. the engagement scan: wall time and peak memory, next to the same aggregates and upsert as
   plain SQL (benchmarks/floor.py), each run in a fresh process and rolled back;
2. API lists (page size 50) through gunicorn on loopback under concurrent load (wrk), next to a
   plain Django view returning the same scoped queryset's `.values()`;
3. pages: query count and median render time;

prints one table and writes it, with the date and the machine, into docs/performance.md.

    python -m benchmarks.run [--factors 0.1,0.3,1] [--repeat 3] [--seconds 8] [--no-seed]

The database is BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/collabhub_bench):
it is emptied and refilled. REDIS_URL (default: Redis on loopback, database 3, when it answers)
is the cache of the server under load."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from benchmarks.network_search import bench_network_search
from benchmarks.network_search import rows as network_search_rows

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/collabhub_bench"
REPORT = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"

# Targets (issue: scale and speed).
SCAN_FLOOR_RATIO = 2.0
SCAN_GROWTH = 12.0
SCAN_MEMORY_MB = 500
API_P50_RATIO = 2.5
API_RPS_RATIO = 0.4
PAGE_GROWTH = 1.5


@dataclass
class FactorResult:
    factor: float
    seed_seconds: float = 0.0
    participations_scanned: int = 0
    scan_seconds: float = 0.0
    floor_seconds: float = 0.0
    scan_memory_mb: float = 0.0
    floor_memory_mb: float = 0.0
    scores_agreeing: float = 0.0  # share of participations the floor scores the same
    api: dict[str, dict] = field(default_factory=dict)
    pages: dict[str, dict] = field(default_factory=dict)


def redis_answers(port: int = 6379) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def environment(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    # The production shape: a cache shared by the server's workers (throttle counts, sessions are
    # in the database). Database 3, apart from the tests' database 1.
    if not env.get("REDIS_URL") and redis_answers():
        env["REDIS_URL"] = "redis://127.0.0.1:6379/3"
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="benchmarks.settings",
        PYTHONPATH=str(ROOT),
    )
    return env


def ensure_database(database_url: str) -> None:
    import psycopg2

    parsed = urlparse(database_url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    connection = psycopg2.connect(admin)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True)  # noqa: S603


def measured(env: dict[str, str], *args: str) -> tuple[dict, float]:
    """Run `python -m benchmarks.scanrun …` and return its JSON line and its peak memory (MB)."""
    process = subprocess.Popen(  # noqa: S603 - our own module
        [sys.executable, "-m", "benchmarks.scanrun", *args],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    output = process.stdout.read()
    process.stdout.close()
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"scanrun {args} failed ({process.returncode})")
    report = json.loads(output.strip().splitlines()[-1])
    return report, usage.ru_maxrss / 1024


# Benchmarks ---------------------------------------------------------------------------------


def vacuum() -> None:
    """Clear what a rolled-back run leaves (dead snapshot and flag rows), so that every run
    starts from the same tables."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE commissioner_engagementsnapshot, commissioner_flag")


def bench_scan(result: FactorResult, env: dict[str, str], repeat: int) -> None:
    from django.utils import timezone

    from commissioner.models import EngagementSnapshot

    today = timezone.localdate()
    scan_date = today.isoformat()
    # With --no-seed, an earlier benchmark's scan of today would make today's a rerun that
    # writes nothing: its snapshots go (the flags it left stay, as a second scan would see them).
    stale, _ = EngagementSnapshot.objects.filter(scan_date=today).delete()
    if stale:
        print(f"(cleared {stale:,} snapshots of an earlier scan today)", flush=True)
    measured(env, "floor", scan_date)  # warm the database's cache for both
    vacuum()
    app_times, floor_times, app_memory, floor_memory = [], [], [], []
    for _ in range(repeat):
        report, memory = measured(env, "floor", scan_date)
        floor_times.append(report["seconds"])
        floor_memory.append(memory)
        vacuum()
        report, memory = measured(env, "app", scan_date)
        app_times.append(report["seconds"])
        app_memory.append(memory)
        result.participations_scanned = report["rows"]
        vacuum()
    result.scan_seconds = statistics.median(app_times)
    result.floor_seconds = statistics.median(floor_times)
    result.scan_memory_mb = max(app_memory)
    result.floor_memory_mb = max(floor_memory)


def scan_for_real_and_compare() -> float:
    """Run the application's scan (committed: the API and pages then have today's flags), and
    return the share of participations the floor scores identically (a check that the floor
    does the same work)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from benchmarks.floor import FLOOR_SCAN_SQL, floor_scan_params
    from commissioner.services import engagement_scan

    today = timezone.localdate()
    engagement_scan(scan_date=today)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_app_scores ON COMMIT DROP AS SELECT participation_id, "
            "score FROM commissioner_engagementsnapshot WHERE scan_date = %s",
            [today],
        )
        cursor.execute(FLOOR_SCAN_SQL, floor_scan_params(today))
        cursor.execute(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE a.score = s.score) FROM bench_app_scores a "
            "JOIN commissioner_engagementsnapshot s ON s.participation_id = a.participation_id "
            "AND s.scan_date = %s",
            [today],
        )
        total, same = cursor.fetchone()
        transaction.set_rollback(True)
    return same / total if total else 1.0


def bench_pages(result: FactorResult, actors, renders: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from benchmarks.scenarios import PAGES

    clients = {}
    for who, user in (("staff", actors.staff), ("commissioner", actors.commissioner)):
        clients[who] = Client()
        clients[who].force_login(user)
    for page in PAGES:
        client, url = clients[page.who], page.url(actors)
        for _ in range(2):
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: {response.status_code}")
        times = []
        for _ in range(renders):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                client.get(url)
                times.append(time.perf_counter() - started)
        result.pages[page.name] = {
            "queries": len(captured.captured_queries),
            "p50_ms": statistics.median(times) * 1000,
            "commissioner_view": page.commissioner_view,
        }


def bench_api(result: FactorResult, actors, env, *, seconds: int, connections: int) -> None:
    from benchmarks.load import check, gunicorn, load
    from benchmarks.scenarios import API_LISTS, api_url, floor_url

    workers = max(2, 2 * (os.cpu_count() or 1))
    with gunicorn(env, workers=workers) as base:
        for item in API_LISTS:
            headers = actors.headers(item.who)
            row = {}
            for kind, url in (("app", api_url(item.resource)), ("floor", floor_url(item.resource))):
                check(base + url, headers)
                load(base + url, headers, seconds=2, connections=connections)  # warm-up
                measured_load = load(base + url, headers, seconds=seconds, connections=connections)
                if measured_load.errors:
                    raise RuntimeError(f"{url}: {measured_load.errors} failed requests")
                row[kind] = measured_load.__dict__
            result.api[item.name] = row


# The report ---------------------------------------------------------------------------------


def _ok(met: bool) -> str:
    return "yes" if met else "**no**"


def table(results: list[FactorResult]) -> str:
    header = "| measure | " + " | ".join(f"F={r.factor:g}" for r in results) + " | target | met |"
    lines = [header, "|" + "---|" * (len(results) + 3)]

    def row(label, cells, target="", met=""):
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {target} | {met} |")

    row("seed time (s)", [f"{r.seed_seconds:.0f}" for r in results])
    row("participations scanned", [f"{r.participations_scanned:,}" for r in results])
    row("**scan** time, app (s)", [f"{r.scan_seconds:.2f}" for r in results])
    row("scan time, SQL floor (s)", [f"{r.floor_seconds:.2f}" for r in results])
    ratios = [r.scan_seconds / r.floor_seconds for r in results]
    row(
        "scan / floor",
        [f"{x:.2f}x" for x in ratios],
        f"≤ {SCAN_FLOOR_RATIO:g}x",
        _ok(all(x <= SCAN_FLOOR_RATIO for x in ratios)),
    )
    row("floor scores the same", [f"{r.scores_agreeing:.1%}" for r in results])
    row(
        "scan peak memory, app (MB)",
        [f"{r.scan_memory_mb:.0f}" for r in results],
        f"≤ {SCAN_MEMORY_MB} at F=1",
        _ok(all(r.scan_memory_mb <= SCAN_MEMORY_MB for r in results if r.factor >= 1)),
    )
    row("scan peak memory, floor (MB)", [f"{r.floor_memory_mb:.0f}" for r in results])
    small = next((r for r in results if abs(r.factor - 0.1) < 1e-9), None)
    large = next((r for r in results if abs(r.factor - 1) < 1e-9), None)
    if small and large:
        growth = large.scan_seconds / small.scan_seconds
        row(
            "scan time F=1 / F=0.1",
            [""] * (len(results) - 1) + [f"{growth:.1f}x"],
            f"≤ {SCAN_GROWTH:g}x",
            _ok(growth <= SCAN_GROWTH),
        )
    for name in results[0].api:
        p50 = [r.api[name]["app"]["p50_ms"] / r.api[name]["floor"]["p50_ms"] for r in results]
        rps = [r.api[name]["app"]["rps"] / r.api[name]["floor"]["rps"] for r in results]
        row(
            f"**API** {name}: p50 ms app / floor",
            [
                f"{r.api[name]['app']['p50_ms']:.1f} / {r.api[name]['floor']['p50_ms']:.1f} "
                f"({x:.2f}x)"
                for r, x in zip(results, p50, strict=True)
            ],
            f"≤ {API_P50_RATIO:g}x",
            _ok(all(x <= API_P50_RATIO for x in p50)),
        )
        row(
            f"API {name}: req/s app / floor",
            [
                f"{r.api[name]['app']['rps']:.0f} / {r.api[name]['floor']['rps']:.0f} ({x:.2f}x)"
                for r, x in zip(results, rps, strict=True)
            ],
            f"≥ {API_RPS_RATIO:g}x",
            _ok(all(x >= API_RPS_RATIO for x in rps)),
        )
    for name, first in results[0].pages.items():
        counts = [r.pages[name]["queries"] for r in results]
        row(
            f"**page** {name}: queries",
            [str(c) for c in counts],
            "same at every F",
            _ok(len(set(counts)) == 1),
        )
        times = [r.pages[name]["p50_ms"] for r in results]
        target, met = "", ""
        if first["commissioner_view"] and small and large:
            growth = large.pages[name]["p50_ms"] / small.pages[name]["p50_ms"]
            target, met = (
                f"F=1 ≤ {PAGE_GROWTH:g}x F=0.1 (is {growth:.2f}x)",
                _ok(growth <= PAGE_GROWTH),
            )
        row(f"page {name}: p50 render (ms)", [f"{t:.1f}" for t in times], target, met)
    for label, cells, target, met in network_search_rows(results):
        row(label, cells, target, met)
    return "\n".join(lines)


def machine() -> str:
    import django
    import psycopg2
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    memory = ""
    try:
        total_kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {total_kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    cpu = platform.processor() or platform.machine()
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}){memory}; "
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"PostgreSQL {postgres}, psycopg2 {psycopg2.__version__.split()[0]}"
    )


def write_report(text: str, *, settings_line: str) -> None:
    block = (
        f"{BEGIN}\n_Measured {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} on "
        f"{machine()}. {settings_line}_\n\n{text}\n{END}"
    )
    current = REPORT.read_text() if REPORT.exists() else "# Performance\n\n"
    if BEGIN in current and END in current:
        before, rest = current.split(BEGIN, 1)
        after = rest.split(END, 1)[1]
        current = before + block + after
    else:
        current = current.rstrip() + "\n\n" + block + "\n"
    REPORT.write_text(current)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--factors", default="0.1,0.3,1")
    parser.add_argument("--repeat", type=int, default=3, help="scan repetitions (median)")
    parser.add_argument("--seconds", type=int, default=8, help="load duration per API list")
    parser.add_argument("--connections", type=int, default=8, help="concurrent API clients")
    parser.add_argument("--renders", type=int, default=15, help="renders per page (median)")
    parser.add_argument("--no-seed", action="store_true", help="reuse the data already there")
    parser.add_argument("--no-report", action="store_true", help="do not write the docs page")
    args = parser.parse_args(argv)
    factors = [float(f) for f in args.factors.split(",")]

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE)
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("The benchmarks need PostgreSQL (BENCH_DATABASE_URL).")
    env = environment(database_url)
    os.environ.update(env)
    ensure_database(database_url)
    manage(env, "migrate", "--noinput", "-v0")

    import django

    django.setup()
    from django.db import connection

    from benchmarks.scenarios import actors_prepare

    results = []
    for factor in factors:
        print(f"\n== F={factor:g} ==", flush=True)
        result = FactorResult(factor=factor)
        if not args.no_seed:
            started = time.perf_counter()
            manage(env, "seed_scale", "--factor", str(factor), "--reset")
            result.seed_seconds = time.perf_counter() - started
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        print("scan...", flush=True)
        bench_scan(result, env, args.repeat)
        result.scores_agreeing = scan_for_real_and_compare()
        actors = actors_prepare()
        print("pages...", flush=True)
        bench_pages(result, actors, args.renders)
        bench_network_search(result, actors, args.renders)
        print("API under load...", flush=True)
        bench_api(result, actors, env, seconds=args.seconds, connections=args.connections)
        results.append(result)
        connection.close()

    text = table(results)
    print("\n" + text)
    if not args.no_report:
        write_report(
            text,
            settings_line=(
                f"Scan: median of {args.repeat} runs, each in a fresh process. API: gunicorn "
                f"({max(2, 2 * (os.cpu_count() or 1))} sync workers) and wrk with "
                f"{args.connections} connections for {args.seconds} s per list, page size 50. "
                f"Pages: median of {args.renders} renders in-process"
            ),
        )
        print(f"\nWritten to {REPORT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
