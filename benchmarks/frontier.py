"""`python -m benchmarks.frontier`: how far could another early-warning rule get on the same
cohorts? (docs/engagement.md, "How far the evidence goes")

`make evaluate` measures the scan as it ships. This replays, offline and in seconds, what other
rules would have done with the very same partners, read from the databases `make evaluate`
leaves in var/evaluate/ (run it first, on the same seeds):

- **the watch, other constants**: the scan's own drift evidence (each day's `step`, stored in
  the snapshot's trend) summed from another threshold, or halved on other days than the scan
  halves it (every day the partner is back, only when it is back on every front, never); the
  watch it replaced (the day's trend points, also stored, summed above an allowance); or the
  day's points not accumulated at all — what tuning the shipped rule can buy. The replay
  reproduces the scan's own figures exactly with the shipped constants (the first line of the
  table; compare with `make evaluate`).
- **a joint likelihood ratio over 8 spans**: the detector the drift evidence was built from,
  computed from the events themselves as known on each day. For every start day from 7 to 84
  days back it adds up the log-likelihood ratio, "drifting" (doing less than its usual self)
  against "its usual self", of everything the partner did since: each day with or without a
  sign of life (a Bernoulli rate from its own 150 days before the last 42, against 0.4 of it),
  each meeting (present, apologies, absent, from its own earlier meetings, against present
  halved), each goal report and obligation
  (delays exponential around its own usual one, against 20 and 25 days more; one outstanding
  counts as late by its age). The strongest start is the evidence; a warning when it reaches
  the threshold (in log10 units: 2 is "100 times likelier drifting"), flagged as the scan
  flags under the default policy (two scans to raise, two clear scans under half the threshold
  and a score of 75 to close; the score's band counts as in the scan).

Each line is one rule on every seed, as "min-max (mean)" over the seeds, against the targets.

    python -m benchmarks.frontier [--seeds 1,2,3] [--workdir var/evaluate] [--write-docs]
"""

from __future__ import annotations

import argparse
import bisect
import dataclasses
import datetime as dt
import math
import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import cohort, evaluate

DAY = dt.timedelta(days=1)
# "Back on every front" (Snap.settled) allows no obligation overdue this many days or more.
SETTLED_OVERDUE = 14


@dataclass
class Snap:
    score: int
    band: str
    state: str
    points: dict
    back: bool
    step: int = 0  # the day's drift evidence (commissioner.trends.drift_step)
    arrivals: int = 0  # the reports and obligations that came in that day
    # Is the partner back on every front, not only at its rhythm of contact: no goal report
    # missing, no obligation overdue for two weeks, present at the latest meeting?
    settled: bool = False
    contact_left: bool = False  # the named contact left or changed in the last 90 days
    contact_vacant: bool = False  # ... gone, and no one named in its place since


@dataclass
class Record:
    """One partner's events as stored, and the scan's snapshot of each day."""

    partner: object  # benchmarks.cohort.Partner
    goals: list[int]  # the cadence in days of each goal of its collaboration
    activity: list[tuple[dt.date, dt.date]] = field(default_factory=list)  # (recorded, occurred)
    meetings: list[tuple[dt.date, str, dt.date]] = field(default_factory=list)  # held, status, rec.
    obligations: list[tuple[dt.date, dt.date | None, dt.date]] = field(default_factory=list)
    reports: list[tuple[dt.date, dt.date]] = field(default_factory=list)  # (period end, reported)
    snapshots: dict[dt.date, Snap] = field(default_factory=dict)


