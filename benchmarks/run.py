"""`make bench`: national-scale benchmarks against PostgreSQL, side by side with their floors.

For each scale factor (default 0.1 and 1) it fills a database with `seed_scale` (or reuses one:
--no-seed, --databases), then measures

1. the engagement scan: wall time and peak memory, each run in a fresh process and rolled back,
   next to the same aggregates as plain SQL with PostgreSQL's JIT off, written into an empty
   table (benchmarks/floor.py) and compared with the application's rows column by column; the
   scan shared by 1 and 2 Celery workers (the fan-out), and a finished day's rerun;
2. every page of benchmarks/pages.py through gunicorn (4 workers) with wrk at 1 and 8
   connections: p50 and p99, page weight and SQL queries, the staff home page as the floor;
3. API lists (page size 50) the same way, next to a plain Django view returning the same scoped
   queryset's `.values()`.

Repeats alternate (every page, then every page again); the machine's 1-minute load average is
printed beside each figure. Prints one table and writes it into docs/performance.md.

    python -m benchmarks.run [--factors 0.1,1] [--repeat 3] [--seconds 4] [--no-seed]
                             [--databases 0.1=postgres://...,1=postgres://...]

The database is BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/collabhub_bench),
emptied and refilled, or the ones --databases names. REDIS_URL (default: Redis on loopback,
database 3, when it answers) is the cache and the Celery broker of the server and workers."""

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

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/collabhub_bench"
REPORT = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"

# Targets (issue 18), at F=1.
SCAN_FLOOR_RATIO = 2.0
SCAN_GROWTH = 12.0
SCAN_MEMORY_MB = 500
RERUN_SECONDS = 1.0
PAGE_P50_MS = 100.0  # one connection
PAGE_P99_MS = 1000.0  # eight connections
PAGE_GROWTH = 1.5  # F=1 against F=0.1 (p50 at one connection)
PAGE_WEIGHT_KB = 150.0
API_P50_RATIO = 2.0
CONNECTIONS = (1, 8)


@dataclass
class FactorResult:
    factor: float
    seed_seconds: float = 0.0
    participations_scanned: int = 0
    scan_seconds: float = 0.0
    floor_seconds: float = 0.0
    scan_load: float = 0.0
    scan_memory_mb: float = 0.0
    floor_memory_mb: float = 0.0
    # Share of rows on which the floor agrees with the application, per column it computes.
    agreement: dict[str, float] = field(default_factory=dict)
    workers: dict[str, dict] = field(default_factory=dict)  # "1", "2": seconds, load
    rerun_seconds: float = 0.0
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
    result.scan_load = os.getloadavg()[0]
    result.floor_seconds = statistics.median(floor_times)
    result.scan_memory_mb = max(app_memory)
    result.floor_memory_mb = max(floor_memory)


# The floor's columns compared with the application's, row for row.
COMPARED = [
    "score", "band", "meetings_held", "meetings_attended", "meetings_apologies",
    "attendance_rate", "consecutive_absences", "obligations_due", "obligations_overdue",
    "max_days_overdue", "reports_expected", "reports_missing", "days_since_activity",
    "signatures_pending", "max_days_awaiting_signature", "meetings_unrecorded", "components",
    "state", "warning_streak", "clear_streak", "drift_evidence",
]  # fmt: skip


def scan_for_real_and_compare() -> dict[str, float]:
    """Run the application's scan (committed: the pages and API then have today's flags and
    summary), then the floor into an EMPTY table of the same shape, and return, for every
    column the floor computes, the share of participations on which it agrees."""
    from django.db import connection, transaction
    from django.utils import timezone

    from benchmarks.floor import floor_scan_into
    from commissioner.services import engagement_scan

    today = timezone.localdate()
    engagement_scan(scan_date=today)
    with transaction.atomic(), connection.cursor() as cursor:
        floor_scan_into(cursor, "bench_floor_snapshots", today)
        same = ", ".join(
            f"COUNT(*) FILTER (WHERE a.{c} IS NOT DISTINCT FROM f.{c})" for c in COMPARED
        )
        cursor.execute(
            f"SELECT COUNT(*), {same} FROM commissioner_engagementsnapshot a "  # noqa: S608
            "JOIN bench_floor_snapshots f ON f.participation_id = a.participation_id "
            "WHERE a.scan_date = %s",
            [today],
        )
        total, *agreeing = cursor.fetchone()
        transaction.set_rollback(True)
    return {c: (n / total if total else 1.0) for c, n in zip(COMPARED, agreeing, strict=True)}


