"""How engagement is scored (docs/engagement.md): the policy in force, the figures of a batch of
participations read with a fixed number of aggregate queries, and the pure function that turns
one participation's figures into components, a score, a band and human-readable reasons."""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections import defaultdict
from dataclasses import dataclass, field, fields
from fractions import Fraction
from functools import cached_property

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from agreements.models import (
    Agreement,
    Measurement,
    Obligation,
    SharedGoal,
    Signatory,
)

from .models import Activity, Attendance, Band, EngagementPolicy, Meeting

# Days of one reporting period of each goal cadence.
CADENCE_DAYS = {
    SharedGoal.Cadence.MONTHLY: 30,
    SharedGoal.Cadence.QUARTERLY: 91,
    SharedGoal.Cadence.YEARLY: 365,
}
# An agreement circulating for more than this many days counts against a signatory that has
# not signed it.
SIGNATURE_GRACE_DAYS = 14
SIGNALS = ("attendance", "obligations", "reporting", "recency", "signatures")
ATTENDED = (Attendance.Status.PRESENT, Attendance.Status.APOLOGIES)


# Policy -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """The thresholds in force for one collaboration."""

    window_days: int = 90
    weight_attendance: int = 30
    weight_obligations: int = 25
    weight_reporting: int = 15
    weight_recency: int = 20
    weight_signatures: int = 10
    engaged_min: int = 70
    at_risk_min: int = 40
    inactivity_days: int = 60
    overdue_grace_days: int = 60

    @classmethod
    def from_row(cls, row: EngagementPolicy | dict | None) -> Policy:
        if row is None:
            return cls.model_defaults()
        get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
        return cls(**{f.name: get(f.name) for f in fields(cls)})

    @classmethod
    def model_defaults(cls) -> Policy:
        """The defaults declared on EngagementPolicy's fields (used when no row exists)."""
        return cls(
            **{f.name: EngagementPolicy._meta.get_field(f.name).default for f in fields(cls)}
        )

    def weight(self, signal: str) -> int:
        return getattr(self, f"weight_{signal}")

    @cached_property
    def weights(self) -> tuple[int, ...]:
        """The weight of each of SIGNALS, in order."""
        return tuple(self.weight(signal) for signal in SIGNALS)


POLICY_FIELDS = [f.name for f in fields(Policy)]


def default_policy() -> Policy:
    """The system default: the policy row without a collaboration, else the model defaults."""
    row = EngagementPolicy.objects.filter(collaboration__isnull=True).values(*POLICY_FIELDS).first()
    return Policy.from_row(row)


def policies_for(collaboration_ids, *, default: Policy) -> dict[int, Policy]:
    """The policy in force for each collaboration (one query): its own row, else `default`."""
    overrides = {
        row["collaboration_id"]: Policy.from_row(row)
        for row in EngagementPolicy.objects.filter(collaboration_id__in=collaboration_ids).values(
            "collaboration_id", *POLICY_FIELDS
        )
    }
    return {pk: overrides.get(pk, default) for pk in collaboration_ids}


# Figures and the score ------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """Everything the scan read about one participation on one scan date."""

    meetings_held: int = 0
    meetings_present: int = 0
    meetings_apologies: int = 0
    consecutive_absences: int = 0
    obligations_due: int = 0
    # Days overdue of each outstanding obligation whose due date has passed.
    overdue_days: tuple[int, ...] = ()
    reports_expected: int = 0
    reports_made: int = 0
    days_since_activity: int = 0
    signatures_pending: int = 0
    max_days_awaiting_signature: int = 0

    @property
    def meetings_missed(self) -> int:
        return self.meetings_held - self.meetings_present

    @property
    def obligations_overdue(self) -> int:
        return len(self.overdue_days)

    @property
    def max_days_overdue(self) -> int:
        return max(self.overdue_days, default=0)

    @property
    def reports_missing(self) -> int:
        return self.reports_expected - self.reports_made


@dataclass(frozen=True)
class Assessment:
    figures: Figures
    # Each signal's component as an exact (numerator, denominator); see ratios_for.
    ratios: dict[str, tuple[int, int]]
    score: int
    band: str
    reasons: list[str] = field(default_factory=list)

    @property
    def components(self) -> dict[str, Fraction]:
        return {signal: Fraction(n, d) for signal, (n, d) in self.ratios.items()}

    @property
    def attendance_rate(self) -> Fraction | None:
        return self.components["attendance"] if self.figures.meetings_held else None


