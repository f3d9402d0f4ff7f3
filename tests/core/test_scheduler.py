"""Periodic jobs run without a broker, once per due time (the embedded `make run`)."""

import datetime as dt

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core.scheduling import beat_schedule_sync, run_due_tasks

pytestmark = pytest.mark.django_db


def test_schedules_in_code_are_loaded_into_the_database():
    beat_schedule_sync()
    beat_schedule_sync()  # idempotent
    task = PeriodicTask.objects.get(name="clear-expired-sessions")
    assert task.task == "core.tasks.clear_expired_sessions"
    assert task.crontab.hour == "3"


def test_a_daily_job_runs_once_a_day_in_process():
    beat_schedule_sync()
    PeriodicTask.objects.filter(name="clear-expired-sessions").update(
        last_run_at=timezone.now() - dt.timedelta(days=2)
    )
    stale = SessionStore()
    stale.create()
    Session.objects.filter(pk=stale.session_key).update(
        expire_date=timezone.now() - dt.timedelta(days=1)
    )
    now = timezone.now()
    assert "clear-expired-sessions" in run_due_tasks(now)
    assert not Session.objects.filter(pk=stale.session_key).exists()
    # A minute later it is not due again; a day later it is.
    assert "clear-expired-sessions" not in run_due_tasks(now + dt.timedelta(minutes=1))
    assert "clear-expired-sessions" in run_due_tasks(now + dt.timedelta(days=1, minutes=1))
