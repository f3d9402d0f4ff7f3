"""The figures of a batch of participations as known at the end of a day, read with a fixed
number of aggregate queries however many participations the batch holds."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

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

from agreements.models import (
    Agreement,
    Measurement,
    Obligation,
    SharedGoal,
    Signatory,
)
from core.bulk import fetch_rows

from ..models import Attendance, Meeting
from ..survey.signals import read_survey
from ..trend_reads import (
    read_contact,
    read_lateness,
    read_relationship,
    read_reports_due,
    start_of,
)
from ..trends import Trend
from .policy import (
    ATTENDANCE_REACH_DAYS,
    AWAITING_SIGNATURE_STATUSES,
    CADENCE_DAYS,
    MIN_ATTENDANCE_MEETINGS,
    REPORT_GRACE_DAYS,
    SIGNATURE_GRACE_DAYS,
    Policy,
)
from .scoring import Figures, _scored_survey, freeze


# Plain, not frozen: built for every partner (see trends.Trend).
@dataclass
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
    start and the day the participation joined (at least the latest MIN_ATTENDANCE_MEETINGS
    counted since it joined, reaching back to the collaboration's latest ones of the year), and
    the attendance trend over a longer span (two queries: the batch's meetings and its
    attendance, counted here). As known at the end of the
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
    # The trend's span, and before it each collaboration's latest MIN_ATTENDANCE_MEETINGS
    # meetings of the last ATTENDANCE_REACH_DAYS, for the level to reach back to (a collaboration
    # meeting every six weeks holds two or three meetings in the window: one of them missed is
    # not a record). Only those older meetings' attendance is read, not the whole year's.
    first_of = {row.pk: min(since[row.pk], trend_since[row.pk]) for row in rows}
    earliest = min(first_of.values())
    reach = min(earliest, day.date - dt.timedelta(days=ATTENDANCE_REACH_DAYS))
    meetings: dict[int, list[tuple[dt.datetime, int, dt.date]]] = defaultdict(list)
    for pk, collaboration_id, held_at in (
        Meeting.objects.filter(
            collaboration_id__in={row.collaboration_id for row in rows},
            held_at__lt=day.meetings_end,
            held_at__gte=start_of(reach),
            created_at__lt=day.end,
        )
        .order_by("held_at", "pk")
        .values_list("pk", "collaboration_id", "held_at")
    ):
        meetings[collaboration_id].append((held_at, pk, timezone.localdate(held_at)))
    latest_of: dict[int, set[int]] = {}
    for collaboration_id, held in meetings.items():
        latest_of[collaboration_id] = {pk for _at, pk, _on in held[-MIN_ATTENDANCE_MEETINGS:]}
        meetings[collaboration_id] = [
            meeting
            for meeting in held
            if meeting[2] >= earliest or meeting[1] in latest_of[collaboration_id]
        ]
    # Every partner's attendance at these meetings, not only the batch's: a meeting nobody's
    # attendance is recorded for is a gap in the record, not everyone's absence.
    yesterday, today = start_of(day.date - dt.timedelta(days=1)), start_of(day.date)
    recorded = list(
        Attendance.objects.filter(
            meeting_id__in=[pk for held in meetings.values() for _at, pk, _on in held],
            recorded_at__lt=day.end,
        )
        # Recorded yesterday, as a boolean the database computes: reading every row's
        # recorded_at into an aware datetime cost a tenth of the read at national scale.
        .annotate(
            yesterday=ExpressionWrapper(
                Q(recorded_at__gte=yesterday, recorded_at__lt=today), output_field=BooleanField()
            )
        )
        .values_list(
            "participation_id", "meeting_id", "status", "previous_status", "changed_at", "yesterday"
        )
    )
    # By partner: its status at each meeting (as recorded at the end of the day: a later
    # correction's previous status) and the meetings its attendance was recorded for yesterday.
    # The loop below asks of every partner and every meeting of its collaboration: a dict per
    # partner spares it building and hashing a (partner, meeting) key each time (millions a
    # national scan).
    statuses: dict[int, dict[int, str]] = defaultdict(dict)
    recorded_yesterday: dict[int, set[int]] = defaultdict(set)
    for participation_id, meeting_id, status, previous, changed_at, on in recorded:
        statuses[participation_id][meeting_id] = (
            status if changed_at is None or changed_at < day.end else previous or status
        )
        if on:
            recorded_yesterday[participation_id].add(meeting_id)
    recorded_meetings = {meeting_id for _participation_id, meeting_id, *_rest in recorded}
    marks_of = {Attendance.Status.PRESENT: 2, Attendance.Status.APOLOGIES: 1}
    nothing: dict[int, str] = {}
    result = {}
    for row in rows:
        policy = policies[row.collaboration_id]
        counted_until = day.date - dt.timedelta(days=policy.attendance_grace_days)
        row_since = since[row.pk]
        first = first_of[row.pk]
        own = statuses.get(row.pk, nothing)
        own_yesterday = recorded_yesterday.get(row.pk, ())
        # (held on, 2 present / 1 apologies / 0 absent, in the level window) of each counted
        # meeting, in order.
        counted: list[tuple[dt.date, int, bool]] = []
        # Counted meetings since joining before the trend's span: for the level only.
        older: list[int] = []
        unrecorded = joined_meetings = 0
        # Attendance recorded yesterday, by mark (absent, apologies, present): the drift
        # evidence weighs each meeting once, on the day it becomes known.
        marked_yesterday = [0, 0, 0]
        latest = latest_of.get(row.collaboration_id, ())
        for _at, pk, held_on in meetings.get(row.collaboration_id, ()):
            if held_on < first and (held_on < row.joined_on or pk not in latest):
                continue
            status = own.get(pk)
            if status is None and (held_on > counted_until or pk not in recorded_meetings):
                unrecorded += held_on >= row_since
                continue
            mark = marks_of.get(status, 0)
            if held_on < first:
                older.append(mark)
                continue
            counted.append((held_on, mark, held_on >= row_since))
            if pk in own_yesterday:
                marked_yesterday[mark] += 1
            joined_meetings += held_on >= row.joined_on
        level = [mark for _on, mark, in_window in counted if in_window]
        if len(level) < MIN_ATTENDANCE_MEETINGS:
            level = (older + [mark for held_on, mark, _in in counted if held_on >= row.joined_on])[
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
            "last_present": bool(counted) and counted[-1][1] == 2,
            "present_yesterday": marked_yesterday[2],
            "apologies_yesterday": marked_yesterday[1],
            "absent_yesterday": marked_yesterday[0],
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


def read_goals(rows) -> dict[int, list[tuple[int, int, int]]]:
    """The shared goals of the batch's collaborations: (goal, days per report, day the goal was
    set as an ordinal) of each, by collaboration (one query)."""
    goals: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for goal_id, collaboration_id, cadence, set_on in (
        SharedGoal.objects.filter(collaboration_id__in={row.collaboration_id for row in rows})
        .annotate(set_on=TruncDate("created_at"))  # the local day, computed by the database
        .values_list("pk", "collaboration_id", "cadence", "set_on")
    ):
        goals[collaboration_id].append((goal_id, CADENCE_DAYS.get(cadence, 91), set_on.toordinal()))
    return goals


def read_reporting(rows, policies, day: Day, goals) -> dict[int, dict]:
    """Goal reports expected of each participation and those it made, capped per goal at what
    was expected (two queries: the goals, and the reports grouped per goal, organisation and
    day). A period's report is expected REPORT_GRACE_DAYS after the period ends, so a partner
    that reports a week after the month closes is never "missing" one. Each goal looks back
    over the policy's window, or one whole period and the grace if that is longer (a quarterly
    goal in a 90-day window), from the latest of that start, the day the partner joined and
    the day the goal was set: a goal added today expects nothing yet. `goals`: read_goals'."""
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
    for goal_id, organisation_id, reported_on, n in fetch_rows(
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
    goals = read_goals(rows)
    reporting = read_reporting(rows, policies, day, goals)
    contact = read_contact(rows, policies, day)
    lateness = read_lateness(rows, policies, day)
    due = read_reports_due(rows, day, goals)
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
            last_present=seen.pop("last_present", False),
            present_yesterday=seen.pop("present_yesterday", 0),
            apologies_yesterday=seen.pop("apologies_yesterday", 0),
            absent_yesterday=seen.pop("absent_yesterday", 0),
            contact_14=heard.get("c14", 0),
            contact_yesterday=heard.get("yesterday", False),
            **due.get(row.pk, {}),
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