def ratios_for(figures: Figures, policy: Policy) -> dict[str, tuple[int, int]]:
    """Each signal as an exact ratio (numerator, denominator > 0) in [0, 1]; 1 is perfect.
    Integers rather than Fractions: the scan scores every partner every day."""
    f = figures
    if f.meetings_held:
        # Present counts 1, apologies ½.
        attendance = (2 * f.meetings_present + f.meetings_apologies, 2 * f.meetings_held)
    else:
        attendance = (1, 1)
    # 1 - Σ min(days / grace, 1) / max(1, due), at least 0.
    grace = max(1, policy.overdue_grace_days)
    whole = grace * max(1, f.obligations_due)
    obligations = (max(0, whole - sum(min(days, grace) for days in f.overdue_days)), whole)
    reporting = (f.reports_made, f.reports_expected) if f.reports_expected else (1, 1)
    inactivity = max(1, policy.inactivity_days)
    recency = (max(0, inactivity - f.days_since_activity), inactivity)
    signatures = (0, 1) if f.signatures_pending else (1, 1)
    return {
        "attendance": attendance,
        "obligations": obligations,
        "reporting": reporting,
        "recency": recency,
        "signatures": signatures,
    }


def components_for(figures: Figures, policy: Policy) -> dict[str, Fraction]:
    """Each signal as an exact fraction in [0, 1]; 1 is perfect."""
    return {
        signal: Fraction(numerator, denominator)
        for signal, (numerator, denominator) in ratios_for(figures, policy).items()
    }


def band_for(score: int, policy: Policy) -> str:
    if score >= policy.engaged_min:
        return Band.ENGAGED
    if score >= policy.at_risk_min:
        return Band.AT_RISK
    return Band.DISENGAGED


def score_for(components: dict[str, Fraction], policy: Policy) -> int:
    """round(100 · Σ weight·component / Σ weight), halves rounded up, computed exactly."""
    total_weight = sum(policy.weight(signal) for signal in SIGNALS)
    if total_weight == 0:
        return 100
    weighted = sum(policy.weight(signal) * components[signal] for signal in SIGNALS)
    exact = 100 * Fraction(weighted) / total_weight
    return int(exact + Fraction(1, 2)) if exact >= 0 else 0


# The figures each reason quotes: reason_for caches its text on these.
REASON_FIGURES = {
    "attendance": (
        "meetings_missed",
        "meetings_held",
        "meetings_apologies",
        "consecutive_absences",
    ),
    "obligations": ("obligations_overdue", "max_days_overdue"),
    "reporting": ("reports_missing", "reports_expected"),
    "recency": ("days_since_activity",),
    "signatures": ("signatures_pending", "max_days_awaiting_signature"),
}


def reason_for(signal: str, figures: Figures, language: str | None = None) -> str:
    """Why `signal` lost points, in words, in `language` (by default the active one)."""
    numbers = tuple(getattr(figures, name) for name in REASON_FIGURES[signal])
    return _reason_text(language or get_language(), signal, numbers)


@functools.lru_cache(maxsize=4096)
def _reason_text(language: str | None, signal: str, numbers: tuple[int, ...]) -> str:
    """Cached per language and figures: Django's (n)gettext walks every catalogue on each call,
    which cost the scan more than its arithmetic; the same few hundred sentences recur."""
    if signal == "attendance":
        missed, held, apologies, in_a_row = numbers
        text = _("missed %(missed)s of the last %(held)s meetings") % {
            "missed": missed,
            "held": held,
        }
        if apologies:
            text += " " + (
                ngettext(
                    "(apologies sent for %(count)s)",
                    "(apologies sent for %(count)s)",
                    apologies,
                )
                % {"count": apologies}
            )
        if 2 <= in_a_row < held:
            text += ", " + _("the last %(count)s in a row") % {"count": in_a_row}
        return text
    if signal == "obligations":
        overdue, days = numbers
        if overdue == 1:
            return ngettext(
                "1 obligation overdue by %(days)s day",
                "1 obligation overdue by %(days)s days",
                days,
            ) % {"days": days}
        return _("%(count)s obligations overdue, oldest %(days)s days") % {
            "count": overdue,
            "days": days,
        }
    if signal == "reporting":
        missing, expected = numbers
        return ngettext(
            "%(missing)s of %(expected)s goal report missing",
            "%(missing)s of %(expected)s goal reports missing",
            expected,
        ) % {"missing": missing, "expected": expected}
    if signal == "recency":
        (days,) = numbers
        return ngettext("no activity in %(days)s day", "no activity in %(days)s days", days) % {
            "days": days
        }
    if signal == "signatures":
        pending, days = numbers
        if pending == 1:
            return ngettext(
                "1 agreement awaiting signature for %(days)s day",
                "1 agreement awaiting signature for %(days)s days",
                days,
            ) % {"days": days}
        return _("%(count)s agreements awaiting signature, oldest %(days)s days") % {
            "count": pending,
            "days": days,
        }
    raise ValueError(signal)