def load(seed: int, workdir: Path, shape: str = cohort.USUAL.name):
    """The plan and every partner's record, from the seed's database (`make evaluate`'s, of the
    cohort of that `shape`)."""
    from django.db import connection
    from django.utils import timezone

    from agreements.models import Measurement, Obligation, Participation
    from commissioner.models import Activity, Attendance, EngagementSnapshot

    database = workdir / f"{evaluate.seed_name(seed, shape)}.sqlite3"
    if not database.exists():
        raise SystemExit(f"{database} is missing: run `make evaluate` on seed {seed} first")
    connection.close()
    connection.settings_dict["NAME"] = str(database)
    plan = cohort.build(seed, shape=cohort.SHAPES[shape])
    local = timezone.localdate
    rows = list(
        Participation.objects.order_by("pk").values_list(
            "pk", "collaboration_id", "organisation_id"
        )
    )
    if len(rows) != len(plan.partners):
        raise SystemExit(f"{database} holds another cohort than seed {seed}'s")
    # The evaluation creates the participations in the plan's order (evaluate.World.create).
    records, by_pk, by_key = {}, {}, {}
    for (pk, collaboration_id, organisation_id), partner in zip(rows, plan.partners, strict=True):
        record = Record(partner, plan.collaborations[partner.collaboration].goals)
        records[partner.key] = by_pk[pk] = by_key[(collaboration_id, organisation_id)] = record
    for pk, occurred, recorded in Activity.objects.values_list(
        "participation_id", "occurred_at", "recorded_at"
    ):
        by_pk[pk].activity.append((local(recorded), local(occurred)))
    for pk, held, status, recorded in Attendance.objects.values_list(
        "participation_id", "meeting__held_at", "status", "recorded_at"
    ):
        by_pk[pk].meetings.append((local(held), status, local(recorded)))
    for collaboration_id, organisation_id, due, met, created in Obligation.objects.values_list(
        "collaboration_id", "organisation_id", "due_date", "met_at", "created_at"
    ):
        by_key[(collaboration_id, organisation_id)].obligations.append(
            (due, local(met) if met else None, local(created))
        )
    for (
        collaboration_id,
        organisation_id,
        period_end,
        reported,
    ) in Measurement.all_objects.values_list(
        "goal__collaboration_id", "reported_by_organisation_id", "period_end", "reported_at"
    ):
        by_key[(collaboration_id, organisation_id)].reports.append((period_end, local(reported)))
    for (
        pk,
        on,
        score,
        band,
        state,
        trend,
        missing,
        overdue,
    ) in EngagementSnapshot.objects.values_list(
        "participation_id",
        "scan_date",
        "score",
        "band",
        "state",
        "trend",
        "reports_missing",
        "max_days_overdue",
    ):
        by_pk[pk].snapshots[on] = Snap(
            score,
            band,
            state,
            trend.get("points") or {},
            bool(trend.get("back")),
            trend.get("step", 0),
            trend.get("reports_yesterday", 0) + trend.get("obligations_met_yesterday", 0),
            settled=missing == 0 and overdue < SETTLED_OVERDUE and trend.get("last_present", False),
            contact_left=bool(trend.get("contact_left")),
            contact_vacant=bool(trend.get("contact_vacant")),
        )
    return plan, records


def scan_days(plan) -> list[dt.date]:
    return [plan.scans_from + n * DAY for n in range((plan.scans_to - plan.scans_from).days + 1)]


class Flags:
    """The scan's flag rule under the default policy (commissioner.backtest.FlagRule, which the
    backtest replays other bars with), and its clear state at any threshold."""

    def __init__(self):
        from commissioner.backtest import FlagRule
        from commissioner.engagement import Policy

        self.policy = Policy.model_defaults()
        self.rule = FlagRule(self.policy)

    def clear_at(self, state: str, score: int, evidence: float, threshold: float) -> bool:
        """Policy.clear, at `threshold` (of the evidence's or another rule's unit)."""
        at = dataclasses.replace(self.policy, drift_evidence=threshold)
        return at.clear(state=state, score=score, weighed=evidence)

    def step(self, state: str, score: int, clear: bool) -> bool:
        return self.rule.step(state, score, clear)


# The watch, other constants --------------------------------------------------------------------


