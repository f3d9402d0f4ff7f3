"""The commissioner's demo story: meetings and activity, one partner disengaged and one at risk,
a scan already run, and a second seed that changes nothing."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from agreements.models import Collaboration, SharedGoal
from commissioner import demo
from commissioner.backtest import TRIAL_MONTHS_MAX, engagement_backtest
from commissioner.engagement import Policy
from commissioner.models import (
    Activity,
    Attendance,
    EngagementSnapshot,
    Flag,
    Intervention,
    Meeting,
)
from tests import factories

pytestmark = pytest.mark.django_db


def counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (Meeting, Attendance, Activity, EngagementSnapshot, Flag, Intervention)
    }


def reporting_reasons(snapshots) -> list:
    return [s.reasons for s in snapshots if any("goal report" in r for r in s.reasons)]


def test_the_story_on_collaborations_of_its_own(commissioner):
    """Against collaborations made here (not the agreements demo's), the story still holds: each
    has a monthly goal every partner has reported on for a year; the drifting partners stop."""
    today = timezone.localdate()
    for index in range(2):
        collaboration = factories.CollaborationFactory(
            commissioner=commissioner, slug=f"demo-{index}"
        )
        goal = factories.SharedGoalFactory(
            collaboration=collaboration, cadence=SharedGoal.Cadence.MONTHLY
        )
        SharedGoal.objects.filter(pk=goal.pk).update(
            created_at=timezone.now() - dt.timedelta(days=400)
        )
        for _ in range(3):
            participation = factories.ParticipationFactory(
                collaboration=collaboration,
                joined_on=today - dt.timedelta(days=400),
            )
            for months in range(12):
                factories.MeasurementFactory(
                    goal=goal,
                    reported_by_organisation=participation.organisation,
                    period_end=today - dt.timedelta(days=30 * months + 3),
                    # At noon of a local calendar day: "now - 91 days" falls on the local day 90
                    # days back in the hour before midnight across a change of summer time,
                    # inside the reporting window, and no report would be missing.
                    reported_at=timezone.make_aware(
                        dt.datetime.combine(today - dt.timedelta(days=30 * months + 1), dt.time(12))
                    ),
                )
    factories.CollaborationFactory(status=Collaboration.Status.PROPOSED)

    summary = demo.seed()

    assert Meeting.objects.count() == 2 * 6
    assert Meeting.objects.filter(collaboration__status="proposed").count() == 0
    held = sorted(Meeting.objects.values_list("held_at", flat=True).distinct())
    assert (timezone.now() - held[0]).days > 150  # six months back
    today = timezone.localdate()
    latest = EngagementSnapshot.objects.filter(scan_date=today)
    assert latest.count() == 6
    # The trend: every scan the demo ran, and today's.
    scans = EngagementSnapshot.objects.values("scan_date").distinct().count()
    assert scans == len(demo.SCAN_DAYS_AGO) + 1
    open_flags = Flag.objects.filter(status__in=Flag.OPEN_STATUSES)
    assert sorted(open_flags.values_list("band", flat=True)) == ["at_risk", "disengaged"]
    disengaged = open_flags.get(band="disengaged")
    snapshot = latest.get(participation=disengaged.participation)
    # Absent from the last four of the six meetings the component reads.
    assert (snapshot.consecutive_absences, snapshot.meetings_held) == (4, 6)
    assert snapshot.days_since_activity >= 60
    assert "missed 4 of the last 6 meetings, the last 4 in a row" in disengaged.reasons
    assert disengaged.interventions.count() == 1
    at_risk = open_flags.get(band="at_risk")
    assert at_risk.participation.organisation_id != disengaged.participation.organisation_id
    assert at_risk.reasons
    assert "drifting:" in summary
    # The drifting partners stopped reporting too; everyone else reports on every goal, so no
    # engaged partner has a report held against it.
    assert any("goal report" in r for r in disengaged.reasons)
    assert any("goal report" in r for r in at_risk.reasons)
    engaged = latest.filter(band="engaged")
    assert engaged.count() == 4
    assert reporting_reasons(engaged) == []

    before = counts()
    assert demo.seed() == "demo meetings already loaded"
    assert counts() == before


def test_seed_demo_tells_the_story_across_every_demo(django_capture_on_commit_callbacks):
    """The whole `seed_demo`: the partners and agreements demos, then this one."""
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=StringIO())
    open_flags = Flag.objects.filter(status__in=Flag.OPEN_STATUSES)
    bands = list(open_flags.values_list("band", flat=True))
    assert bands.count("disengaged") == 1
    assert bands.count("at_risk") >= 1
    assert all(flag.reasons for flag in open_flags)
    assert all(flag.notified_at is not None for flag in open_flags)
    # Every participating organisation reports on every goal (docs/engagement.md), and the demo
    # partners do: none of the engaged ones has a report missing. The drifting ones have.
    latest = EngagementSnapshot.objects.filter(scan_date=timezone.localdate())
    engaged = latest.filter(band="engaged")
    assert engaged.count() >= 20
    assert reporting_reasons(engaged) == []
    assert reporting_reasons(latest.exclude(band="engaged"))
    # The demo scanned every day, as the daily scan would have: replayed with the policy in
    # force, the longest span the policy page tries raises the very flags the history has.
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    span_from = yesterday - dt.timedelta(days=30 * TRIAL_MONTHS_MAX - 1)
    replayed = engagement_backtest(date_from=span_from, date_to=yesterday)
    history = Flag.objects.filter(raised_on__gte=span_from, raised_on__lte=yesterday)
    assert flags_of(replayed.flags, Policy.model_defaults().reopen_days) == sorted(
        history.values_list("participation_id", "raised_on", "reopened_count", "reopened_on")
    )
    assert {flag.participation_id for flag in replayed.flags} >= set(
        open_flags.values_list("participation_id", flat=True)
    )
    before = counts()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=StringIO())
    assert counts() == before


def flags_of(episodes, reopen_days: int) -> list[tuple]:
    """The flags the backtest's episodes make: one raised again within `reopen_days` of its
    closing is the same flag reopened (participation, raised on, times reopened, reopened on)."""
    flags: list[list] = []
    closed_on: dict[int, dt.date | None] = {}
    for episode in sorted(episodes, key=lambda e: (e.participation_id, e.raised_on)):
        pk, closed = episode.participation_id, closed_on.get(episode.participation_id)
        if closed is not None and (episode.raised_on - closed).days <= reopen_days:
            flag = next(f for f in reversed(flags) if f[0] == pk)
            flag[2] += 1
            flag[3] = episode.raised_on
        else:
            flags.append([pk, episode.raised_on, 0, None])
        closed_on[pk] = episode.closed_on
    return sorted(tuple(flag) for flag in flags)
