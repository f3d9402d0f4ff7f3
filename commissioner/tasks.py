"""Celery tasks of the commissioner app: thin and idempotent, each calls one service."""

import datetime as dt

from celery import shared_task

from . import services


@shared_task(
    name="commissioner.tasks.engagement_scan_task", acks_late=True, reject_on_worker_lost=True
)
def engagement_scan_task(scan_date: str | None = None) -> dict:
    """The daily engagement scan (beat) and "Scan now": plan the day into batches and queue one
    task per unfinished batch (services/fanout.py), so every worker takes a share. A day already
    finished queues nothing (two queries). Idempotent, so acknowledged late: a worker lost while
    planning leaves the message to be redelivered."""
    day = dt.date.fromisoformat(scan_date) if scan_date else None
    return services.engagement_scan_fan_out(scan_date=day)


@shared_task(
    name="commissioner.tasks.engagement_scan_batch_task", acks_late=True, reject_on_worker_lost=True
)
def engagement_scan_batch_task(scan_date: str, number: int) -> dict | None:
    """One batch of a day's scan; the last batch to finish queues the finishing step.

    acks_late and reject_on_worker_lost: a worker that dies mid-batch leaves the message
    unacknowledged and Redis redelivers it (after the visibility timeout; the hourly
    engagement_scan_finish_task queues it again sooner). The batch is idempotent: its writes and
    its "finished" mark commit together, so a redelivered finished batch does nothing."""
    result = services.engagement_scan_batch(
        scan_date=dt.date.fromisoformat(scan_date), number=number
    )
    return result.as_dict() if result is not None else None


@shared_task(
    name="commissioner.tasks.engagement_scan_complete_task",
    acks_late=True,
    reject_on_worker_lost=True,
)
def engagement_scan_complete_task(scan_date: str) -> dict | None:
    """The day's finishing step (flags no longer scanned, portfolio summary, digests), once."""
    result = services.engagement_scan_complete(scan_date=dt.date.fromisoformat(scan_date))
    return result.as_dict() if result is not None else None


@shared_task(name="commissioner.tasks.engagement_scan_finish_task")
def engagement_scan_finish_task() -> dict | None:
    """Hourly: queue what is left of today's scan if it stopped part-way (a no-op, one query,
    when it is finished or has not begun); a scan run in one process (manage.py
    engagement_scan) stopped part-way is completed as before."""
    resumed = services.engagement_scan_resume()
    if resumed is not None:
        return resumed
    result = services.engagement_scan_finish()
    return result.as_dict() if result is not None else None


@shared_task(name="commissioner.tasks.send_obligation_reminders_task")
def send_obligation_reminders_task() -> int:
    return services.obligation_reminders_send()


@shared_task(name="commissioner.tasks.send_agreement_renewal_reminders_task")
def send_agreement_renewal_reminders_task() -> int:
    return services.agreement_renewal_reminders_send()


@shared_task(name="commissioner.tasks.send_survey_reminders_task")
def send_survey_reminders_task() -> int:
    """The one reminder of each survey round to its non-respondents (idempotent: a round is
    marked reminded in the transaction that sends it)."""
    from .survey.services import survey_reminders_send

    return survey_reminders_send()


@shared_task(name="commissioner.tasks.open_scheduled_survey_rounds_task")
def open_scheduled_survey_rounds_task() -> int:
    """Open the survey rounds the collaborations' cadences have due (idempotent)."""
    from .survey.services import survey_rounds_open_due

    return survey_rounds_open_due()


@shared_task(name="commissioner.tasks.snapshots_thin_task")
def snapshots_thin_task() -> int:
    """Daily: snapshots older than 13 months thinned to one a week (idempotent)."""
    return services.snapshots_thin()
