"""Periodic jobs without a broker.

`CELERY_BEAT_SCHEDULE` (in settings) is the one list of periodic jobs. With Redis, celery beat
runs them through django-celery-beat's database scheduler. With the embedded default there is no
broker, so `manage.py run_scheduler` does beat's job in-process: it keeps the same
PeriodicTask rows (so a restart does not re-run a job that already ran today) and runs each due
task eagerly."""

import json
import logging
from datetime import datetime

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import ModelEntry

logger = logging.getLogger(__name__)


def beat_schedule_sync() -> list[PeriodicTask]:
    """Create or update a PeriodicTask row for each entry of CELERY_BEAT_SCHEDULE, converted by
    django-celery-beat itself (ModelEntry.from_entry: what its DatabaseScheduler does with the
    app's beat_schedule on start), so crontab and interval rows are the library's own."""
    with transaction.atomic():
        return [
            ModelEntry.from_entry(name, app=current_app, **entry).model
            for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        ]


def due_periodic_tasks(now: datetime | None = None) -> list[PeriodicTask]:
    """The enabled periodic tasks whose schedule says they should run now."""
    now = now or timezone.now()
    due = []
    tasks = PeriodicTask.objects.filter(enabled=True).select_related("crontab", "interval")
    for periodic in tasks:
        schedule = periodic.schedule
        # A task that never ran is measured from when it was created, so a fresh install does
        # not fire every job at once on first start.
        last_run = periodic.last_run_at or periodic.date_changed
        schedule.nowfun = lambda: now
        is_due, _ = schedule.is_due(last_run)
        if is_due:
            due.append(periodic)
    return due


def run_due_tasks(now: datetime | None = None) -> list[str]:
    """Run every due task in this process; returns the names that ran."""
    now = now or timezone.now()
    # Import every app's tasks module, as a worker does on start: autodiscovery is lazy, and a
    # process that only schedules (manage.py run_scheduler) would otherwise know no task.
    current_app.loader.import_default_modules()
    ran = []
    for periodic in due_periodic_tasks(now):
        task = current_app.tasks.get(periodic.task)
        if task is None:
            logger.error("Periodic task %s names unknown task %s", periodic.name, periodic.task)
            continue
        # Mark the run first: a crash inside the task must not make it fire again every tick.
        PeriodicTask.objects.filter(pk=periodic.pk).update(
            last_run_at=now, total_run_count=periodic.total_run_count + 1
        )
        try:
            task.apply(
                args=json.loads(periodic.args or "[]"),
                kwargs=json.loads(periodic.kwargs or "{}"),
                throw=True,
            )
        except Exception:
            logger.exception("Periodic task %s failed", periodic.name)
        else:
            logger.info("Periodic task %s ran", periodic.name)
        ran.append(periodic.name)
    return ran
