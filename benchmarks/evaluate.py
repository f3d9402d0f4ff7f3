"""`make evaluate`: does the early warning warn early, and rightly? (docs/engagement.md)

For each seed it builds a synthetic cohort with known outcomes (benchmarks/cohort.py) in a
database of its own (a fresh SQLite file under var/evaluate/), feeds every event through the
services with the clock at the event's time, runs the real engagement scan every morning, and
reads which partners have a flag up. The same events are judged by a "no activity for 30 days"
baseline. It prints, per seed, for the scan and the baseline:

- recall: drifting and silent partners warned between the start of their drift (the day of
  silence for sudden silence) and 14 days after silence;
- lead: for drifters, days from the raising of the warning still up on the day of silence to
  that day (0 when none is up); median and 25th percentile;
- false flags: steady partners (joiners included) ever flagged;
- flaps per 100 partner-months: flags raised again within 14 days of closing;
- recoverers released: recoverers flagged during their dip whose flag is down 30 days after.

    python -m benchmarks.evaluate [--seeds 1,2,3] [--collaborations 20] [--write-docs]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import shutil
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from benchmarks.cohort import SHAPES, USUAL
from benchmarks.evaluate_tables import (
    ABLATION_BEGIN,
    ABLATION_END,
    ablation_table,
    all_met,
    table,
)

ROOT = Path(__file__).resolve().parent.parent
WORKDIR = ROOT / "var" / "evaluate"
REPORT = ROOT / "docs" / "engagement.md"


def seed_name(seed: int, shape: str = USUAL.name) -> str:
    """The stem of a seed's database under WORKDIR: another shape's cohort has files of its
    own (`benchmarks.frontier --shape` reads them; `benchmarks.bound` models the usual one
    only)."""
    return f"seed-{seed}" if shape == USUAL.name else f"seed-{seed}-{shape}"


def markers(block: str, shape: str = USUAL.name) -> tuple[str, str]:
    """The markers of a block of docs/engagement.md ("evaluate", "frontier"), one per shape."""
    name = block if shape == USUAL.name else f"{block}-{shape}"
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


BEGIN, END = markers("evaluate")

BASELINE_SILENT_DAYS = 30

# What each signal contributes (--ablate): the same cohorts scanned with one signal switched
# off at a time. Each takes away trend points (their keys in commissioner.trends.trend_points),
# terms of the drift evidence ("evidence:" and their signal in commissioner.trends.drift_terms),
# or overrides policy settings; "all signals" is the scan as it ships.
ABLATIONS: dict[str, tuple[str, tuple[str, ...], dict[str, int]]] = {
    "attendance": (
        "attendance (its trend and its drift evidence)",
        ("attendance", "evidence:attendance"),
        {},
    ),
    "contact": (
        "signs of life (contact and silence against the own rhythm, and their drift evidence)",
        ("contact", "silence", "evidence:contact"),
        {},
    ),
    "reports": (
        "goal reports (lateness trend and drift evidence)",
        ("report_delay", "evidence:reports"),
        {},
    ),
    "obligations": (
        "obligations (lateness trend and drift evidence)",
        ("obligation_late", "evidence:obligations"),
        {},
    ),
    "score-trend": ("score trend", ("score",), {}),
    "all-trends": (
        "every trend and the drift evidence (no drifting state)",
        (
            "attendance",
            "contact",
            "silence",
            "obligation_late",
            "report_delay",
            "score",
            "evidence:attendance",
            "evidence:contact",
            "evidence:reports",
            "evidence:obligations",
        ),
        {},
    ),
    "contact-change": (
        "a named contact gone or changed (its points, and the lower bar while no one is named)",
        (),
        {"points_contact_left": 0, "drift_contact_left": 0},
    ),
    "relationship": (
        "the other relationship points (one active contact, a partner withdrawn)",
        (),
        {"points_single_contact": 0, "points_partner_withdrew": 0},
    ),
    "hysteresis": (
        "K scans and the release margin (raise and close on one scan)",
        (),
        {"flag_after_scans": 1, "release_margin": 0},
    ),
    "attendance-grace": ("grace for unrecorded attendance", (), {"attendance_grace_days": 0}),
    "new-partner-wait": (
        "too early to tell for new partners",
        (),
        {"new_partner_days": 0, "new_partner_meetings": 0},
    ),
}


def setup_django(database: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collabhub.settings.test")
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


class Clock:
    """The services' clock: django.utils.timezone.now, and the model defaults that captured it."""

    def __init__(self):
        self.now = None

    def __call__(self):
        return self.now

    def install(self):
        """Once per process: every World shares this clock (a field's default is cached by
        Django on first use, so a second clock would never reach it)."""
        from django.apps import apps
        from django.utils import timezone

        real = timezone.now
        if real is self:
            return
        timezone.now = self
        for model in apps.get_models():
            for model_field in model._meta.concrete_fields:
                if model_field.default is real:
                    model_field.default = self
                    model_field.__dict__.pop("_get_default", None)


