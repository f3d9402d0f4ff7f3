"""Fixtures of the commissioner tests: a fixed past scan date, and builders for partners whose
every signal is exactly what a test says (and perfect otherwise)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from agreements.models import Collaboration, Participation, SharedGoal
from tests import factories

# A past date: every meeting of the tests has taken place by the time the scan looks at it.
SCAN = dt.date(2026, 3, 31)


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    """`hour` o'clock local time on `day`."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def days_before(days: int, hour: int = 12) -> dt.datetime:
    return at(SCAN - dt.timedelta(days=days), hour)


@pytest.fixture
def scan_date() -> dt.date:
    return SCAN


@pytest.fixture
def collaboration(db, commissioner) -> Collaboration:
    return factories.CollaborationFactory(
        status=Collaboration.Status.ACTIVE,
        commissioner=commissioner,
        start_date=SCAN - dt.timedelta(days=400),
    )


def partner(
    collaboration: Collaboration,
    *,
    joined_days_ago: int = 200,
    active_on_scan_day: bool = True,
    **kwargs,
) -> Participation:
    """A participation that joined `joined_days_ago` days before SCAN; with an activity on the
    scan day itself (so recency is perfect) unless told otherwise."""
    participation = factories.ParticipationFactory(
        collaboration=collaboration, joined_on=SCAN - dt.timedelta(days=joined_days_ago), **kwargs
    )
    if active_on_scan_day:
        factories.ActivityFactory(participation=participation, occurred_at=at(SCAN, 9))
    return participation


@pytest.fixture
def make_partner():
    return partner


def goal(collaboration: Collaboration, *, set_days_before_scan: int = 400, **kwargs) -> SharedGoal:
    """A shared goal set `set_days_before_scan` days before SCAN (long before the window by
    default: a goal expects reports only from the day it was set)."""
    shared_goal = factories.SharedGoalFactory(collaboration=collaboration, **kwargs)
    # created_at is auto_now_add: stamp the day it was set afterwards.
    SharedGoal.objects.filter(pk=shared_goal.pk).update(
        created_at=at(SCAN - dt.timedelta(days=set_days_before_scan), 8)
    )
    shared_goal.refresh_from_db()
    return shared_goal


@pytest.fixture
def flags_at_once(db):
    """A default policy whose flags rise and close on a single scan: the setting of the tests of
    the flags' lifecycle, digests and the scan's mechanics. The rule that a state must hold for
    `flag_after_scans` scans (2 by default) has tests of its own (test_early_warning.py)."""
    return factories.EngagementPolicyFactory(collaboration=None, flag_after_scans=1)
