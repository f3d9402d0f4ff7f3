"""The daily scan shared by Celery workers: a day is planned once into batches of participations
(ScanBatch), each batch is a task of its own, and the last batch to finish queues the step that
closes flags no longer scanned, writes the portfolio summary and sends the digests.

- A batch's snapshots, flags and its `finished_at` commit in one transaction: a batch whose
  worker died left nothing and is redone; a finished batch is skipped (a redelivered or
  duplicated task costs two queries). Two workers never score the same batch at once: the batch
  row is locked (`SKIP LOCKED`: the second one moves on).
- A finished day is recorded (ScanRun.finished_at): the task run again that day does nothing.
- No result backend is needed (this app has none, and `make run` runs tasks in-process without
  Redis): instead of a chord, each batch checks after it commits whether any batch of the day is
  unfinished; the last one queues the finishing step, which takes the day's row with
  `SKIP LOCKED` and runs once.

With tasks run eagerly (no REDIS_URL) the same code runs every batch, then the finishing step,
one after another in the calling process."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import fields

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from agreements.models import Participation

from ..engagement import Day, ParticipationRow, default_policy
from ..models import ScanBatch, ScanRun
from .common import SCANNED_COLLABORATION_STATUSES
from .notices import flag_digests_send
from .scan import ScanResult, _refresh_statistics, _scan_batch, flags_close_not_scanned
from .summary import portfolio_summary_refresh

logger = logging.getLogger(__name__)

COUNTS = [f.name for f in fields(ScanResult) if f.name != "scan_date"]


def _scanned(day: dt.date):
    return Participation.objects.filter(
        status=Participation.Status.ACTIVE,
        collaboration__status__in=SCANNED_COLLABORATION_STATUSES,
        joined_on__lte=day,
    )


def scan_run_get_or_create(*, scan_date: dt.date, requested_by=None) -> tuple[ScanRun, bool]:
    """The day's run, created if there is none (the unique scan date settles a race)."""
    try:
        with transaction.atomic():
            return ScanRun.objects.get_or_create(
                scan_date=scan_date,
                defaults={
                    "requested_by": requested_by,
                    "batch_size": getattr(settings, "ENGAGEMENT_SCAN_BATCH_SIZE", 5000),
                },
            )
    except IntegrityError:
        return ScanRun.objects.get(scan_date=scan_date), False


def scan_plan(*, scan_date: dt.date, batch_size: int | None = None) -> ScanRun:
    """Plan the day into batches once: the first id of every `batch_size`-th scanned
    participation marks a batch's start; the last batch is open-ended, so a partner added later
    in the day is still scanned. Idempotent: a planned day is returned as it is."""
    run, _created = scan_run_get_or_create(scan_date=scan_date)
    if run.planned_at is not None:
        return run
    with transaction.atomic():
        run = ScanRun.objects.select_for_update().get(pk=run.pk)
        if run.planned_at is not None:
            return run
        size = batch_size or run.batch_size
        ids = list(_scanned(scan_date).order_by("pk").values_list("pk", flat=True))
        starts = ids[::size] or [0]
        ScanBatch.objects.bulk_create(
            ScanBatch(
                run=run,
                number=number,
                first_id=0 if number == 0 else start,
                last_id=starts[number + 1] - 1 if number + 1 < len(starts) else None,
            )
            for number, start in enumerate(starts)
        )
        run.planned_at, run.batch_size = timezone.now(), size
        run.save(update_fields=["planned_at", "batch_size"])
    return run


def engagement_scan_fan_out(*, scan_date: dt.date | None = None) -> dict:
    """The daily scan's first step (beat, "Scan now", the hourly check): plan the day, then queue
    a task for each unfinished batch — or, when every batch is done but the day is not, the
    finishing step. A finished day costs two queries and queues nothing."""
    from ..tasks import engagement_scan_batch_task, engagement_scan_complete_task

    day = scan_date or timezone.localdate()
    run = ScanRun.objects.filter(scan_date=day).first()
    if run is not None and run.finished_at is not None:
        return {"scan_date": day.isoformat(), "finished": True, "queued": 0}
    run = scan_plan(scan_date=day)
    numbers = list(
        run.batches.filter(finished_at__isnull=True)
        .order_by("number")
        .values_list("number", flat=True)
    )

    def enqueue() -> None:
        for number in numbers:
            engagement_scan_batch_task.delay(day.isoformat(), number)
        if not numbers:
            engagement_scan_complete_task.delay(day.isoformat())

    transaction.on_commit(enqueue)
    return {"scan_date": day.isoformat(), "finished": False, "queued": len(numbers)}


