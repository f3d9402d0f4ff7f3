"""Snapshot retention: daily for 13 months, then the last scan of each week."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from commissioner.models import EngagementSnapshot
from commissioner.services import retention_cutoff, snapshots_thin
from commissioner.tasks import snapshots_thin_task
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 4, 14)  # a Wednesday


def test_the_cutoff_is_thirteen_months_back():
    assert retention_cutoff(TODAY) == dt.date(2026, 3, 14)
    assert retention_cutoff(dt.date(2027, 3, 31)) == dt.date(2026, 2, 28)
    assert retention_cutoff(dt.date(2027, 1, 5)) == dt.date(2025, 12, 5)


def test_old_daily_snapshots_are_thinned_to_the_last_of_each_week():
    cutoff = retention_cutoff(TODAY)  # Saturday 14 March 2026
    daily = factories.ParticipationFactory()
    sparse = factories.ParticipationFactory()
    first = cutoff - dt.timedelta(days=30)
    days = [first + dt.timedelta(days=n) for n in range(40)]
    for day in days:
        factories.EngagementSnapshotFactory(participation=daily, scan_date=day)
    # A partner scanned on Wednesdays only keeps every one of them.
    wednesdays = [day for day in days if day.weekday() == 2]
    for day in wednesdays:
        factories.EngagementSnapshotFactory(participation=sparse, scan_date=day)

    deleted = snapshots_thin(today=TODAY)

    kept = sorted(
        EngagementSnapshot.objects.filter(participation=daily).values_list("scan_date", flat=True)
    )
    # Whole weeks before the cutoff (they end on Sunday 8 March): their Sundays only; the
    # week the cutoff falls in, and everything after it, daily.
    last_whole_week_end = dt.date(2026, 3, 8)
    assert [day for day in kept if day <= last_whole_week_end] == [
        day for day in days if day <= last_whole_week_end and day.weekday() == 6
    ]
    assert [day for day in kept if day > last_whole_week_end] == [
        day for day in days if day > last_whole_week_end
    ]
    assert (
        sorted(
            EngagementSnapshot.objects.filter(participation=sparse).values_list(
                "scan_date", flat=True
            )
        )
        == wednesdays
    )
    assert deleted == len(days) - len(kept)
    # Idempotent: nothing more to delete.
    assert snapshots_thin(today=TODAY) == 0


def test_the_retention_job_is_in_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["snapshot-retention"]
    assert entry["task"] == snapshots_thin_task.name
    assert snapshots_thin_task.apply().get() == 0
