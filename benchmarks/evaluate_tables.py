"""The tables `make evaluate` prints and writes into docs/engagement.md: each seed's measures
against the targets and the baseline, and what each signal contributes (--ablate)."""

from __future__ import annotations

TARGETS = {
    "recall": (0.9, ">="),
    "lead_median": (30, ">="),
    "false_flags": (0.10, "<="),
    "flaps": (1.0, "<="),
    "released": (0.9, ">="),
}


def meets(name: str, value: float) -> bool:
    target, sense = TARGETS[name]
    return value >= target if sense == ">=" else value <= target


def better(name: str, scan: float, baseline: float) -> bool:
    """At least as good as the baseline (a row where both are perfect counts as met)."""
    _target, sense = TARGETS[name]
    return scan >= baseline if sense == ">=" else scan <= baseline


ROWS = (
    ("recall", "recall (warned before silence + 14 days)", "{:.2f}", "≥ 0.90"),
    ("recall_drifters", "… of the drifters (from the start of their drift)", "{:.2f}", "—"),
    ("recall_sudden", "… of the sudden silences (within 14 days of it)", "{:.2f}", "—"),
    ("lead_median", "median lead before silence (days)", "{:.0f}", "≥ 30"),
    ("lead_p25", "25th-percentile lead (days)", "{:.0f}", "—"),
    ("false_flags", "false flags (steady partners ever flagged)", "{:.0%}", "≤ 10%"),
    ("flaps", "flaps per 100 partner-months", "{:.2f}", "≤ 1"),
    ("released", "recoverers released within 30 days", "{:.0%}", "≥ 90%"),
)


def table(results: list[dict]) -> str:
    lines = [
        "| seed | measure | scan | baseline (no activity 30 days) | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        scan, base = result["scan"], result["baseline"]
        for name, label, fmt, target in ROWS:
            met = "—"
            if name in TARGETS:
                ok = meets(name, scan[name]) and better(name, scan[name], base[name])
                met = "yes" if ok else "**no**"
            lines.append(
                f"| {result['seed']} | {label} | {fmt.format(scan[name])} | "
                f"{fmt.format(base[name])} | {target} | {met} |"
            )
    lines.append("")
    for result in results:
        kinds = ", ".join(f"{n} {k}" for k, n in result["kinds"].items())
        lines.append(
            f"- seed {result['seed']}: {result['partners']} partners ({kinds}); "
            f"{result['scan']['at_risk_partners']} drifting or silent, "
            f"{result['scan']['recoverers_flagged']} recoverers flagged by the scan; "
            f"{result['refused']} events refused by the services; {result['seconds']:.0f} s"
        )
    return "\n".join(lines)


ABLATION_BEGIN, ABLATION_END = "<!-- ablation:begin -->", "<!-- ablation:end -->"


def ablation_table(rows: list[tuple[str, list[dict]]]) -> str:
    """One line per variant: each measure as seed 1 / seed 2 / seed 3."""
    lines = [
        "| switched off | recall | median lead (d) | false flags | flaps /100 pm "
        "| recoverers released |",
        "|---|---|---|---|---|---|",
    ]
    for label, results in rows:
        cells = []
        for name, _label, fmt, _target in ROWS:
            if name not in TARGETS:  # the ablation's columns are the measures with a target
                continue
            cells.append(" / ".join(fmt.format(r["scan"][name]) for r in results))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def all_met(results: list[dict]) -> bool:
    return all(
        meets(name, r["scan"][name]) and better(name, r["scan"][name], r["baseline"][name])
        for r in results
        for name in TARGETS
    )