def bench_workers(result: FactorResult, env: dict[str, str], repeat: int) -> None:
    """The daily scan as beat queues it (services/fanout.py), shared by 1 and then 2 Celery
    workers (one process each, concurrency 1, as two machines would be); alternating, median.
    Before each run the day's snapshots and run record go, so each scores every participation
    against the same flags. Then a finished day's rerun, timed."""
    from benchmarks.workers import fan_out_seconds, rerun_seconds

    times: dict[str, list] = {"1": [], "2": []}
    for _ in range(repeat):
        for count in ("1", "2"):
            times[count].append(fan_out_seconds(env, workers=int(count)))
            print(f"  scan with {count} worker(s): {times[count][-1][0]:.1f} s", flush=True)
    for count, runs in times.items():
        seconds = statistics.median(run[0] for run in runs)
        result.workers[count] = {"seconds": seconds, "load": statistics.median(r[1] for r in runs)}
    result.rerun_seconds = rerun_seconds()


def bench_pages(
    result: FactorResult, env, targets, *, seconds: int, repeat: int, only: str = ""
) -> None:
    """Every page through gunicorn: weight and queries once, then wrk at 1 and 8 connections,
    every page in turn, `repeat` times; the median of the repeats. `only`: the pages whose
    name contains one of these comma-separated words (and the floor)."""
    from benchmarks.load import gunicorn, load
    from benchmarks.pages import PAGES

    words = [word for word in only.split(",") if word]
    pages = [
        page for page in PAGES if page.floor or not words or any(w in page.name for w in words)
    ]
    from benchmarks.web import page_queries, page_weight

    runs: dict[str, dict[int, list]] = {page.name: {c: [] for c in CONNECTIONS} for page in pages}
    with gunicorn(env, workers=4) as base:
        for page in pages:
            url, headers = page.url(targets), targets.headers(page.who)
            result.pages[page.name] = {
                "url": url,
                "floor": page.floor,
                "weight_kb": page_weight(base + url, headers) / 1024,
                "queries": page_queries(url, getattr(targets, page.who)),
            }
            load(base + url, headers, seconds=1, connections=2)  # warm-up
        for round_ in range(repeat):
            for page in pages:
                url, headers = page.url(targets), targets.headers(page.who)
                for connections in CONNECTIONS:
                    measured_load = load(
                        base + url, headers, seconds=seconds, connections=connections
                    )
                    if measured_load.errors:
                        raise RuntimeError(f"{url}: {measured_load.errors} failed requests")
                    runs[page.name][connections].append(measured_load)
                    _drain(measured_load)
            print(f"  pages, round {round_ + 1} of {repeat}", flush=True)
    for name, by_connections in runs.items():
        for connections, loads in by_connections.items():
            result.pages[name][connections] = _median_load(loads)


def _drain(measured_load) -> None:
    """Let the server finish what wrk left in flight (at eight connections, up to eight slow
    requests queued on four workers), so the next measure does not start behind them: a page of
    4 s at eight connections otherwise left the next page's one-connection run no completed
    request at all."""
    time.sleep(min(10.0, 2 * measured_load.p99_ms / 1000))


def _median_load(loads) -> dict:
    """The median of the runs that completed a request (a page slower than the run's duration
    at one connection completes none: wrk then reports no latency)."""
    loads = [x for x in loads if x.requests] or loads
    return {
        "p50_ms": statistics.median(x.p50_ms for x in loads),
        "p99_ms": statistics.median(x.p99_ms for x in loads),
        "rps": statistics.median(x.rps for x in loads),
        "load": statistics.median(x.load for x in loads),
        "runs": len(loads),
    }