def replay_watch(
    plan,
    records,
    *,
    threshold: int,
    instant: int,
    allowance: int | None = None,
    accumulate=True,
    halve: str | None = "calm",
    cap: int | None = None,
    contact_left: int | None = None,
    handed_over: int = 0,
):
    """The scan's watch (commissioner/trends.watch) over its stored daily figures: the drift
    evidence (each day's stored step, summed) from `threshold`; or, given `allowance`, the
    watch this scan replaced, which summed the day's trend points above `allowance`
    (`accumulate` False: the day's points alone). The evidence halves on the days the partner
    is back at its usual rhythm and (`halve`) the day weighs for its usual self with no report
    or obligation coming in ("calm", as the scan does), or weighs for its usual self whatever
    came in ("weighs", the first rule of 6 December 2026), or every such day ("every", as it did
    until then), or only when the partner is also back on every front ("settled": no report
    missing, no obligation overdue for two weeks, present at the latest meeting), or never
    (None). The evidence is capped at `cap` percent of the threshold (the scan's cap when
    None). A partner whose named contact left lately, no one named in its place, is drifting
    from `contact_left` less evidence (the policy's `drift_contact_left` when None); once a
    successor is named, from `handed_over` less (0, as the scan does). Drifting at once on a day
    of `instant` trend points."""
    from commissioner.engagement import Policy
    from commissioner.trends import evidence_cap, halves

    ceiling = threshold * cap // 100 if cap else evidence_cap(threshold)
    if contact_left is None:
        contact_left = Policy.model_defaults().drift_contact_left

    series: dict[str, evaluate.Series] = defaultdict(evaluate.Series)
    for key, record in records.items():
        flags, evidence = Flags(), 0
        for day in scan_days(plan):
            snap = record.snapshots.get(day)
            if snap is None:
                continue
            today = sum(snap.points.values())
            lowered = (
                contact_left if snap.contact_vacant else handed_over if snap.contact_left else 0
            )
            if snap.state == "too_early":
                state, evidence = "too_early", 0
            else:
                if not accumulate:
                    evidence = today
                else:
                    if (halve == "calm" and halves(snap.back, snap.step, snap.arrivals)) or (
                        snap.back
                        and (
                            halve == "every"
                            or (halve == "weighs" and snap.step <= 0)
                            or (halve == "settled" and snap.settled)
                        )
                    ):
                        evidence //= 2
                    step = snap.step if allowance is None else today - allowance
                    evidence = max(0, min(ceiling, evidence + step))
                drifting = evidence + lowered >= threshold or today >= instant
                state = "drifting" if snap.band == "engaged" and drifting else snap.band
            clear = flags.clear_at(state, snap.score, evidence + lowered, threshold)
            if flags.step(state, snap.score, clear):
                series[key].up[day] = state
    return series


# A joint likelihood ratio ----------------------------------------------------------------------

STARTS = (7, 14, 21, 28, 42, 56, 70, 84)
RECENT, BASELINE = 42, 150
# "Drifting" as the scan's drift evidence takes it (commissioner/trends.py): the same rate and
# presence factors, delay shifts and usual delay; the scan's meeting prior is here a prior worth
# two meetings, before the partner's own meetings say otherwise.


def _delay_ratio(delay: int, usual: float, shift: int, outstanding: bool) -> float:
    """ln P(delay | drifting) / P(delay | usual), delays exponential around their mean; an item
    still outstanding after `delay` days counts by its survival."""
    from commissioner.trends import item_ratios

    per_day, came_in = item_ratios(usual, shift)
    return delay * per_day + (0.0 if outstanding else came_in)


def likelihood_ratio(
    record: Record, day: dt.date, start: dt.date, knows_holidays: bool = False
) -> float:
    """The evidence (log10) that the partner is doing less than its usual self on `day`, from
    what was known by the end of that day: the strongest over the start days of STARTS.
    `knows_holidays`: an oracle that leaves out the days and meetings of the partner's leave
    (no scan can know them; it tells whether the leave is what blurs drift)."""
    # Imported here, as every Django module in this one: the module loads before Django is set up.
    from commissioner.trends import (
        MEETING_PRIOR,
        OBLIGATION_SHIFT,
        RATE_FACTOR,
        REPORT_SHIFT,
        USUAL_DELAY,
        meeting_ratios,
    )

    joined = record.partner.joined
    end = day - RECENT * DAY
    begin = max(joined, end - BASELINE * DAY)
    baseline_days = (end - begin).days
    if baseline_days < 28:
        return 0.0
    seen = sorted(
        {occurred for recorded, occurred in record.activity if recorded <= day and occurred <= day}
    )
    active = bisect.bisect_left(seen, end) - bisect.bisect_left(seen, begin)
    usual = min(0.9, (active + 1) / (baseline_days + 14))
    on_day = math.log(RATE_FACTOR)
    off_day = math.log((1 - usual * RATE_FACTOR) / (1 - usual))
    counted = [(held, status) for held, status, recorded in record.meetings if recorded <= day]
    earlier = [status for held, status in counted if begin <= held < end]
    rates = {
        status: (earlier.count(status) + 2 * prior) / (len(earlier) + 2)
        for status, prior in MEETING_PRIOR.items()
    }
    meeting_ratio = meeting_ratios(rates)
    items: list[tuple[dt.date, float]] = []
    reports = [(period_end, on) for period_end, on in record.reports if on <= day]
    delays = [(on - period_end).days for period_end, on in reports if begin <= on < end]
    usual_delay = max(USUAL_DELAY, statistics.mean(delays) if delays else USUAL_DELAY)
    first_report: dict[dt.date, dt.date] = {}
    for period_end, on in reports:
        first_report[period_end] = min(on, first_report.get(period_end, on))
    horizon = day - (max(STARTS) + 60) * DAY
    for cadence in record.goals:
        period_end = start + cadence * DAY
        while period_end <= day:
            if period_end >= max(joined, horizon):
                on = first_report.get(period_end)
                if on is not None:
                    delay = max(0, (on - period_end).days)
                    items.append((on, _delay_ratio(delay, usual_delay, REPORT_SHIFT, False)))
                else:
                    age = (day - period_end).days
                    items.append((day, _delay_ratio(age, usual_delay, REPORT_SHIFT, True)))
            period_end += cadence * DAY
    for due, met, created in record.obligations:
        if created > day or due > day or due < horizon:
            continue
        if met is not None and met <= day:
            late = max(0, (met - due).days)
            items.append((met, _delay_ratio(late, USUAL_DELAY, OBLIGATION_SHIFT, False)))
        else:
            age = (day - due).days
            items.append((day, _delay_ratio(age, USUAL_DELAY, OBLIGATION_SHIFT, True)))
    leave = record.partner.holiday if knows_holidays else None
    if leave is not None:
        seen = [on for on in seen if not leave[0] <= on <= leave[1]]
        counted = [(held, status) for held, status in counted if not leave[0] <= held <= leave[1]]
    best = 0.0
    for back in STARTS:
        since = max(day - back * DAY, joined - DAY)
        days = (day - since).days
        if leave is not None:
            days -= max(0, (min(day, leave[1]) - max(since + DAY, leave[0])).days + 1)
        active = bisect.bisect_right(seen, day) - bisect.bisect_right(seen, since)
        total = active * on_day + (days - active) * off_day
        total += sum(meeting_ratio[status] for held, status in counted if since < held <= day)
        total += sum(ratio for on, ratio in items if on > since)
        best = max(best, total)
    return best / math.log(10)


