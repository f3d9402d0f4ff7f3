"""Celery tasks of the commissioner app: thin and idempotent, each calls one service."""

import datetime as dt

from celery import shared_task

from . import services


@shared_task(
    name="commissioner.tasks.engagement_scan_task", acks_late=True, reject_on_worker_lost=True
)
def engagement_scan_task(scan_date: str | None = None) -> dict:
    """The daily engagement scan (beat) and "Scan now"; the scan is idempotent and safe to
    interrupt, so a rerun is harmless.

    acks_late: the message is acknowledged only once the scan has finished, so a worker that
    dies mid-scan (killed, out of memory, the machine lost) leaves it unacknowledged and Redis
    redelivers it after the visibility timeout. reject_on_worker_lost: without it, a prefork
    worker whose child process is killed acknowledges the message anyway (Celery's default),
    and the scan would be lost; with it, the message is requeued. A scan that runs past the
    time limits (CELERY_TASK_SOFT_TIME_LIMIT / CELERY_TASK_TIME_LIMIT, both below the broker's
    visibility timeout) fails and is acknowledged, so a second copy never starts while the first
    still runs; tomorrow's scan, or "Scan now", completes the day."""
    day = dt.date.fromisoformat(scan_date) if scan_date else None
    return services.engagement_scan(scan_date=day).as_dict()


@shared_task(name="commissioner.tasks.engagement_scan_finish_task")
def engagement_scan_finish_task() -> dict | None:
    """Hourly: complete today's scan if it stopped part-way (a no-op when it is whole)."""
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