def assess(figures: Figures, policy: Policy) -> Assessment:
    """Components, score, band, and one reason per component that lost points, the component
    that cost most first. The same arithmetic as score_for, in integers over a common
    denominator (exact, and several times faster than Fractions)."""
    ratios = ratios_for(figures, policy)
    weights = policy.weights
    total_weight = sum(weights)
    common = math.lcm(*(denominator for _numerator, denominator in ratios.values()))
    if total_weight == 0:
        score = 100
    else:
        weighted = sum(
            weight * numerator * (common // denominator)
            for weight, (numerator, denominator) in zip(weights, ratios.values(), strict=True)
        )
        # round(100 · weighted / (total · common)), halves up.
        score = (200 * weighted + total_weight * common) // (2 * total_weight * common)
    lost = [
        # Points lost, scaled by the common denominator: exact, so ties fall back to the order.
        (weight * (denominator - numerator) * (common // denominator), index, signal)
        for index, (signal, weight, (numerator, denominator)) in enumerate(
            zip(SIGNALS, weights, ratios.values(), strict=True)
        )
        if numerator < denominator and weight > 0
    ]
    lost.sort(key=lambda item: (-item[0], item[1]))
    language = get_language()
    reasons = [reason_for(signal, figures, language) for _lost, _index, signal in lost]
    return Assessment(
        figures=figures,
        ratios=ratios,
        score=score,
        band=band_for(score, policy),
        reasons=reasons,
    )


# Reading the figures of a batch ---------------------------------------------------------------


@dataclass(frozen=True)
class ParticipationRow:
    pk: int
    collaboration_id: int
    organisation_id: int
    joined_on: dt.date


@dataclass
class Day:
    """The scan date and the instants that bound it in the deployment's time zone."""

    date: dt.date
    # Nothing later than this counts (the start of the next day).
    end: dt.datetime
    # Meetings count once they have started: the end of the day, or now for today's scan.
    meetings_end: dt.datetime

    @classmethod
    def of(cls, scan_date: dt.date, now: dt.datetime | None = None) -> Day:
        now = now or timezone.now()
        end = start_of(scan_date + dt.timedelta(days=1))
        return cls(date=scan_date, end=end, meetings_end=min(end, now))

    def window_start(self, policy: Policy) -> dt.date:
        return self.date - dt.timedelta(days=policy.window_days)


def in_batch(rows: list[ParticipationRow]) -> dict[str, int]:
    """Filter arguments: participation ids from the batch's first to its last (the batch is
    ordered by id). Queries of rows keyed by
    participation filter on this range rather than on an IN list of every id: the ORM prepares
    each value of an IN list one by one, which cost more than the queries themselves. Rows of
    participations the batch does not score fall in the range too and are ignored; likewise the
    queries keyed by collaboration read every partner's rows, not only the batch's."""
    return {"participation_id__gte": rows[0].pk, "participation_id__lte": rows[-1].pk}


def start_of(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in the current time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def count_of(queryset) -> Coalesce:
    """COUNT(*) of a correlated subquery, 0 when it finds nothing."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def read_attendance(rows, policies, day: Day) -> dict[int, dict]:
    """Meetings held, present, apologies and consecutive absences since the later of the window
    start and the day the participation joined (two queries: the batch's meetings and its
    attendance, counted here). Correlated counts per participation cost several times more at
    national scale (docs/performance.md)."""
    since = {
        row.pk: max(day.window_start(policies[row.collaboration_id]), row.joined_on) for row in rows
    }
    meetings: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
    for pk, collaboration_id, held_at in (
        Meeting.objects.filter(
            collaboration_id__in={row.collaboration_id for row in rows},
            held_at__lt=day.meetings_end,
            held_at__gte=start_of(min(since.values())),
        )
        .order_by("held_at", "pk")
        .values_list("pk", "collaboration_id", "held_at")
    ):
        meetings[collaboration_id].append((held_at, pk))
    statuses = {
        (participation_id, meeting_id): status
        for participation_id, meeting_id, status in Attendance.objects.filter(
            **in_batch(rows),
            meeting_id__in=[pk for held in meetings.values() for _at, pk in held],
        ).values_list("participation_id", "meeting_id", "status")
    }
    starts = {day: start_of(day) for day in set(since.values())}
    # Partners of one collaboration mostly share a window: select its meetings once per window.
    held_in: dict[tuple[int, dt.date], list[tuple[dt.datetime, int]]] = {}
    result = {}
    for row in rows:
        key = (row.collaboration_id, since[row.pk])
        held = held_in.get(key)
        if held is None:
            window_start = starts[key[1]]
            held = held_in[key] = [
                (at, pk) for at, pk in meetings.get(row.collaboration_id, ()) if at >= window_start
            ]
        marks = [statuses.get((row.pk, pk)) for _at, pk in held]
        last_attended = max(
            (at for (at, _pk), mark in zip(held, marks, strict=True) if mark in ATTENDED),
            default=None,
        )
        result[row.pk] = {
            "meetings_held": len(held),
            "meetings_present": marks.count(Attendance.Status.PRESENT),
            "meetings_apologies": marks.count(Attendance.Status.APOLOGIES),
            # Absences in a row: the meetings after the latest one attended (or all of them).
            "consecutive_absences": sum(
                1 for at, _pk in held if last_attended is None or at > last_attended
            ),
        }
    return result


def read_obligations(rows, policies, day: Day) -> dict[int, dict]:
    """Obligations due in the window or outstanding, and the days overdue of each outstanding one
    (one grouped query: one row per participation and due date)."""
    by_key = {(row.collaboration_id, row.organisation_id): row for row in rows}
    earliest = min(day.window_start(policies[row.collaboration_id]) for row in rows)
    # Outstanding on the scan date: still pending, or met only after it.
    outstanding = Q(status=Obligation.Status.PENDING) | Q(
        status=Obligation.Status.MET, met_at__gte=day.end
    )
    grouped = (
        Obligation.objects.filter(
            collaboration_id__in={row.collaboration_id for row in rows},
            due_date__lt=day.date,
        )
        .exclude(status=Obligation.Status.WAIVED)
        .filter(Q(due_date__gte=earliest) | outstanding)
        .annotate(outstanding=ExpressionWrapper(outstanding, output_field=BooleanField()))
        .values("collaboration_id", "organisation_id", "due_date", "outstanding")
        .annotate(n=Count("pk"))
        .order_by()
    )
    result: dict[int, dict] = {}
    for group in grouped:
        row = by_key.get((group["collaboration_id"], group["organisation_id"]))
        if row is None:
            continue
        figures = result.setdefault(row.pk, {"obligations_due": 0, "overdue_days": []})
        window_start = day.window_start(policies[row.collaboration_id])
        if group["outstanding"]:
            figures["obligations_due"] += group["n"]
            figures["overdue_days"] += [(day.date - group["due_date"]).days] * group["n"]
        elif group["due_date"] >= window_start:
            figures["obligations_due"] += group["n"]
    for figures in result.values():
        figures["overdue_days"] = tuple(sorted(figures["overdue_days"], reverse=True))
    return result


def read_reporting(rows, policies, day: Day) -> dict[int, dict]:
    """Goal reports expected of each participation in its window and those it made, capped per
    goal at what was expected (two queries: the goals, and the reports grouped per goal and
    organisation). A goal expects reports from the latest of the window's start, the day the
    partner joined and the day the goal was set: a goal added today expects nothing yet."""
    collaboration_ids = {row.collaboration_id for row in rows}
    # (goal, days per report, day the goal was set as an ordinal: integer arithmetic below).
    goals: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for goal_id, collaboration_id, cadence, set_on in (
        SharedGoal.objects.filter(collaboration_id__in=collaboration_ids)
        .annotate(set_on=TruncDate("created_at"))  # the local day, computed by the database
        .values_list("pk", "collaboration_id", "cadence", "set_on")
    ):
        goals[collaboration_id].append((goal_id, CADENCE_DAYS.get(cadence, 91), set_on.toordinal()))
    if not goals:
        return {}
    in_window = Q()
    by_start: dict[dt.date, list[int]] = defaultdict(list)
    for collaboration_id in goals:
        by_start[day.window_start(policies[collaboration_id])].append(collaboration_id)
    for start, ids in by_start.items():
        in_window |= Q(goal__collaboration_id__in=ids, reported_at__gte=start_of(start))
    made = {
        (group["goal_id"], group["reported_by_organisation_id"]): group["n"]
        for group in Measurement.objects.filter(
            in_window,
            reported_at__lt=day.end,
        )
        .values("goal_id", "reported_by_organisation_id")
        .annotate(n=Count("pk"))
        .order_by()
    }
    result = {}
    last_day = day.date.toordinal()
    for row in rows:
        since = max(day.window_start(policies[row.collaboration_id]), row.joined_on).toordinal()
        expected = reports = 0
        for goal_id, period, goal_set_on in goals.get(row.collaboration_id, ()):
            # Calendar days covered, both ends included: the window is the scan date and the
            # window_days days before it (91 days by default), cut at the day the partner
            # joined and at the day the goal was set (a goal set after the scan date: none).
            span = max(0, last_day - max(since, goal_set_on) + 1)
            goal_expected = span // period
            expected += goal_expected
            reports += min(made.get((goal_id, row.organisation_id), 0), goal_expected)
        result[row.pk] = {"reports_expected": expected, "reports_made": reports}
    return result


def read_recency(rows, day: Day) -> dict[int, int]:
    """Days from each participation's latest activity (or from joining, if it has none) to the
    scan date (one grouped query)."""
    # The local day of the latest activity, computed by the database (converting 150,000
    # datetimes to local dates in Python took longer than the query).
    latest = dict(
        Activity.objects.filter(**in_batch(rows), occurred_at__lt=day.end)
        .values("participation_id")
        .annotate(last=TruncDate(Max("occurred_at")))
        .order_by()
        .values_list("participation_id", "last")
    )
    today = day.date
    return {row.pk: max(0, (today - latest.get(row.pk, row.joined_on)).days) for row in rows}


def read_signatures(rows, day: Day) -> dict[int, dict]:
    """Agreements circulating for more than SIGNATURE_GRACE_DAYS that the organisation has not
    signed (one grouped query)."""
    by_key = {(row.collaboration_id, row.organisation_id): row for row in rows}
    grouped = (
        Signatory.objects.filter(
            agreement__collaboration_id__in={row.collaboration_id for row in rows},
            agreement__status=Agreement.Status.CIRCULATING,
            agreement__circulated_on__lt=day.date - dt.timedelta(days=SIGNATURE_GRACE_DAYS),
        )
        .filter(Q(signed_at__isnull=True) | Q(signed_at__gte=day.end))
        .values("agreement__collaboration_id", "organisation_id")
        .annotate(n=Count("agreement_id", distinct=True), oldest=Min("agreement__circulated_on"))
        .order_by()
    )
    result = {}
    for group in grouped:
        row = by_key.get((group["agreement__collaboration_id"], group["organisation_id"]))
        if row is not None:
            result[row.pk] = {
                "signatures_pending": group["n"],
                "max_days_awaiting_signature": (day.date - group["oldest"]).days,
            }
    return result


def read_figures(
    rows: list[ParticipationRow], policies: dict[int, Policy], day: Day
) -> dict[int, Figures]:
    """The figures of every participation of a batch: six queries however large the batch."""
    if not rows:
        return {}
    attendance = read_attendance(rows, policies, day)
    obligations = read_obligations(rows, policies, day)
    reporting = read_reporting(rows, policies, day)
    recency = read_recency(rows, day)
    signatures = read_signatures(rows, day)
    figures = {}
    for row in rows:
        values = {
            **attendance.get(row.pk, {}),
            **obligations.get(row.pk, {}),
            **reporting.get(row.pk, {}),
            **signatures.get(row.pk, {}),
            "days_since_activity": recency[row.pk],
        }
        figures[row.pk] = Figures(**values)
    return figures
