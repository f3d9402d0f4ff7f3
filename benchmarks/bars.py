"""`python -m benchmarks.bars`: does the backtest show a commissioner where the bar for drifting
should sit for their partners? (docs/engagement.md, "Choosing the bar on one's own partners")

The policy page's "try this policy on the last N months" (and `engagement_backtest`) replays the
scan, and the watch at bars around the policy's (commissioner.backtest.BarWatch). At each it
shows the partners flagged, those flagged that had not gone silent by the end, and those gone
silent that were warned before. A commissioner does not know which of their partners were
steady; the cohorts of `make evaluate` do. This runs the product's own backtest over every scan
day of each seed, from the databases `make evaluate` leaves in var/evaluate/ (run it first, on
the same seeds and shapes), and sets what it shows beside the truth at the same bars, measured
as `make evaluate` measures (benchmarks.frontier's replay of the stored days): the steady
partners ever flagged (false flags), recall and the median lead.

    python -m benchmarks.bars [--shapes usual,shifted] [--seeds 1,2,3] [--write-docs]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
from pathlib import Path

from . import cohort, evaluate, frontier

BARS = (150, 200, 250, 300, 400)
BEGIN, END = evaluate.markers("bars")


def measure(seed: int, shape: str, workdir: Path) -> list[dict]:
    """One row per bar: what the backtest shows, and the truth."""
    plan, records = frontier.load(seed, workdir, shape)  # before the backtest sets them aside
    from commissioner.backtest import engagement_backtest

    shown = engagement_backtest(date_from=plan.scans_from, date_to=plan.scans_to, bars=BARS)
    rows = []
    for trial in shown.bars:
        series = frontier.replay_watch(plan, records, threshold=trial.bar, instant=40)
        truth = evaluate.metrics(plan, series, frontier.scan_days(plan))
        rows.append(
            {
                "shape": shape,
                "bar": trial.bar,
                "flagged": trial.flagged / shown.participations,
                "in_touch": trial.flagged_in_touch / shown.participations,
                "warned": trial.silent_warned / max(1, len(shown.silent)),
                "false_flags": truth["false_flags"],
                "recall": truth["recall"],
                "lead_median": truth["lead_median"],
            }
        )
    return rows


def correlation(xs: list[float], ys: list[float]) -> float:
    return statistics.correlation(xs, ys) if len(set(xs)) > 1 and len(set(ys)) > 1 else 0.0


def table(rows: list[dict], seeds: list[int]) -> str:
    lines = [
        f"Seeds {', '.join(map(str, seeds))}: min-max (mean) over the seeds. The first three "
        "columns are what the backtest shows (shares of the partners scanned, and of those gone "
        "silent); the last three the truth only the cohort knows.",
        "",
        "| cohort | bar | flagged | flagged, not gone silent | gone silent, warned before "
        "| false flags (steady partners) | recall | median lead (d) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    shapes = list(dict.fromkeys(row["shape"] for row in rows))
    for shape in shapes:
        for bar in BARS:
            cells = [row for row in rows if row["shape"] == shape and row["bar"] == bar]
            lines.append(
                f"| {shape} | {bar} | "
                + " | ".join(
                    frontier._cell([row[name] for row in cells], fmt)
                    for name, fmt in (
                        ("flagged", "{:.0%}"),
                        ("in_touch", "{:.0%}"),
                        ("warned", "{:.0%}"),
                        ("false_flags", "{:.0%}"),
                        ("recall", "{:.2f}"),
                        ("lead_median", "{:.0f}"),
                    )
                )
                + " |"
            )
    in_touch = correlation([r["in_touch"] for r in rows], [r["false_flags"] for r in rows])
    warned = correlation([r["warned"] for r in rows], [r["recall"] for r in rows])
    lines += [
        "",
        f"Over the {len(rows)} cells (each cohort, seed and bar): the correlation of "
        f'"flagged, not gone silent" with the false flags is {in_touch:.2f}; of "gone silent, '
        f'warned before" with recall, {warned:.2f}.',
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--shapes", default=",".join(cohort.SHAPES))
    parser.add_argument("--workdir", type=Path, default=evaluate.WORKDIR)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s]
    shapes = [s for s in args.shapes.split(",") if s]
    if unknown := set(shapes) - set(cohort.SHAPES):
        parser.error(f"unknown shapes: {sorted(unknown)}")
    evaluate.setup_django(args.workdir / f"{evaluate.seed_name(seeds[0], shapes[0])}.sqlite3")
    logging.getLogger("commissioner").setLevel(logging.WARNING)
    rows = []
    for shape in shapes:
        for seed in seeds:
            print(f"{shape} seed {seed}...", file=sys.stderr)
            rows += measure(seed, shape, args.workdir)
    text = table(rows, seeds)
    print(text)
    if args.write_docs:
        evaluate.write_block(BEGIN, END, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
