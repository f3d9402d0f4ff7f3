"""Celery tasks of the commissioner app: thin and idempotent, each calls one service."""

import datetime as dt

from celery import shared_task

from . import services


@shared_task(name="commissioner.tasks.engagement_scan_task", acks_late=True)
def engagement_scan_task(scan_date: str | None = None) -> dict:
    """The daily engagement scan (beat) and "Scan now". acks_late: a worker that dies mid-scan
    leaves the message to be redelivered, and a rerun of the scan is safe."""
    day = dt.date.fromisoformat(scan_date) if scan_date else None
    return services.engagement_scan(scan_date=day).as_dict()


@shared_task(name="commissioner.tasks.send_obligation_reminders_task")
def send_obligation_reminders_task() -> int:
    return services.obligation_reminders_send()


@shared_task(name="commissioner.tasks.send_agreement_renewal_reminders_task")
def send_agreement_renewal_reminders_task() -> int:
    return services.agreement_renewal_reminders_send()