def bench_api(result: FactorResult, actors, env, *, seconds: int, repeat: int) -> None:
    """API lists and their floors at 1 and 8 connections, `repeat` rounds over every list
    (app and floor alternating), the median of the rounds."""
    from benchmarks.load import check, gunicorn, load
    from benchmarks.scenarios import API_LISTS, api_url, floor_url

    runs = {
        item.name: {kind: {c: [] for c in CONNECTIONS} for kind in ("app", "floor")}
        for item in API_LISTS
    }
    with gunicorn(env, workers=4) as base:
        for item in API_LISTS:
            headers = actors.headers(item.who)
            for url in (api_url(item.resource), floor_url(item.resource)):
                check(base + url, headers)
                load(base + url, headers, seconds=1, connections=2)  # warm-up
        for round_ in range(repeat):
            for item in API_LISTS:
                headers = actors.headers(item.who)
                for connections in CONNECTIONS:
                    for kind, url in (
                        ("app", api_url(item.resource)),
                        ("floor", floor_url(item.resource)),
                    ):
                        measured_load = load(
                            base + url, headers, seconds=seconds, connections=connections
                        )
                        if measured_load.errors:
                            raise RuntimeError(f"{url}: {measured_load.errors} failed requests")
                        runs[item.name][kind][connections].append(measured_load)
            print(f"  API, round {round_ + 1} of {repeat}", flush=True)
    for name, kinds in runs.items():
        result.api[name] = {
            kind: {c: _median_load(loads) for c, loads in by_c.items()}
            for kind, by_c in kinds.items()
        }


# The report ---------------------------------------------------------------------------------


def _ok(met: bool) -> str:
    return "yes" if met else "**no**"


