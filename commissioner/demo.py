"""Demo story of the commissioner for `manage.py seed_demo` (idempotent, deterministic): six
months of monthly meetings with attendance and check-ins across the active demo collaborations,
in which one partner has clearly dropped away (absent from the last four meetings, silent for
months — no goal reports either — an obligation 45+ days overdue: the agreements demo's, or one
added when it has none) and another is slipping (the one the other demos' overdue contributions,
missed reports and unsigned agreements already put at risk, or else one made to miss the last
four meetings and go quiet, drifting before it is at risk). Every other partner reports on
every goal, attends and is heard from, so it is engaged with no reason against it. Engagement
scans then run every day over the span the policy page's backtest replays and today, so the
dashboard opens on a trend and flags with their reasons, the disengaged partner's already with a
planned call, and the backtest of the policy in force shows those very flags."""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import F, Max
from django.utils import timezone

from agreements.models import (
    Agreement,
    Collaboration,
    Measurement,
    Obligation,
    Participation,
    Signatory,
)
from partners.models import User

from . import services
from .backtest import TRIAL_MONTHS_MAX, WARM_UP_DAYS
from .engagement import Day, ParticipationRow, assess, default_policy, policies_for, read_figures
from .models import Activity, Attendance, Band, Flag, Intervention, Meeting

DEMO_LOCATION = "Council chambers (demo)"
# Days before today of the monthly meetings, oldest first (six months).
MEETING_DAYS_AGO = [164, 134, 104, 74, 44, 14]
# Scans every day, as the daily scan would have, over the longest span the policy page's "try
# this policy" replays (six months back from yesterday) and its warm-up, then today's: so the
# backtest of the policy in force shows the very flags the dashboard has. (Every two weeks until
# December 2026: the drift evidence gathered one day's record a fortnight, no partner drifted in
# the history, and the backtest, scanning every day, showed drifting flags the history never had.)
SCAN_DAYS_AGO = range(30 * TRIAL_MONTHS_MAX + WARM_UP_DAYS, 0, -1)
MEETING_HOUR = 10
P, AP, AB = Attendance.Status.PRESENT, Attendance.Status.APOLOGIES, Attendance.Status.ABSENT
DISENGAGED_PATTERN = [P, P, AB, AB, AB, AB]
AT_RISK_CHECKIN_DAYS_AGO = 36
# How late the disengaged partner's contribution is, when the other demos gave it none.
OVERDUE_DAYS = 60


def _meeting_time(days_ago: int, today: dt.date) -> dt.datetime:
    day = today - dt.timedelta(days=days_ago)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(MEETING_HOUR)))


def _signals(participations: list[Participation], today: dt.date):
    """What the other demos left behind for each candidate: obligations overdue (and long
    overdue), agreements it has not signed, days since its latest activity."""
    keys = {(p.collaboration_id, p.organisation_id) for p in participations}
    long_overdue, overdue = set(), set()
    for collaboration_id, organisation_id, due_date in Obligation.objects.filter(
        status=Obligation.Status.PENDING, due_date__lt=today
    ).values_list("collaboration_id", "organisation_id", "due_date"):
        if (collaboration_id, organisation_id) in keys:
            overdue.add((collaboration_id, organisation_id))
            if (today - due_date).days >= 45:
                long_overdue.add((collaboration_id, organisation_id))
    unsigned = set(
        Signatory.objects.filter(
            signed_at__isnull=True, agreement__status=Agreement.Status.CIRCULATING
        ).values_list("agreement__collaboration_id", "organisation_id")
    )
    last_activity = dict(
        Activity.objects.filter(participation__in=participations)
        .values("participation_id")
        .annotate(last=Max("occurred_at"))
        .values_list("participation_id", "last")
    )
    quiet = {
        p.pk: (today - timezone.localdate(last_activity[p.pk])).days
        if p.pk in last_activity
        else 10_000
        for p in participations
    }
    return long_overdue, overdue, unsigned, quiet


def _choose_disengaged(candidates: list[Participation], today: dt.date) -> Participation | None:
    """Not a lead; preferably with an obligation overdue 45 days or more, then the longest
    silence."""
    if not candidates:
        return None
    long_overdue, _overdue, _unsigned, quiet = _signals(candidates, today)
    return min(
        candidates,
        key=lambda p: (
            (p.collaboration_id, p.organisation_id) not in long_overdue,
            -min(quiet[p.pk], 365),
            p.collaboration.slug,
            p.organisation.name,
        ),
    )


