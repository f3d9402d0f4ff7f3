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

from .models import Attendance, Band, EngagementPolicy, Meeting
from .reasons import SIGNAL_FIGURES, coded, render_all
from .survey.signals import read_survey
from .trends import Trend, read_contact, read_lateness, read_relationship, start_of

# Days of one reporting period of each goal cadence.
CADENCE_DAYS = {
    SharedGoal.Cadence.MONTHLY: 30,
    SharedGoal.Cadence.QUARTERLY: 91,
    SharedGoal.Cadence.YEARLY: 365,
}
# An agreement circulating for more than this many days counts against a signatory that has
# not signed it.
SIGNATURE_GRACE_DAYS = 14
# A survey rating of trust or commitment under this (of 5) costs points even if others agree.
SURVEY_LOW = 2.5
# Days after a reporting period's end by which its report is expected.
REPORT_GRACE_DAYS = 21
# The attendance component reads at least this many of the latest meetings, even from before the
# window: one missed meeting of three is noise, not a trend.
MIN_ATTENDANCE_MEETINGS = 6
SIGNALS = ("attendance", "obligations", "reporting", "recency", "signatures")
AWAITING_SIGNATURE_STATUSES = (
    Agreement.Status.CIRCULATING,
    Agreement.Status.IN_FORCE,
    Agreement.Status.EXPIRED,
)


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
    trend_days: int = 42
    attendance_grace_days: int = 14
    drift_points: int = 30
    drift_evidence: int = 120
    flag_after_scans: int = 2
    sharp_drop: int = 20
    release_margin: int = 5
    reopen_days: int = 30
    new_partner_days: int = 45
    new_partner_meetings: int = 2
    points_contact_left: int = 5
    points_single_contact: int = 3
    points_partner_withdrew: int = 5
    points_survey_unanswered: int = 5
    points_survey_trust: int = 10
    points_survey_divergent: int = 5

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
# The early-warning settings: optional in a policy form (left out, they keep their value).
EARLY_WARNING_FIELDS = [
    "trend_days",
    "attendance_grace_days",
    "drift_points",
    "drift_evidence",
    "flag_after_scans",
    "sharp_drop",
    "release_margin",
    "reopen_days",
    "new_partner_days",
    "new_partner_meetings",
    "points_contact_left",
    "points_single_contact",
    "points_partner_withdrew",
    "points_survey_unanswered",
    "points_survey_trust",
    "points_survey_divergent",
]


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
    # Days late of each obligation met late in the window (they weigh half of an outstanding one).
    late_met_days: tuple[int, ...] = ()
    # Held meetings with no attendance recorded yet, within the grace period: not counted.
    meetings_unrecorded: int = 0
    days_since_joining: int = 10_000
    meetings_since_joining: int = 10_000
    # Frozen and hashable: one shared default is safe.
    trend: Trend = Trend()  # noqa: RUF009
    # The partnership health survey's figures (commissioner/survey/signals.py), frozen.
    survey: tuple = ()

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

    @property
    def late_met(self) -> int:
        return len(self.late_met_days)

    @property
    def max_late_met(self) -> int:
        return max(self.late_met_days, default=0)


@dataclass(frozen=True)
class Assessment:
    figures: Figures
    # Each signal's component as an exact (numerator, denominator); see ratios_for.
    ratios: dict[str, tuple[int, int]]
    score: int
    band: str
    # Why it lost points, as codes and figures (commissioner/reasons.py).
    codes: list[dict] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        """The reasons in the active language."""
        return render_all(self.codes)

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
    late = 2 * sum(min(days, grace) for days in f.overdue_days)
    late += sum(min(days, grace) for days in f.late_met_days)
    # In halves: an obligation met late weighs half of one still outstanding as late.
    obligations = (max(0, 2 * whole - late), 2 * whole)
    reporting = (f.reports_made, f.reports_expected) if f.reports_expected else (1, 1)
    inactivity = max(1, policy.inactivity_days)
    # Days of silence beyond the partner's own usual gap between signs of life (when it has one):
    # a monthly correspondent quiet for three weeks has lost nothing; a weekly one has.
    usual = round(f.trend.usual_gap) if f.trend.usual_gap is not None else 0
    silent = max(0, f.days_since_activity - usual)
    recency = (max(0, inactivity - silent), inactivity)
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
    "obligations": ("obligations_overdue", "max_days_overdue", "late_met", "max_late_met"),
    "reporting": ("reports_missing", "reports_expected"),
    "recency": ("days_since_activity",),
    "signatures": ("signatures_pending", "max_days_awaiting_signature"),
}