CLOCK = Clock()


@dataclass
class Series:
    """Which scan days a partner had a warning up, and its kind."""

    up: dict[dt.date, str] = field(default_factory=dict)
    # The reasons of each flag on the day it was first seen up.
    reasons: dict[dt.date, list] = field(default_factory=dict)


def run_seed(
    seed: int,
    collaborations: int,
    template: Path,
    verbose: bool,
    without: str | None = None,
    shape: str = USUAL.name,
) -> dict:
    from django.core.cache import cache
    from django.db import connection

    from benchmarks import cohort
    from commissioner import trends

    _label, dropped, overrides = ABLATIONS[without] if without else ("", (), {})
    shipped = getattr(trends.trend_points, "shipped", trends.trend_points)
    shipped_terms = getattr(trends.drift_terms, "shipped", trends.drift_terms)
    trends.trend_points, trends.drift_terms = shipped, shipped_terms
    if dropped:

        def trend_points(*args, **kwargs):
            return {k: v for k, v in shipped(*args, **kwargs).items() if k not in dropped}

        def drift_terms(*args, **kwargs):
            return [
                (signal, value)
                for signal, value in shipped_terms(*args, **kwargs)
                if f"evidence:{signal}" not in dropped
            ]

        trend_points.shipped = shipped  # type: ignore[attr-defined]
        drift_terms.shipped = shipped_terms  # type: ignore[attr-defined]
        trends.trend_points, trends.drift_terms = trend_points, drift_terms

    plan = cohort.build(seed, collaborations=collaborations, shape=cohort.SHAPES[shape])
    # Each seed is a world of its own: nothing remembered from the previous one (the ids repeat
    # from one fresh database to the next, and the API-use memo is keyed by them).
    cache.clear()
    # An ablation scans a database of its own, dropped when it is measured: seed-N.sqlite3 stays
    # the scan as it ships, which benchmarks/frontier.py reads.
    name = seed_name(seed, shape)
    database = WORKDIR / (f"{name}-without-{without}.sqlite3" if without else f"{name}.sqlite3")
    # A write-ahead log left by an earlier run would be replayed into the fresh copy.
    remove_database(database)
    shutil.copyfile(template, database)
    connection.close()
    connection.settings_dict["NAME"] = str(database)
    started = time.perf_counter()
    world = World(plan)
    world.create(policy=overrides)
    scan_series, scanned_days = world.replay(verbose=verbose)
    baseline_series = world.baseline()
    elapsed = time.perf_counter() - started
    if verbose:
        explain(plan, scan_series)
    if without:
        connection.close()
        remove_database(database)
    return {
        "seed": seed,
        "partners": len(plan.partners),
        "kinds": {
            kind: sum(1 for p in plan.partners if p.kind == kind)
            for kind in (
                cohort.STEADY,
                cohort.JOINER,
                cohort.DRIFTER,
                cohort.SUDDEN,
                cohort.RECOVERER,
            )
        },
        "scan": metrics(plan, scan_series, scanned_days),
        "baseline": metrics(plan, baseline_series, scanned_days),
        "seconds": elapsed,
        "refused": world.refused,
    }


def remove_database(database: Path) -> None:
    """A SQLite file and its write-ahead log, if they exist."""
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        path.unlink(missing_ok=True)


