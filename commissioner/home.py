"""Reads for a staff user's home page: their organisation's collaborations, what is due soon
(obligations, agreements awaiting its signature, goal reports expected) and the next meetings.
A fixed number of queries whatever the data (tests/query_counts.json: collabhub.staff_home)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from agreements.models import (
    Agreement,
    Collaboration,
    Obligation,
    Participation,
    SharedGoal,
    Signatory,
)
from agreements.selectors import collaborations_of_organisation, with_overdue
from core.translated import ordering_for

from .engagement import CADENCE_DAYS
from .models import Meeting

# How many rows each part of the home page shows; each part links to the whole list.
HOME_ROWS = 8
# Collaborations whose work is under way: their obligations, reports and meetings are due.
RUNNING = (Collaboration.Status.FORMING, Collaboration.Status.ACTIVE)


@dataclass
class ReportExpected:
    goal: SharedGoal
    last_period_end: dt.date | None
    due_on: dt.date

    @property
    def overdue(self) -> bool:
        return self.due_on < timezone.localdate()


@dataclass
class StaffHome:
    collaborations: list[Collaboration] = field(default_factory=list)
    more_collaborations: bool = False
    obligations: list[Obligation] = field(default_factory=list)
    awaiting_signature: list[Agreement] = field(default_factory=list)
    reports_expected: list[ReportExpected] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)

    @property
    def nothing_due(self) -> bool:
        return not (self.obligations or self.awaiting_signature or self.reports_expected)


def _taking_part(organisation_id: int) -> QuerySet:
    return Participation.objects.filter(
        organisation_id=organisation_id, status=Participation.Status.ACTIVE
    ).values("collaboration_id")


def my_collaborations(*, organisation_id: int) -> QuerySet[Collaboration]:
    """Collaborations the organisation leads or takes part in (not withdrawn), by title."""
    return collaborations_of_organisation(
        Collaboration.objects.select_related("lead_organisation"), organisation_id
    ).order_by(*ordering_for(Collaboration, ["title", "pk"]))


def obligations_due(*, organisation_id: int, today: dt.date) -> QuerySet[Obligation]:
    """The organisation's pending obligations overdue or due within OBLIGATION_REMINDER_DAYS, in
    running collaborations, soonest first."""
    horizon = today + dt.timedelta(days=settings.OBLIGATION_REMINDER_DAYS)
    return with_overdue(
        Obligation.objects.filter(
            organisation_id=organisation_id,
            status=Obligation.Status.PENDING,
            due_date__lte=horizon,
            collaboration__status__in=RUNNING,
        ).select_related("collaboration"),
        today,
    ).order_by("due_date", "pk")


def agreements_awaiting_signature(*, organisation_id: int) -> QuerySet[Agreement]:
    """Agreements circulating for signature that the organisation has not signed yet."""
    return (
        Agreement.objects.filter(status=Agreement.Status.CIRCULATING)
        .filter(
            Exists(
                Signatory.objects.filter(
                    agreement=OuterRef("pk"), organisation_id=organisation_id, signed_at=None
                )
            )
        )
        .select_related("collaboration")
        .order_by("circulated_on", "pk")
    )


def reports_expected(*, organisation_id: int, today: dt.date) -> list[ReportExpected]:
    """Goals of the running collaborations the organisation takes an active part in whose next
    report from it is due within a week or late: one cadence after its last report (or after the
    goal was set, when it has never reported). One query."""
    goals = (
        SharedGoal.objects.filter(
            collaboration_id__in=_taking_part(organisation_id), collaboration__status__in=RUNNING
        )
        .select_related("collaboration")
        .annotate(
            our_last=Max(
                "measurements__period_end",
                filter=Q(measurements__reported_by_organisation_id=organisation_id),
            )
        )
        .order_by("pk")
    )
    soon = today + dt.timedelta(days=7)
    expected = []
    for goal in goals:
        start = goal.our_last or timezone.localdate(goal.created_at)
        due_on = start + dt.timedelta(days=CADENCE_DAYS.get(goal.cadence, 91))
        if due_on <= soon:
            expected.append(ReportExpected(goal, goal.our_last, due_on))
    expected.sort(key=lambda report: (report.due_on, report.goal.pk))
    return expected


def next_meetings(*, organisation_id: int, now: dt.datetime) -> QuerySet[Meeting]:
    """Upcoming meetings of the collaborations the organisation takes an active part in."""
    return (
        Meeting.objects.filter(collaboration_id__in=_taking_part(organisation_id), held_at__gte=now)
        .select_related("collaboration")
        .order_by("held_at", "pk")
    )


def staff_home_for(*, organisation_id: int) -> StaffHome:
    today, now = timezone.localdate(), timezone.now()
    collaborations = list(my_collaborations(organisation_id=organisation_id)[: HOME_ROWS + 1])
    return StaffHome(
        collaborations=collaborations[:HOME_ROWS],
        more_collaborations=len(collaborations) > HOME_ROWS,
        obligations=list(obligations_due(organisation_id=organisation_id, today=today)[:HOME_ROWS]),
        awaiting_signature=list(
            agreements_awaiting_signature(organisation_id=organisation_id)[:HOME_ROWS]
        ),
        reports_expected=reports_expected(organisation_id=organisation_id, today=today)[:HOME_ROWS],
        meetings=list(next_meetings(organisation_id=organisation_id, now=now)[:HOME_ROWS]),
    )