def evidence_of(plan, records, knows_holidays=False) -> dict[str, dict[dt.date, float]]:
    """The joint likelihood ratio of every partner on every scan day (once, for every
    threshold)."""
    return {
        key: {
            day: likelihood_ratio(record, day, plan.start, knows_holidays)
            for day in scan_days(plan)
            if (snap := record.snapshots.get(day)) is not None and snap.state != "too_early"
        }
        for key, record in records.items()
    }


def replay_ratio(plan, records, evidence_by_day, *, threshold: float):
    series: dict[str, evaluate.Series] = defaultdict(evaluate.Series)
    for key, record in records.items():
        flags = Flags()
        for day in scan_days(plan):
            snap = record.snapshots.get(day)
            if snap is None:
                continue
            evidence = evidence_by_day[key].get(day, 0.0)
            state = snap.band
            if snap.state == "too_early":
                state = "too_early"
            elif snap.band == "engaged" and evidence >= threshold:
                state = "drifting"
            clear = flags.clear_at(state, snap.score, evidence, threshold)
            if flags.step(state, snap.score, clear):
                series[key].up[day] = state
    return series


# The table ---------------------------------------------------------------------------------------


def rules(shape: str = cohort.USUAL.name) -> list[tuple[str, str, object]]:
    """The rules replayed, the first the watch as it ships (its constants read from the code).
    On another shape of cohort, the watch from other thresholds only: where the policy's
    `drift_evidence` would have to sit for it."""
    from commissioner.engagement import Policy

    policy = Policy.model_defaults()
    evidence, day = policy.drift_evidence, policy.drift_points
    if shape != cohort.USUAL.name:
        return [
            (
                f"the drift evidence as it ships (from {evidence}, one day's points {day})"
                if threshold == evidence
                else f"the drift evidence, from {threshold}",
                "watch",
                (None, threshold, day, True, "calm", None, None, 0),
            )
            for threshold in (evidence, 250, 300, 400)
        ]
    return [
        (
            f"the drift evidence as it ships (from {evidence}, one day's points {day})",
            "watch",
            (None, evidence, day, True, "calm", None, None, 0),
        ),
        *(
            (
                f"the drift evidence, from {other}",
                "watch",
                (None, other, day, True, "calm", None, None, 0),
            )
            for other in (150, 175, 225, 250)
        ),
        *(
            (
                f"the drift evidence, a named contact gone and no one named in its place counting "
                f"{lowered} (the policy's `drift_contact_left`), from {evidence}",
                "watch",
                (None, evidence, day, True, "calm", None, lowered, 0),
            )
            for lowered in (0, 25, 75, 100)
            if lowered != policy.drift_contact_left
        ),
        (
            f"the drift evidence, a named contact gone or changed counting "
            f"{policy.drift_contact_left} though a successor is named (December 2026, until the "
            f"successor counted), from {evidence}",
            "watch",
            (None, evidence, day, True, "calm", None, None, policy.drift_contact_left),
        ),
        *(
            (
                f"the drift evidence {how}, from {evidence}",
                "watch",
                (None, evidence, day, True, mode, cap, None, 0),
            )
            for how, mode, cap in (
                ("halved also on a day a report or an obligation came in", "weighs", None),
                ("capped at twice the threshold", "calm", 200),
                ("with both (the first rule of 6 December 2026)", "weighs", 200),
                (
                    "halved on every day the partner is back, capped at twice the threshold "
                    "(until 6 December 2026)",
                    "every",
                    200,
                ),
                ("halved only when the partner is back on every front", "settled", None),
                ("never halved", None, None),
                ("never halved, capped at twice the threshold", None, 200),
            )
        ),
        (
            "the watch it replaced (trend points above 8 a day summed, from 120; one day 30)",
            "watch",
            (8, 120, 30, True, "every", 200, 0, 0),
        ),
        ("the day's trend points alone, from 15", "watch", (0, 15, 15, False, "every", None, 0, 0)),
        ("the day's trend points alone, from 20", "watch", (0, 20, 20, False, "every", None, 0, 0)),
        ("joint likelihood ratio over 8 spans, from 1.5", "ratio", 1.5),
        ("joint likelihood ratio over 8 spans, from 2", "ratio", 2.0),
        ("joint likelihood ratio over 8 spans, from 2.5", "ratio", 2.5),
        ("joint likelihood ratio knowing every leave (an oracle), from 1.5", "oracle", 1.5),
        ("joint likelihood ratio knowing every leave (an oracle), from 2", "oracle", 2.0),
        ("joint likelihood ratio knowing every leave (an oracle), from 2.5", "oracle", 2.5),
    ]