def _bands_today(participations: list[Participation]) -> dict[int, str]:
    """What today's scan would say of each participation, without writing anything."""
    day = Day.of(timezone.localdate())
    rows = [
        ParticipationRow(p.pk, p.collaboration_id, p.organisation_id, p.joined_on)
        for p in participations
        if p.joined_on <= day.date
    ]
    policies = policies_for({r.collaboration_id for r in rows}, default=default_policy())
    figures = read_figures(rows, policies, day)
    return {r.pk: assess(figures[r.pk], policies[r.collaboration_id]).band for r in rows}


def _stop_reporting(participation: Participation, since) -> None:
    """A drifting partner stops reporting too: its goal reports since `since` (and the activity
    they logged) are taken back, so it is silent in every signal, as the story says."""
    Measurement.objects.filter(
        goal__collaboration_id=participation.collaboration_id,
        reported_by_organisation_id=participation.organisation_id,
        reported_at__gte=since,
    ).delete()
    Activity.objects.filter(
        participation=participation,
        kind=Activity.Kind.MEASUREMENT_REPORTED,
        occurred_at__gte=since,
    ).delete()


def _make_at_risk(participation: Participation, meetings: list[Meeting], now) -> None:
    """Absent from the last four meetings (of the six the level reads), and last heard from
    AT_RISK_CHECKIN_DAYS_AGO: at risk for the last scans, not only today's (a flag needs a
    warning state that holds)."""
    _stop_reporting(participation, now - dt.timedelta(days=AT_RISK_CHECKIN_DAYS_AGO))
    missed = meetings[-4:]
    Attendance.objects.filter(participation=participation, meeting__in=missed).update(
        status=AB, confirmed_by_partner=False
    )
    Activity.objects.filter(
        participation=participation,
        kind=Activity.Kind.MEETING_ATTENDED,
        occurred_at__in=[m.held_at for m in missed],
    ).delete()
    Activity.objects.filter(
        participation=participation,
        kind=Activity.Kind.CHECK_IN,
        occurred_at__gte=now - dt.timedelta(days=AT_RISK_CHECKIN_DAYS_AGO),
    ).update(occurred_at=now - dt.timedelta(days=AT_RISK_CHECKIN_DAYS_AGO))


def _as_if_recorded_at_the_time(now) -> None:
    """The demos write months of history in one go; a scan for a past day counts only what was
    known by then (as-of truth). So the history reads as recorded when it happened: activities
    when they occurred, obligations 90 days before they fell due."""
    Activity.objects.filter(recorded_at__gt=F("occurred_at")).update(recorded_at=F("occurred_at"))
    for pk, due_date in Obligation.objects.values_list("pk", "due_date"):
        agreed = timezone.make_aware(dt.datetime.combine(due_date, dt.time(9)))
        Obligation.objects.filter(pk=pk).update(created_at=min(now, agreed - dt.timedelta(days=90)))