class World:
    """The cohort's rows, and the feeding of its events through the services."""

    def __init__(self, plan):
        self.plan = plan
        self.clock = CLOCK
        self.clock.install()
        self.refused = 0

    def aware(self, moment: dt.datetime) -> dt.datetime:
        from django.utils import timezone

        return timezone.make_aware(moment)

    def create(self, policy: dict | None = None) -> None:
        from agreements.models import Collaboration, Obligation, Participation, Role, SharedGoal
        from commissioner.models import EngagementPolicy
        from partners.models import Contact, Organisation, User

        plan = self.plan
        self.clock.now = self.aware(dt.datetime.combine(plan.start, dt.time(8)))
        self.admin = User.objects.create_user(
            "evaluator", "evaluator@example.org", "x", role=User.Role.ADMINISTRATOR
        )
        EngagementPolicy.objects.get_or_create(collaboration=None)
        if policy:
            EngagementPolicy.objects.filter(collaboration=None).update(**policy)
        organisations = {}
        for partner in plan.partners:
            if partner.organisation not in organisations:
                organisation = Organisation.objects.create(
                    name=f"Organisation {partner.organisation}",
                    short_name=f"O{partner.organisation}",
                    slug=f"organisation-{partner.organisation}",
                    kind=Organisation.Kind.MUNICIPALITY,
                )
                organisations[partner.organisation] = organisation
                for n in range(1 + (partner.organisation % 3 != 0)):
                    Contact.objects.create(
                        organisation=organisation,
                        name=f"Contact {n}",
                        email=f"c{n}@o{partner.organisation}.example.org",
                        is_primary=n == 0,
                    )
        # Each participation names its organisation's primary contact (staff turnover replaces it).
        named = {c.organisation_id: c for c in Contact.objects.filter(is_primary=True)}
        self.collaborations, self.goals = {}, {}
        for collaboration in plan.collaborations:
            members = [p for p in plan.partners if p.collaboration == collaboration.number]
            row = Collaboration.objects.create(
                title=f"Collaboration {collaboration.number}",
                slug=f"collaboration-{collaboration.number}",
                structure="collaborative_partnership",
                status=Collaboration.Status.ACTIVE,
                lead_organisation=organisations[members[0].organisation],
                commissioner=self.admin,
                start_date=plan.start,
            )
            self.collaborations[collaboration.number] = row
            for index, cadence in enumerate(collaboration.goals):
                goal = SharedGoal.objects.create(
                    collaboration=row,
                    title=f"Goal {index}",
                    indicator="Households served",
                    unit="households",
                    baseline=Decimal(0),
                    target=Decimal(100),
                    cadence=SharedGoal.Cadence.MONTHLY
                    if cadence == 30
                    else SharedGoal.Cadence.QUARTERLY,
                )
                self.goals[(collaboration.number, index)] = goal
        self.participations = {}
        for partner in plan.partners:
            self.participations[partner.key] = Participation.objects.create(
                collaboration=self.collaborations[partner.collaboration],
                organisation=organisations[partner.organisation],
                role=Role.PARTNER,
                status=Participation.Status.ACTIVE,
                joined_on=partner.joined,
                contact=named[organisations[partner.organisation].pk],
            )
        self.obligations = {}
        partners = {p.key: p for p in plan.partners}
        for key, due, created in plan.obligations:
            partner = partners[key]
            obligation = Obligation.objects.create(
                collaboration=self.collaborations[partner.collaboration],
                organisation=organisations[partner.organisation],
                kind=Obligation.Kind.FUNDING,
                description=f"Contribution due {due}",
                due_date=due,
            )
            Obligation.objects.filter(pk=obligation.pk).update(
                created_at=self.aware(dt.datetime.combine(created, dt.time(9)))
            )
            self.obligations[(key, due)] = obligation
        start = self.aware(dt.datetime.combine(plan.start, dt.time(8)))
        SharedGoal.objects.update(created_at=start)
        self.partners = partners
        self.meetings = {}

    def feed(self, event) -> None:
        from django.core.exceptions import PermissionDenied

        from agreements import services as agreements
        from commissioner import services as commissioner
        from core.errors import DomainError

        self.clock.now = self.aware(event.at)
        participation = self.participations.get(event.partner)
        try:
            if event.kind == "meeting":
                self.meetings[(event.collaboration, event.data["number"])] = (
                    commissioner.meeting_create(
                        actor=self.admin,
                        collaboration=self.collaborations[event.collaboration],
                        title=f"Meeting {event.data['number']}",
                        held_at=self.aware(event.data["held"]),
                    )
                )
            elif event.kind == "attendance":
                commissioner.attendance_record(
                    actor=self.admin,
                    meeting=self.meetings[(event.collaboration, event.data["number"])],
                    participation=participation,
                    status=event.data["status"],
                )
            elif event.kind == "checkin":
                commissioner.checkin_log(
                    actor=self.admin, participation=participation, description="Call"
                )
            elif event.kind in ("api", "api_none"):
                touched = participation.collaboration_id if event.kind == "api" else None
                self.api_use(participation, touched)
            elif event.kind == "measurement":
                agreements.measurement_report(
                    actor=self.admin,
                    goal=self.goals[(event.collaboration, event.data["goal"])],
                    value=Decimal(10),
                    period_end=event.data["period_end"],
                    organisation=participation.organisation,
                )
            elif event.kind in ("contact_left", "contact_named"):
                self.turnover(participation, event)
            elif event.kind == "obligation_met":
                agreements.obligation_mark_met(
                    obligation=self.obligations[(event.partner, event.data["due"])],
                    actor=self.admin,
                    evidence="Done",
                )
        except (DomainError, PermissionDenied, KeyError):
            self.refused += 1

    def turnover(self, participation, event) -> None:
        """Staff record that the named contact left (made inactive, as the contact form does),
        or name its successor (a new contact, named on the participation and, as the form
        offers by default, on the organisation's others that named the one who left)."""
        from agreements import services as agreements
        from partners import services as partners

        participation.refresh_from_db()
        if event.kind == "contact_left":
            contact = participation.contact
            if contact is not None and contact.is_active:  # not already gone from another one
                partners.contact_update(
                    actor=self.admin, contact=contact, is_active=False, is_primary=False
                )
            return
        successor = partners.contact_create(
            actor=self.admin,
            organisation=participation.organisation,
            name=f"Successor for {event.partner}",
            email=f"successor.{event.partner}@o{participation.organisation_id}.example.org",
        )
        # As the participation form does by default: named wherever the departed contact was.
        agreements.participation_update(
            actor=self.admin, participation=participation, contact=successor, everywhere=True
        )

    def api_use(self, participation, collaboration_id) -> None:
        """A partner's API request; `collaboration_id` is the collaboration it touched (None:
        none in particular), as the API views record it (core/api.py: CreditsApiUse)."""
        import inspect

        from commissioner import services as commissioner

        organisation_id = participation.organisation_id
        if "collaboration_id" in inspect.signature(commissioner.api_use_record).parameters:
            if collaboration_id is not None:
                commissioner.api_use_record(
                    organisation_id=organisation_id, collaboration_id=collaboration_id
                )
        else:  # the scan before per-collaboration crediting: every collaboration of the caller
            commissioner.api_use_record(organisation_id=organisation_id)

    def replay(self, *, verbose: bool):
        from commissioner.models import Flag
        from commissioner.reasons import render_all
        from commissioner.services import engagement_scan

        plan = self.plan
        events = iter(plan.events)
        pending = next(events, None)
        series: dict[str, Series] = defaultdict(Series)
        key_of = {p.pk: key for key, p in self.participations.items()}
        scanned_days = {}
        day = plan.start
        while day <= plan.scans_to:
            if day >= plan.scans_from:
                self.clock.now = self.aware(dt.datetime.combine(day, dt.time(5)))
                engagement_scan(scan_date=day, send_digests=False)
                for pk, state, reasons in Flag.objects.filter(
                    status__in=Flag.OPEN_STATUSES
                ).values_list("participation_id", flag_state_field(), "reason_codes"):
                    partner_series = series[key_of[pk]]
                    if day - dt.timedelta(days=1) not in partner_series.up:
                        partner_series.reasons[day] = render_all(reasons, day)
                    partner_series.up[day] = state
                scanned_days[day] = True
                if verbose and day.day == 1:
                    print(f"  scanned {day}", file=sys.stderr)
            end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
            while pending is not None and pending.at < end:
                self.feed(pending)
                pending = next(events, None)
            day += dt.timedelta(days=1)
        return series, sorted(scanned_days)

    def baseline(self) -> dict[str, Series]:
        """ "No activity for 30 days": up on each scan day on which the partner's latest recorded
        sign of life is 30 or more days old."""
        from django.utils import timezone

        from commissioner.models import Activity

        plan = self.plan
        recorded = "recorded_at" if has_field(Activity, "recorded_at") else "occurred_at"
        seen: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
        for pk, occurred, known in Activity.objects.values_list(
            "participation_id", "occurred_at", recorded
        ):
            seen[pk].append((timezone.localdate(known), timezone.localdate(occurred)))
        series: dict[str, Series] = defaultdict(Series)
        for key, participation in self.participations.items():
            marks = sorted(seen.get(participation.pk, []))
            last, index = participation.joined_on, 0
            day = plan.scans_from
            while day <= plan.scans_to:
                while index < len(marks) and marks[index][0] <= day:
                    last = max(last, marks[index][1])
                    index += 1
                if day >= participation.joined_on and (day - last).days >= BASELINE_SILENT_DAYS:
                    series[key].up[day] = "silent"
                day += dt.timedelta(days=1)
        return series


