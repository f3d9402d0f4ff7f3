"""Snapshots kept in bounds: every daily snapshot for 13 months, then one a week — the last scan
of each week, Monday to Sunday, for each participation. The scan writes ~155,000 rows a day at
national scale (57 million a year); thinned, a participation keeps ~395 daily and 52 weekly
rows a year.

What reads old snapshots still finds what it needs: the health page's trend reads the last 182
days (all kept, daily); the scan's previous state looks back 31 days and its trend score
`trend_days` back with a week's slack, so a replayed day (the backtest) older than 13 months
finds the week's snapshot. Run daily by beat; idempotent (a second run deletes nothing).

Not declarative partitioning, though PostgreSQL could drop a month in one statement: every
unique constraint of a partitioned table must include the partition key, so the snapshot's own
`id` could no longer be its primary key (a composite key touches every `pk` use, the admin,
serializers and the scan's upsert), and converting a table of tens of millions of rows in a
migration locks it for the length of the copy. One DELETE a week of history through the
(scan date, participation) index does the same job without either (docs/performance.md)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import connection, transaction
from django.utils import timezone

from ..models import EngagementSnapshot

logger = logging.getLogger(__name__)

DAILY_MONTHS = 13
# Weeks behind the 13-month line looked at on each run: the daily job needs one; the margin
# covers a job that did not run for a while. A first run on old data passes more.
LOOKBACK_WEEKS = 8


def retention_cutoff(today: dt.date) -> dt.date:
    """The first day still kept daily: today 13 months ago (the 28th when the day is missing)."""
    month = today.month - DAILY_MONTHS
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for day in (today.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def snapshots_thin(*, today: dt.date | None = None, weeks: int = LOOKBACK_WEEKS) -> int:
    """Delete, in each whole week (Monday to Sunday) before the 13-month line and at most
    `weeks` weeks behind it, every snapshot but the last of its participation in that week. One
    statement a week, each in its own transaction. Returns the rows deleted."""
    today = today or timezone.localdate()
    cutoff = retention_cutoff(today)
    # The last whole week before the cutoff ends on the Sunday before it.
    week_end = cutoff - dt.timedelta(days=cutoff.weekday() + 1)
    table = EngagementSnapshot._meta.db_table
    deleted = 0
    for _ in range(weeks):
        week_start = week_end - dt.timedelta(days=6)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"""
                DELETE FROM {table}
                WHERE scan_date BETWEEN %s AND %s
                AND scan_date < (
                    SELECT MAX(kept.scan_date) FROM {table} kept
                    WHERE kept.participation_id = {table}.participation_id
                    AND kept.scan_date BETWEEN %s AND %s
                )
                """,  # noqa: S608 - the table name is the model's
                [week_start, week_end, week_start, week_end],
            )
            deleted += cursor.rowcount
        week_end = week_start - dt.timedelta(days=1)
    if deleted:
        logger.info("Snapshot retention: %s daily snapshots thinned to weekly", deleted)
    return deleted