COLUMNS = (
    ("recall", "{:.2f}"),
    ("lead_median", "{:.0f}"),
    ("false_flags", "{:.0%}"),
    ("flaps", "{:.2f}"),
    ("released", "{:.0%}"),
)


def _cell(values: list[float], fmt: str) -> str:
    low, high, mean = min(values), max(values), statistics.mean(values)
    return f"{fmt.format(low)}-{fmt.format(high)} ({fmt.format(mean)})"


def table(rows: list[tuple[str, list[dict]]], seeds: list[int]) -> str:
    lines = [
        f"Seeds {', '.join(map(str, seeds))}: min-max (mean) over the seeds.",
        "",
        "| rule | recall | median lead (d) | false flags | flaps /100 pm | recoverers released |",
        "|---|---|---|---|---|---|",
        "| *target* | *≥ 0.90* | *≥ 30* | *≤ 10%* | *≤ 1* | *≥ 90%* |",
    ]
    for label, results in rows:
        cells = [_cell([r[name] for r in results], fmt) for name, fmt in COLUMNS]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--workdir", type=Path, default=evaluate.WORKDIR)
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--shape", default=cohort.USUAL.name, choices=sorted(cohort.SHAPES))
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s]
    evaluate.setup_django(args.workdir / f"seed-{seeds[0]}.sqlite3")
    worlds = [load(seed, args.workdir, args.shape) for seed in seeds]
    wanted = rules(args.shape)
    ratios = oracles = [{} for _ in worlds]
    if any(kind != "watch" for _label, kind, _setting in wanted):
        ratios = [evidence_of(plan, records) for plan, records in worlds]
        oracles = [evidence_of(plan, records, knows_holidays=True) for plan, records in worlds]
    rows = []
    for label, kind, setting in wanted:
        print(f"{label}...", file=sys.stderr)
        results = []
        for (plan, records), ratio, oracle in zip(worlds, ratios, oracles, strict=True):
            if kind == "watch":
                allowance, threshold, instant, accumulate, halve, cap, lowered, handed = setting
                series = replay_watch(
                    plan,
                    records,
                    allowance=allowance,
                    threshold=threshold,
                    instant=instant,
                    accumulate=accumulate,
                    halve=halve,
                    cap=cap,
                    contact_left=lowered,
                    handed_over=handed,
                )
            else:
                evidence_by_day = oracle if kind == "oracle" else ratio
                series = replay_ratio(plan, records, evidence_by_day, threshold=setting)
            results.append(evaluate.metrics(plan, series, scan_days(plan)))
        rows.append((label, results))
    text = table(rows, seeds)
    print(text)
    if args.write_docs:
        evaluate.write_block(*evaluate.markers("frontier", args.shape), text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