def reason_for(signal: str, figures: Figures, language: str | None = None) -> str:
    """Why `signal` lost points, in words, in `language` (by default the active one)."""
    numbers = tuple(getattr(figures, name) for name in REASON_FIGURES[signal])
    return _reason_text(language or get_language(), signal, numbers)


def reason_code(signal: str, figures: Figures) -> dict:
    """Why `signal` lost points, as a code and the figures its text quotes (reasons.py)."""
    numbers = (getattr(figures, name) for name in REASON_FIGURES[signal])
    return coded(signal, **dict(zip(SIGNAL_FIGURES[signal], numbers, strict=True)))


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
        overdue, days, late_met, late_days = numbers
        parts = []
        if overdue == 1:
            parts.append(
                ngettext(
                    "1 obligation overdue by %(days)s day",
                    "1 obligation overdue by %(days)s days",
                    days,
                )
                % {"days": days}
            )
        elif overdue:
            parts.append(
                _("%(count)s obligations overdue, oldest %(days)s days")
                % {"count": overdue, "days": days}
            )
        if late_met:
            parts.append(
                ngettext(
                    "%(count)s obligation met late, by up to %(days)s days",
                    "%(count)s obligations met late, by up to %(days)s days",
                    late_met,
                )
                % {"count": late_met, "days": late_days}
            )
        return "; ".join(parts)
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
    penalties = relationship_penalties(figures.trend, policy)
    survey = thaw(figures.survey)
    penalties += survey_penalties(survey, policy)
    score = max(0, score - sum(points for _code, points in penalties))
    lost = [
        # Points lost, scaled by the common denominator: exact, so ties fall back to the order.
        (weight * (denominator - numerator) * (common // denominator), index, signal)
        for index, (signal, weight, (numerator, denominator)) in enumerate(
            zip(SIGNALS, weights, ratios.values(), strict=True)
        )
        if numerator < denominator and weight > 0
    ]
    lost.sort(key=lambda item: (-item[0], item[1]))
    codes = [reason_code(signal, figures) for _lost, _index, signal in lost]
    codes += [
        relationship_code(code, figures.trend)
        for code, _points in penalties
        if not code.startswith("survey")
    ]
    if any(code.startswith("survey") for code, _points in penalties):
        codes.append(coded("survey", **_survey_reason_figures(survey)))
    return Assessment(
        figures=figures,
        ratios=ratios,
        score=score,
        band=band_for(score, policy),
        codes=codes,
    )


def relationship_penalties(trend: Trend, policy: Policy) -> list[tuple[str, int]]:
    """Points off the score for the relationship signals (lower weight: policy settings)."""
    penalties = []
    if trend.contact_left and policy.points_contact_left:
        penalties.append(("contact_left", policy.points_contact_left))
    if trend.single_contact and policy.points_single_contact:
        penalties.append(("single_contact", policy.points_single_contact))
    if trend.partners_withdrawn and policy.points_partner_withdrew:
        penalties.append(("partner_withdrew", policy.points_partner_withdrew))
    return penalties


def survey_penalties(survey: dict, policy: Policy) -> list[tuple[str, int]]:
    """Points off the score from the partnership health survey: the latest round not answered;
    trust or commitment rated low (under 2.5) or apart from the others (1.5 points or more);
    another principle rated apart from the others."""
    penalties = []
    if survey.get("answered_last_round") is False and policy.points_survey_unanswered:
        penalties.append(("survey_unanswered", policy.points_survey_unanswered))
    divergent = set(survey.get("divergent_principles") or ())
    low = any(
        survey.get(code) is not None and (survey[code] < SURVEY_LOW or code in divergent)
        for code in ("trust", "commitment")
    )
    if low and policy.points_survey_trust:
        penalties.append(("survey_trust", policy.points_survey_trust))
    if divergent - {"trust", "commitment"} and policy.points_survey_divergent:
        penalties.append(("survey_divergent", policy.points_survey_divergent))
    return penalties


def freeze(value):
    """A hashable copy of the survey figures (Figures are the scan's memo keys)."""
    if isinstance(value, dict):
        return tuple(sorted((key, freeze(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return ("__list__", *(freeze(item) for item in value))
    return value


def thaw(value):
    if isinstance(value, tuple) and value[:1] == ("__list__",):
        return [thaw(item) for item in value[1:]]
    if isinstance(value, tuple):
        return {key: thaw(item) for key, item in value}
    return value


def relationship_code(code: str, trend: Trend) -> dict:
    if code == "partner_withdrew":
        return coded(code, count=trend.partners_withdrawn)
    return coded(code)


def _survey_reason_figures(survey: dict) -> dict:
    """The survey figures its reasons quote (already _scored_survey's), as JSON."""
    return {
        key: value.isoformat() if isinstance(value, dt.date) else value
        for key, value in survey.items()
    }


def _scored_survey(figures: dict | None) -> dict:
    """What the score and the reasons read of a participation's survey figures (the round's
    id and every principle's figures aside, so that partners with the same answers share a
    memo entry)."""
    if not figures or (figures.get("last_round_id") is None and figures.get("trust") is None):
        return {}
    keep = (
        "answered_last_round",
        "last_round_opened_on",
        "trust",
        "commitment",
        "others_trust",
        "others_commitment",
        "divergent_principles",
        "principle_scores",
        "others_principle_scores",
    )
    return {key: figures.get(key) for key in keep}


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


def count_of(queryset) -> Coalesce:
    """COUNT(*) of a correlated subquery, 0 when it finds nothing."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def read_attendance(rows, policies, day: Day) -> dict[int, dict]:
    """Meetings held, present, apologies and consecutive absences since the later of the window
    start and the day the participation joined, and the attendance trend over a longer span (two
    queries: the batch's meetings and its attendance, counted here). As known at the end of the
    day: meetings recorded by then, attendance recorded by then. A held meeting with nothing
    recorded for the partner is a data gap for `attendance_grace_days` after it, then an
    absence. Correlated counts per participation cost several times more at national scale
    (docs/performance.md)."""
    since = {
        row.pk: max(day.window_start(policies[row.collaboration_id]), row.joined_on) for row in rows
    }
    trend_since = {
        row.pk: max(
            row.joined_on,
            day.date
            - dt.timedelta(
                days=policies[row.collaboration_id].trend_days
                + policies[row.collaboration_id].window_days
            ),
        )
        for row in rows
    }
    meetings: dict[int, list[tuple[dt.datetime, int, dt.date]]] = defaultdict(list)
    for pk, collaboration_id, held_at in (
        Meeting.objects.filter(
            collaboration_id__in={row.collaboration_id for row in rows},
            held_at__lt=day.meetings_end,
            held_at__gte=start_of(min(min(since.values()), min(trend_since.values()))),
            created_at__lt=day.end,
        )
        .order_by("held_at", "pk")
        .values_list("pk", "collaboration_id", "held_at")
    ):
        meetings[collaboration_id].append((held_at, pk, timezone.localdate(held_at)))
    # Every partner's attendance at these meetings, not only the batch's: a meeting nobody's
    # attendance is recorded for is a gap in the record, not everyone's absence.
    statuses = {
        # The status as recorded at the end of the day: a later correction's previous status.
        (participation_id, meeting_id): (
            status if changed_at is None or changed_at < day.end else previous or status
        )
        for participation_id, meeting_id, status, previous, changed_at in Attendance.objects.filter(
            meeting_id__in=[pk for held in meetings.values() for _at, pk, _on in held],
            recorded_at__lt=day.end,
        ).values_list("participation_id", "meeting_id", "status", "previous_status", "changed_at")
    }
    recorded_meetings = {meeting_id for _participation_id, meeting_id in statuses}
    marks_of = {Attendance.Status.PRESENT: 2, Attendance.Status.APOLOGIES: 1}
    result = {}
    for row in rows:
        policy = policies[row.collaboration_id]
        counted_until = day.date - dt.timedelta(days=policy.attendance_grace_days)
        first = min(since[row.pk], trend_since[row.pk])
        # (held on, 2 present / 1 apologies / 0 absent, in the level window) of each counted
        # meeting, in order.
        counted: list[tuple[dt.date, int, bool]] = []
        unrecorded = joined_meetings = 0
        for _at, pk, held_on in meetings.get(row.collaboration_id, ()):
            if held_on < first:
                continue
            status = statuses.get((row.pk, pk))
            if status is None and (held_on > counted_until or pk not in recorded_meetings):
                unrecorded += held_on >= since[row.pk]
                continue
            counted.append((held_on, marks_of.get(status, 0), held_on >= since[row.pk]))
            joined_meetings += held_on >= row.joined_on
        level = [mark for _on, mark, in_window in counted if in_window]
        if len(level) < MIN_ATTENDANCE_MEETINGS:
            level = [mark for held_on, mark, _in in counted if held_on >= row.joined_on][
                -MIN_ATTENDANCE_MEETINGS:
            ]
        absences = 0
        for mark in reversed(level):
            if mark:
                break
            absences += 1
        recent, before = counted[-3:], counted[:-3]
        result[row.pk] = {
            "meetings_held": len(level),
            "meetings_present": level.count(2),
            "meetings_apologies": level.count(1),
            "consecutive_absences": absences,
            "meetings_unrecorded": unrecorded,
            "meetings_since_joining": joined_meetings,
            "attendance_recent": _share(recent) if len(recent) >= 2 else None,
            "attendance_before": _share(before) if len(before) >= 2 else None,
            "attendance_recent_meetings": len(recent),
            "attendance_before_meetings": len(before),
        }
    return result


def _share(counted) -> float:
    return round(sum(mark for _on, mark, _in in counted) / (2 * len(counted)), 4)


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
            created_at__lt=day.end,
        )
        .exclude(status=Obligation.Status.WAIVED)
        .filter(Q(due_date__gte=earliest) | outstanding)
        .annotate(
            outstanding=ExpressionWrapper(outstanding, output_field=BooleanField()),
            met_on=TruncDate("met_at"),
        )
        .values("collaboration_id", "organisation_id", "due_date", "outstanding", "met_on")
        .annotate(n=Count("pk"))
        .order_by()
    )
    result: dict[int, dict] = {}
    for group in grouped:
        row = by_key.get((group["collaboration_id"], group["organisation_id"]))
        if row is None:
            continue
        figures = result.setdefault(
            row.pk, {"obligations_due": 0, "overdue_days": [], "late_met_days": []}
        )
        window_start = day.window_start(policies[row.collaboration_id])
        if group["outstanding"]:
            figures["obligations_due"] += group["n"]
            figures["overdue_days"] += [(day.date - group["due_date"]).days] * group["n"]
        elif group["due_date"] >= window_start:
            figures["obligations_due"] += group["n"]
            late = (group["met_on"] - group["due_date"]).days if group["met_on"] else 0
            if late > 0:
                figures["late_met_days"] += [late] * group["n"]
    for figures in result.values():
        figures["overdue_days"] = tuple(sorted(figures["overdue_days"], reverse=True))
        figures["late_met_days"] = tuple(sorted(figures["late_met_days"], reverse=True))
    return result


def read_reporting(rows, policies, day: Day) -> dict[int, dict]:
    """Goal reports expected of each participation and those it made, capped per goal at what
    was expected (two queries: the goals, and the reports grouped per goal, organisation and
    day). A period's report is expected REPORT_GRACE_DAYS after the period ends, so a partner
    that reports a week after the month closes is never "missing" one. Each goal looks back
    over the policy's window, or one whole period and the grace if that is longer (a quarterly
    goal in a 90-day window), from the latest of that start, the day the partner joined and
    the day the goal was set: a goal added today expects nothing yet."""
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
    last_day = day.date.toordinal()

    def looks_back(policy: Policy, period: int) -> int:
        return max(policy.window_days, period + REPORT_GRACE_DAYS)

    earliest = min(
        last_day - looks_back(policies[collaboration_id], period)
        for collaboration_id, goal_list in goals.items()
        for _goal, period, _set_on in goal_list
    )
    made: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for goal_id, organisation_id, reported_on, n in (
        # As of `day`: a measurement withdrawn later still counted then (as an Activity does).
        Measurement.all_objects.filter(
            goal__collaboration_id__in=list(goals),
            reported_at__gte=start_of(dt.date.fromordinal(earliest)),
            reported_at__lt=day.end,
        )
        .exclude(withdrawn_at__lt=day.end)
        .annotate(reported_on=TruncDate("reported_at"))
        .values("goal_id", "reported_by_organisation_id", "reported_on")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("goal_id", "reported_by_organisation_id", "reported_on", "n")
    ):
        made[(goal_id, organisation_id)].append((reported_on.toordinal(), n))
    result = {}
    for row in rows:
        policy = policies[row.collaboration_id]
        expected = reports = 0
        for goal_id, period, goal_set_on in goals.get(row.collaboration_id, ()):
            # Calendar days covered, both ends included, from the goal's start in this look
            # back to the scan date less the grace (a goal set after the scan date: none).
            since = max(
                last_day - looks_back(policy, period), row.joined_on.toordinal(), goal_set_on
            )
            span = max(0, last_day - REPORT_GRACE_DAYS - since + 1)
            goal_expected = span // period
            goal_made = sum(
                n for on, n in made.get((goal_id, row.organisation_id), ()) if on >= since
            )
            expected += goal_expected
            reports += min(goal_made, goal_expected)
        result[row.pk] = {"reports_expected": expected, "reports_made": reports}
    return result


def read_signatures(rows, day: Day) -> dict[int, dict]:
    """Agreements circulating for more than SIGNATURE_GRACE_DAYS that the organisation has not
    signed (one grouped query)."""
    by_key = {(row.collaboration_id, row.organisation_id): row for row in rows}
    grouped = (
        Signatory.objects.filter(
            agreement__collaboration_id__in={row.collaboration_id for row in rows},
            # Circulated by then and not withdrawn (terminated or back to draft); whether it was
            # still awaiting this signature then is read from signed_at below.
            agreement__status__in=AWAITING_SIGNATURE_STATUSES,
            agreement__circulated_on__lt=day.date - dt.timedelta(days=SIGNATURE_GRACE_DAYS),
        )
        .filter(
            Q(agreement__status=Agreement.Status.CIRCULATING, signed_at__isnull=True)
            | Q(signed_at__gte=day.end)
        )
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
    """The figures of every participation of a batch, as known at the end of the day: a fixed
    number of queries however large the batch."""
    if not rows:
        return {}
    attendance = read_attendance(rows, policies, day)
    obligations = read_obligations(rows, policies, day)
    reporting = read_reporting(rows, policies, day)
    contact = read_contact(rows, policies, day)
    lateness = read_lateness(rows, policies, day)
    relationship = read_relationship(rows, day)
    signatures = read_signatures(rows, day)
    survey = read_survey(rows, day)
    figures = {}
    for row in rows:
        policy = policies[row.collaboration_id]
        seen = attendance.get(row.pk, {})
        heard = contact.get(row.pk, {})
        recent_start = day.date - dt.timedelta(days=policy.trend_days - 1)
        before_start = max(row.joined_on, recent_start - dt.timedelta(days=policy.window_days))
        trend = Trend(
            attendance_recent=seen.pop("attendance_recent", None),
            attendance_before=seen.pop("attendance_before", None),
            attendance_recent_meetings=seen.pop("attendance_recent_meetings", 0),
            attendance_before_meetings=seen.pop("attendance_before_meetings", 0),
            contact_days_recent=heard.get("recent", 0),
            contact_days_before=heard.get("before", 0),
            days_recent=min(policy.trend_days, (day.date - row.joined_on).days + 1),
            days_before=max(0, (recent_start - before_start).days),
            **lateness.get(row.pk, {}),
            **relationship.get(row.pk, {}),
        )
        last = heard.get("last") or row.joined_on
        figures[row.pk] = Figures(
            **seen,
            **obligations.get(row.pk, {}),
            **reporting.get(row.pk, {}),
            **signatures.get(row.pk, {}),
            days_since_activity=max(0, (day.date - last).days),
            days_since_joining=(day.date - row.joined_on).days,
            trend=trend,
            survey=freeze(_scored_survey(survey.get(row.pk))),
        )
    return figures