def explain(plan, series) -> None:
    """Each flag raised, with the partner's kind and its reasons (--verbose)."""
    for partner in plan.partners:
        for day, reasons in sorted(series[partner.key].reasons.items()):
            where = ""
            if partner.silence:
                where = f" silence {partner.silence} ({(partner.silence - day).days} d after)"
            if partner.drift_start:
                where += f" drift from {partner.drift_start}"
            if partner.dip:
                where += f" dip {partner.dip[0]}..{partner.dip[1]}"
            print(f"{partner.kind:9} {partner.key:8} {day} {series[partner.key].up[day]}{where}")
            for reason in reasons:
                print(f"      {reason}")


def has_field(model, name: str) -> bool:
    return any(f.name == name for f in model._meta.get_fields())


def flag_state_field() -> str:
    from commissioner.models import Flag

    return "state" if has_field(Flag, "state") else "band"


def episodes(up: dict[dt.date, str], days: list[dt.date]) -> list[tuple[dt.date, dt.date | None]]:
    """(raised, closed) of each stretch of days a warning was up."""
    result, raised = [], None
    for day in days:
        if day in up and raised is None:
            raised = day
        elif day not in up and raised is not None:
            result.append((raised, day))
            raised = None
    if raised is not None:
        result.append((raised, None))
    return result