def engagement_scan_batch(*, scan_date: dt.date, number: int) -> ScanResult | None:
    """Score one planned batch unless it is finished or another worker holds it; returns its
    counts, or None when it did nothing. Queues the finishing step when it was the last."""
    from ..tasks import engagement_scan_complete_task

    day = Day.of(scan_date)
    result = ScanResult(scan_date=scan_date)
    with transaction.atomic():
        batch = (
            # The batch's row only (`of`): the join would lock the day's row too, and every
            # other batch of the day, finding it locked, would skip itself.
            ScanBatch.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(run__scan_date=scan_date, number=number, finished_at__isnull=True)
            .first()
        )
        if batch is None:
            return None
        participations = _scanned(scan_date).filter(pk__gte=batch.first_id)
        if batch.last_id is not None:
            participations = participations.filter(pk__lte=batch.last_id)
        rows = [
            ParticipationRow(*values)
            for values in participations.order_by("pk").values_list(
                "pk", "collaboration_id", "organisation_id", "joined_on"
            )
        ]
        with translation.override(settings.LANGUAGE_CODE):
            if rows:
                _scan_batch(rows, day, default_policy(), result)
        batch.finished_at = timezone.now()
        batch.figures = {name: getattr(result, name) for name in COUNTS}
        batch.save(update_fields=["finished_at", "figures"])

    # After the commit: whoever commits last sees every batch finished.
    if not ScanBatch.objects.filter(run__scan_date=scan_date, finished_at__isnull=True).exists():
        transaction.on_commit(lambda: engagement_scan_complete_task.delay(scan_date.isoformat()))
    return result


def engagement_scan_complete(*, scan_date: dt.date, send_digests: bool = True) -> ScanResult | None:
    """The day's finishing step, once: close the flags of partners no longer scanned, write the
    portfolio summary, send the digests, record the day finished with its counts. None when the
    day is finished, has unfinished batches, or another worker is finishing it."""
    with transaction.atomic():
        run = (
            ScanRun.objects.select_for_update(skip_locked=True)
            .filter(scan_date=scan_date, finished_at__isnull=True, planned_at__isnull=False)
            .first()
        )
        if run is None or run.batches.filter(finished_at__isnull=True).exists():
            return None
        result = ScanResult(scan_date=scan_date)
        for figures in run.batches.values_list("figures", flat=True):
            for name in COUNTS:
                setattr(result, name, getattr(result, name) + figures.get(name, 0))
        with translation.override(settings.LANGUAGE_CODE):
            result.flags_closed_not_scanned = flags_close_not_scanned()
            portfolio_summary_refresh(scan_date=scan_date)
            if send_digests:
                result.digests_sent = flag_digests_send(as_of=scan_date)
        run.finished_at = timezone.now()
        run.figures = result.as_dict()
        run.save(update_fields=["finished_at", "figures"])
    _refresh_statistics()
    logger.info("%s", result)
    return result


def engagement_scan_request(*, actor) -> tuple[str, ScanRun]:
    """ "Scan now": queue today's scan unless one was already queued today. Returns
    ("queued" | "running" | "finished" | "failed", the day's run). At most one scan a day: a
    second press, by anyone, is told the scan is running (or when it finished) and queues
    nothing. "failed": the broker did not take it (logged; the run is forgotten so that a
    later press can try again) — never an error for the request."""
    from .common import _require_commissioner

    _require_commissioner(actor)
    from ..tasks import engagement_scan_task

    today = timezone.localdate()
    run, created = scan_run_get_or_create(scan_date=today, requested_by=actor)
    if not created:
        return ("finished" if run.finished_at is not None else "running"), run
    outcome = {"status": "queued"}

    def enqueue() -> None:
        from .scan import _broker_errors

        try:
            engagement_scan_task.delay(today.isoformat())
        except _broker_errors() as exc:
            outcome["status"] = "failed"
            ScanRun.objects.filter(pk=run.pk, planned_at__isnull=True).delete()
            logger.error("Could not queue the engagement scan (%s: %s)", type(exc).__name__, exc)
        except Exception:
            # Without a broker the task runs in-process; its failure must not fail the page.
            outcome["status"] = "failed"
            logger.exception("The engagement scan requested by %s failed", actor)

    transaction.on_commit(enqueue)
    return outcome["status"], run


def engagement_scan_resume(*, today: dt.date | None = None) -> dict | None:
    """Hourly: a day whose run began and is not finished (a worker killed, a machine lost) is
    fanned out again: its unfinished batches are queued (one held by a live worker is skipped by
    that task) or its finishing step. None when there is nothing to do (one query)."""
    day = today or timezone.localdate()
    if not ScanRun.objects.filter(scan_date=day, finished_at__isnull=True).exists():
        return None
    logger.warning("Today's engagement scan is not finished: queueing what is left of it")
    return engagement_scan_fan_out(scan_date=day)