def seed() -> str:
    if Meeting.objects.filter(location=DEMO_LOCATION).exists():
        return "demo meetings already loaded"
    rng = random.Random(2026)
    today = timezone.localdate()
    now = timezone.now()
    commissioner = (
        User.objects.filter(username="commissioner").first()
        or User.objects.filter(role=User.Role.COMMISSIONER, is_active=True).order_by("pk").first()
    )
    collaborations = list(
        Collaboration.objects.filter(status=Collaboration.Status.ACTIVE).order_by("slug")
    )
    participations = list(
        Participation.objects.filter(
            collaboration__in=collaborations, status=Participation.Status.ACTIVE
        )
        .select_related("collaboration", "organisation")
        .order_by("collaboration__slug", "organisation__name")
    )
    if not participations:
        return "no active collaboration: no meetings to load"
    candidates = [
        p for p in participations if p.organisation_id != p.collaboration.lead_organisation_id
    ]
    disengaged = _choose_disengaged(candidates, today)
    if disengaged is not None:
        # Nothing heard since the last meeting it came to.
        last_attended = MEETING_DAYS_AGO[DISENGAGED_PATTERN.index(AB) - 1]
        _stop_reporting(disengaged, _meeting_time(last_attended, today) + dt.timedelta(hours=2))
        long_overdue, *_rest = _signals([disengaged], today)
        if not long_overdue:
            # Missing meetings and silence alone cost 50 points (at risk): the story needs the
            # unpaid contribution the other demos would have given it.
            contribution = Obligation.objects.create(
                collaboration=disengaged.collaboration,
                organisation=disengaged.organisation,
                kind=Obligation.Kind.FUNDING,
                description="Annual operating contribution",
                quantity=25000,
                unit=Obligation.Unit.DOLLARS,
                due_date=today - dt.timedelta(days=OVERDUE_DAYS),
            )
            # Agreed long before it fell due: the past days' scans knew of it.
            Obligation.objects.filter(pk=contribution.pk).update(
                created_at=now - dt.timedelta(days=OVERDUE_DAYS + 180)
            )

    meetings_by_collaboration: dict[int, list[Meeting]] = {}
    attendances, activities = [], []
    for collaboration in collaborations:
        members = [p for p in participations if p.collaboration_id == collaboration.pk]
        if not members:
            continue
        meetings = meetings_by_collaboration[collaboration.pk] = []
        for index, days_ago in enumerate(MEETING_DAYS_AGO):
            held_at = _meeting_time(days_ago, today)
            meeting = Meeting.objects.create(
                collaboration=collaboration,
                title=f"Steering committee — {held_at:%B %Y}",
                held_at=held_at,
                location=DEMO_LOCATION,
                notes="Standing items: progress on the shared goals, contributions, risks.",
            )
            # Recorded the day it was called, so the past days' scans know of it (as-of truth).
            Meeting.objects.filter(pk=meeting.pk).update(created_at=held_at - dt.timedelta(days=7))
            meetings.append(meeting)
            for participation in members:
                if disengaged is not None and participation.pk == disengaged.pk:
                    status = DISENGAGED_PATTERN[index]
                elif days_ago > 90:
                    status = rng.choices([P, AP, AB], weights=[80, 15, 5])[0]
                else:
                    status = P
                attendances.append(
                    Attendance(
                        meeting=meeting,
                        participation=participation,
                        status=status,
                        confirmed_by_partner=rng.random() < 0.3,
                        recorded_at=held_at + dt.timedelta(days=1),
                    )
                )
                if status == P:
                    activities.append(
                        Activity(
                            participation=participation,
                            kind=Activity.Kind.MEETING_ATTENDED,
                            description=meeting.title,
                            occurred_at=held_at,
                            recorded_at=held_at + dt.timedelta(days=1),
                        )
                    )
    for participation in participations:
        if disengaged is not None and participation.pk == disengaged.pk:
            continue
        activities.append(
            Activity(
                participation=participation,
                kind=Activity.Kind.CHECK_IN,
                description="Check-in call with the commissioner",
                occurred_at=(
                    checked_in := now
                    - dt.timedelta(days=rng.randint(2, 9), hours=rng.randint(0, 6))
                ),
                recorded_at=checked_in,
                recorded_by=commissioner,
            )
        )
    Attendance.objects.bulk_create(attendances)
    Activity.objects.bulk_create(activities)

    # The partner at risk: one the other demos' data already put there (an overdue contribution,
    # an unsigned agreement), else one made to miss the last four meetings and go quiet.
    others = [p for p in candidates if disengaged is None or p.pk != disengaged.pk]
    bands = _bands_today(others)
    at_risk = next((p for p in others if bands.get(p.pk) == Band.AT_RISK), None)
    if at_risk is None and others:
        _long, overdue, unsigned, quiet = _signals(others, today)
        at_risk = min(
            others,
            key=lambda p: (
                disengaged is not None and p.organisation_id == disengaged.organisation_id,
                (p.collaboration_id, p.organisation_id) in overdue,
                (p.collaboration_id, p.organisation_id) in unsigned,
                quiet[p.pk] < AT_RISK_CHECKIN_DAYS_AGO,
                p.collaboration.slug,
                p.organisation.name,
            ),
        )
        _make_at_risk(at_risk, meetings_by_collaboration[at_risk.collaboration_id], now)
    meetings = sum(len(m) for m in meetings_by_collaboration.values())

    _as_if_recorded_at_the_time(now)
    for days_ago in SCAN_DAYS_AGO:
        services.engagement_scan(scan_date=today - dt.timedelta(days=days_ago), send_digests=False)
    result = services.engagement_scan()

    if disengaged is not None and commissioner is not None:
        flag = Flag.objects.filter(participation=disengaged, status__in=Flag.OPEN_STATUSES).first()
        if flag is not None and not Intervention.objects.filter(flag=flag).exists():
            services.intervention_add(
                actor=commissioner,
                flag=flag,
                kind=Intervention.Kind.CALL,
                description=(
                    f"Call {disengaged.organisation.name}'s chief administrative officer about "
                    "the missed meetings and what the organisation still owes."
                ),
                due_date=today + dt.timedelta(days=7),
            )
    names = ", ".join(
        f"{p.organisation.name} ({p.collaboration.title})" for p in (disengaged, at_risk) if p
    )
    return (
        f"{meetings} meetings, {len(attendances)} attendances, {len(activities)} activities; "
        f"{len(SCAN_DAYS_AGO) + 1} scans; drifting: {names}; today: {result}"
    )