def _ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def table(results: list[FactorResult]) -> str:
    """Pages, API lists and the scan, a row per measure and factor; `load` is the 1-minute load
    average when the figure was taken (this machine has 2 cores)."""
    small = next((r for r in results if abs(r.factor - 0.1) < 1e-9), None)
    large = next((r for r in results if abs(r.factor - 1) < 1e-9), None)
    lines = [
        "| page | F | weight (KB) | queries | p50 @1 (ms) | p99 @1 | p50 @8 | p99 @8 | "
        "req/s @8 | load | against the floor (p50 @1) | met |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in results[0].pages:
        for r in results:
            page = r.pages[name]
            one, eight = page[1], page[8]
            floor = next(p for p in r.pages.values() if p["floor"])[1]["p50_ms"]
            against = "floor" if page["floor"] else f"{one['p50_ms'] / floor:.1f}x"
            met = ""
            if r is large and not page["floor"]:
                growth = (
                    one["p50_ms"] / small.pages[name][1]["p50_ms"] if small is not None else 1.0
                )
                ok = (
                    one["p50_ms"] <= PAGE_P50_MS
                    and eight["p99_ms"] <= PAGE_P99_MS
                    and page["weight_kb"] <= PAGE_WEIGHT_KB
                    and growth <= PAGE_GROWTH
                )
                met = _ok(ok) + (f" ({growth:.2f}x F=0.1)" if small is not None else "")
            lines.append(
                f"| {name} | {r.factor:g} | {page['weight_kb']:.0f} | {page['queries']} | "
                f"{_ms(one['p50_ms'])} | {_ms(one['p99_ms'])} | {_ms(eight['p50_ms'])} | "
                f"{_ms(eight['p99_ms'])} | {eight['rps']:.0f} | "
                f"{one['load']:.1f} / {eight['load']:.1f} | "
                f"{against} | {met} |"
            )
    lines += [
        "",
        "| API list | F | p50 @1 app / floor (ms) | p99 @1 app | p50 @8 app / floor | "
        "p99 @8 app / floor | load | p50 @1 ratio | met (≤ 2x) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in results[0].api:
        for r in results:
            app, floor = r.api[name]["app"], r.api[name]["floor"]
            ratio = app[1]["p50_ms"] / floor[1]["p50_ms"]
            lines.append(
                f"| {name} | {r.factor:g} | {_ms(app[1]['p50_ms'])} / {_ms(floor[1]['p50_ms'])} "
                f"| {_ms(app[1]['p99_ms'])} | {_ms(app[8]['p50_ms'])} / "
                f"{_ms(floor[8]['p50_ms'])} | {_ms(app[8]['p99_ms'])} / "
                f"{_ms(floor[8]['p99_ms'])} | {app[1]['load']:.1f} / {app[8]['load']:.1f} | "
                f"{ratio:.2f}x | {_ok(ratio <= API_P50_RATIO) if r is large else ''} |"
            )
    factors = " | ".join(f"F={r.factor:g}" for r in results)
    lines += ["", f"| scan | {factors} | target | met |"]
    lines.append("|---|" + "---|" * (len(results) + 2))

    def row(label, cells, target="", met=""):
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {target} | {met} |")

    row("seed time (s)", [f"{r.seed_seconds:.0f}" for r in results])
    row("participations scanned", [f"{r.participations_scanned:,}" for r in results])
    row(
        "scan, one process (s; load)",
        [f"{r.scan_seconds:.2f} ({r.scan_load:.1f})" for r in results],
    )
    row("scan floor, JIT off, into an empty table (s)", [f"{r.floor_seconds:.2f}" for r in results])
    ratios = [r.scan_seconds / r.floor_seconds if r.floor_seconds else 0 for r in results]
    measured = all(r.floor_seconds and r.scan_seconds for r in results)
    row(
        "scan / floor",
        [f"{x:.2f}x" for x in ratios],
        f"≤ {SCAN_FLOOR_RATIO:g}x",
        _ok(all(x <= SCAN_FLOOR_RATIO for x in ratios)) if measured else "not measured",
    )
    row(
        "floor agrees with the scan, worst column",
        [
            (lambda worst: f"{worst[1]:.1%} ({worst[0]})")(
                min(r.agreement.items(), key=lambda kv: kv[1])
            )
            if r.agreement
            else ""
            for r in results
        ],
        "every column",
        _ok(all(min(r.agreement.values(), default=1) >= 1 for r in results)),
    )
    row(
        "scan peak memory, app / floor (MB)",
        [f"{r.scan_memory_mb:.0f} / {r.floor_memory_mb:.0f}" for r in results],
        f"≤ {SCAN_MEMORY_MB} at F=1",
        _ok(all(r.scan_memory_mb <= SCAN_MEMORY_MB for r in results if r.factor >= 1))
        if measured
        else "not measured",
    )
    if small and large and small.scan_seconds:
        growth = large.scan_seconds / small.scan_seconds
        row(
            "scan time F=1 / F=0.1",
            [""] * (len(results) - 1) + [f"{growth:.1f}x"],
            f"≤ {SCAN_GROWTH:g}x (linear: 10x the data)",
            _ok(growth <= SCAN_GROWTH),
        )
    if all(r.workers for r in results):
        row(
            "scan shared by 1 worker (s; load)",
            [f"{r.workers['1']['seconds']:.1f} ({r.workers['1']['load']:.1f})" for r in results],
        )
        row(
            "scan shared by 2 workers (s; load)",
            [f"{r.workers['2']['seconds']:.1f} ({r.workers['2']['load']:.1f})" for r in results],
        )
        speedups = [r.workers["1"]["seconds"] / r.workers["2"]["seconds"] for r in results]
        row(
            "1 worker / 2 workers",
            [f"{x:.2f}x" for x in speedups],
            "> 1x (two cores)",
            _ok(all(x > 1 for x in speedups)),
        )
        row(
            "a finished day's rerun (s)",
            [f"{r.rerun_seconds:.3f}" for r in results],
            f"≤ {RERUN_SECONDS:g} s",
            _ok(all(r.rerun_seconds <= RERUN_SECONDS for r in results)),
        )
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


def measure_factor(factor: float, args, env: dict[str, str]) -> FactorResult:
    """Everything for one scale factor, in this process (its Django connection is the factor's
    database)."""
    import django

    django.setup()
    from django.db import connection

    from benchmarks.pages import targets_prepare
    from benchmarks.scenarios import actors_prepare

    result = FactorResult(factor=factor)
    if not args.no_seed:
        started = time.perf_counter()
        manage(env, "seed_scale", "--factor", str(factor), "--reset")
        result.seed_seconds = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    if "scan" in args.parts:
        print("scan...", flush=True)
        bench_scan(result, env, args.scan_repeat)
    print("the scan committed, and the floor compared...", flush=True)
    result.agreement = scan_for_real_and_compare()
    if "workers" in args.parts:
        print("the scan shared by workers...", flush=True)
        bench_workers(result, env, max(1, args.scan_repeat - 1))
    targets = targets_prepare()
    if "pages" in args.parts:
        print("pages...", flush=True)
        bench_pages(result, env, targets, seconds=args.seconds, repeat=args.repeat, only=args.pages)
    if "api" in args.parts:
        print("API lists...", flush=True)
        bench_api(result, actors_prepare(), env, seconds=args.seconds, repeat=args.repeat)
    connection.close()
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--factors", default="0.1,1")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of every measure (median)")
    parser.add_argument("--seconds", type=int, default=4, help="wrk duration per measure")
    parser.add_argument("--scan-repeat", type=int, default=3, help="scan runs (median)")
    parser.add_argument("--no-seed", action="store_true", help="reuse the data already there")
    parser.add_argument(
        "--databases", default="", help="F=URL,...: a database per factor (implies --no-seed)"
    )
    parser.add_argument("--parts", default="scan,workers,pages,api", help="what to measure")
    parser.add_argument("--pages", default="", help="only pages whose name has one of these")
    parser.add_argument("--no-report", action="store_true", help="do not write the docs page")
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.parts = set(args.parts.split(","))
    databases = dict(item.split("=", 1) for item in args.databases.split(",") if item)
    if databases:
        args.no_seed = True

    if args.child is not None:
        # One factor, in a process of its own: Django is set up on that factor's database.
        env = environment(os.environ["DATABASE_URL"])
        result = measure_factor(args.child, args, env)
        Path(args.out).write_text(json.dumps(result.__dict__, default=str))
        return

    factors = [float(f) for f in args.factors.split(",")]
    default = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE)
    results = []
    for factor in factors:
        database_url = databases.get(f"{factor:g}", default)
        if not database_url.startswith(("postgres://", "postgresql://")):
            raise SystemExit("The benchmarks need PostgreSQL (BENCH_DATABASE_URL, --databases).")
        env = environment(database_url)
        ensure_database(database_url)
        manage(env, "migrate", "--noinput", "-v0")
        print(f"\n== F={factor:g} ({urlparse(database_url).path.lstrip('/')}) ==", flush=True)
        out = ROOT / "var" / f"bench-{factor:g}.json"
        out.parent.mkdir(exist_ok=True)
        child = [*(argv if argv is not None else sys.argv[1:]), "--child", str(factor)]
        subprocess.run(  # noqa: S603 - this module
            [sys.executable, "-m", "benchmarks.run", *child, "--out", str(out)],
            env=env,
            check=True,
        )
        data = json.loads(out.read_text())
        for kind in ("pages",):
            for page in data[kind].values():
                for key in [k for k in page if k.isdigit()]:
                    page[int(key)] = page.pop(key)
        for lists in data["api"].values():
            for kind in lists.values():
                for key in [k for k in kind if k.isdigit()]:
                    kind[int(key)] = kind.pop(key)
        results.append(FactorResult(**data))

    text = table(results)
    print("\n" + text)
    if not args.no_report:
        import django

        os.environ.update(environment(databases.get(f"{factors[-1]:g}", default)))
        django.setup()
        write_report(
            text,
            settings_line=(
                f"Pages and API lists: gunicorn (4 sync workers) on loopback, wrk for "
                f"{args.seconds} s at 1 and at 8 connections, {args.repeat} rounds over every "
                f"page (alternating), the median; load = the 1-minute load average when the "
                f"figure was taken, at 1 / 8 connections. Scan: median of {args.scan_repeat} runs, "
                f"each in a fresh process"
            ),
        )
        print(f"\nWritten to {REPORT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