def metrics(plan, series: dict[str, Series], days: list[dt.date]) -> dict:
    from benchmarks import cohort

    one_day = dt.timedelta(days=1)
    warned = missed = 0
    # Warned and all, of each kind: recall splits into drifters and sudden silences.
    by_kind: dict[str, list[int]] = {cohort.DRIFTER: [0, 0], cohort.SUDDEN: [0, 0]}
    leads, steady_flagged, steady = [], 0, 0
    flaps, partner_days = 0, 0
    recoverers_flagged = recoverers_released = 0
    for partner in plan.partners:
        up = series[partner.key].up if partner.key in series else {}
        own_days = [d for d in days if d >= partner.joined]
        partner_days += len(own_days)
        stretches = episodes(up, own_days)
        for (_raised, closed), (raised_again, _closed) in itertools.pairwise(stretches):
            if closed is not None and (raised_again - closed).days <= 14:
                flaps += 1
        if partner.kind in (cohort.STEADY, cohort.JOINER):
            steady += 1
            steady_flagged += bool(stretches)
        elif partner.kind in (cohort.DRIFTER, cohort.SUDDEN):
            since = partner.drift_start or partner.silence
            until = partner.silence + dt.timedelta(days=14)
            caught = any(since <= day <= until for day in up)
            warned += caught
            missed += not caught
            by_kind[partner.kind][0] += caught
            by_kind[partner.kind][1] += 1
            if partner.kind == cohort.DRIFTER:
                lead = 0
                if partner.silence in up:
                    start = partner.silence
                    while start - one_day in up:
                        start -= one_day
                    lead = (partner.silence - start).days
                leads.append(lead)
        elif partner.kind == cohort.RECOVERER:
            dip_start, dip_end = partner.dip
            if any(dip_start <= day <= dip_end + dt.timedelta(days=30) for day in up):
                recoverers_flagged += 1
                recoverers_released += (dip_end + dt.timedelta(days=30)) not in up
    leads.sort()
    return {
        "recall": warned / max(1, warned + missed),
        "recall_drifters": by_kind[cohort.DRIFTER][0] / max(1, by_kind[cohort.DRIFTER][1]),
        "recall_sudden": by_kind[cohort.SUDDEN][0] / max(1, by_kind[cohort.SUDDEN][1]),
        "lead_median": statistics.median(leads) if leads else 0,
        "lead_p25": leads[len(leads) // 4] if leads else 0,
        "false_flags": steady_flagged / max(1, steady),
        "flaps": 100 * flaps / max(1, partner_days / 30.44),
        "released": recoverers_released / recoverers_flagged if recoverers_flagged else 1.0,
        "recoverers_flagged": recoverers_flagged,
        "warned": warned,
        "at_risk_partners": warned + missed,
    }


def replace_block(report: str, begin: str, end: str, block: str) -> str:
    """`report` with the text between the markers `begin` and `end` replaced by `block`."""
    head, rest = report.split(begin, 1)
    _old, tail = rest.split(end, 1)
    return f"{head}{begin}\n{block}\n{end}{tail}"


def write_block(begin: str, end: str, block: str) -> None:
    """Replace the text between two markers of docs/engagement.md (REPORT)."""
    REPORT.write_text(replace_block(REPORT.read_text(), begin, end, block))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--collaborations", type=int, default=20)
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument(
        "--shape",
        default=USUAL.name,
        choices=sorted(SHAPES),
        help="the cohort's habits (benchmarks/cohort.py): the usual one every figure is tuned "
        "on, or a shifted one no setting was tuned to",
    )
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument(
        "--ablate",
        action="store_true",
        help="also scan with each signal switched off in turn (what each contributes)",
    )
    args = parser.parse_args(argv)
    WORKDIR.mkdir(parents=True, exist_ok=True)
    # One template per run: two runs at once (different seeds) each rebuilt the same file
    # under the other.
    template = WORKDIR / f"template-{os.getpid()}.sqlite3"
    remove_database(template)
    try:
        return _evaluate(args, template)
    finally:
        remove_database(template)


def _evaluate(args, template: Path) -> int:
    setup_django(template)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import connection

    # SQLite runs in WAL mode (collabhub/settings): fold the log into the file before copying it.
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    import logging

    logging.getLogger("commissioner").setLevel(logging.WARNING)
    results = []
    for seed in [int(s) for s in args.seeds.split(",") if s]:
        print(f"seed {seed}...", file=sys.stderr)
        results.append(
            run_seed(seed, args.collaborations, template, args.verbose, shape=args.shape)
        )
    text = table(results)
    print(text)
    seeds = [int(s) for s in args.seeds.split(",") if s]
    ablation = ""
    if args.ablate:
        rows = [("nothing (the scan as it ships)", results)]
        for name, (label, _dropped, _overrides) in ABLATIONS.items():
            print(f"without {name}...", file=sys.stderr)
            rows.append(
                (
                    label,
                    [
                        run_seed(
                            seed,
                            args.collaborations,
                            template,
                            False,
                            without=name,
                            shape=args.shape,
                        )
                        for seed in seeds
                    ],
                )
            )
        ablation = ablation_table(rows)
        print("\n" + ablation)
    if args.write_docs:
        report = REPORT.read_text()
        blocks = ((BEGIN, END, text), (ABLATION_BEGIN, ABLATION_END, ablation))
        if args.shape != USUAL.name:  # another shape's ablation stays out of the docs
            blocks = ((*markers("evaluate", args.shape), text),)
        for begin, end, block in blocks:
            if block and begin in report:
                report = replace_block(report, begin, end, block)
        REPORT.write_text(report)
    return 0 if all_met(results) else 1


if __name__ == "__main__":
    sys.exit(main())
