"""The portfolio summary: one row per collaboration with what the dashboard lists — its active
partners' worst band and lowest score on a scan, its open flags, its next deadline and its
partners by state — written in one statement when a scan finishes, so the portfolio pages read
and order 20,000 rows off an index instead of computing three correlated subqueries for each
(issue 18)."""

from __future__ import annotations

import datetime as dt

from django.db import connection

from agreements.models import Collaboration, Obligation, Participation

from ..models import CollaborationSummary, EngagementSnapshot, Flag


def portfolio_summary_refresh(*, scan_date: dt.date, collaboration_id: int | None = None) -> int:
    """Write (insert or update) the summary of every collaboration, or of one, from the
    snapshots of `scan_date` and the open flags, pending obligations and active partners as they
    are now. One statement; returns the rows written."""
    summary = CollaborationSummary._meta.db_table
    collaboration = Collaboration._meta.db_table
    participation = Participation._meta.db_table
    snapshot = EngagementSnapshot._meta.db_table
    flag = Flag._meta.db_table
    obligation = Obligation._meta.db_table
    active = Participation.Status.ACTIVE.value
    open_statuses = [str(status) for status in Flag.OPEN_STATUSES]
    only = ""
    params: list = [scan_date]
    one: list = []
    if collaboration_id is not None:
        only = " AND p.collaboration_id = %s"
        one = [collaboration_id]
    # Subqueries grouped by collaboration, joined once: linear in the rows of one scan day.
    sql = f"""
        INSERT INTO {summary} (
            collaboration_id, scan_date, title, worst_rank, lowest_score, open_flags,
            next_deadline, partner_count, too_early, engaged, drifting, at_risk, disengaged
        )
        SELECT c.id, %s, c.title, COALESCE(s.worst_rank, 0), s.lowest_score,
            COALESCE(f.open_flags, 0), o.next_deadline, COALESCE(pc.partners, 0),
            COALESCE(s.too_early, 0), COALESCE(s.engaged, 0), COALESCE(s.drifting, 0),
            COALESCE(s.at_risk, 0), COALESCE(s.disengaged, 0)
        FROM {collaboration} c
        LEFT JOIN (
            SELECT p.collaboration_id,
                MAX(CASE s.band WHEN 'engaged' THEN 1 WHEN 'at_risk' THEN 2
                    WHEN 'disengaged' THEN 3 ELSE 0 END) AS worst_rank,
                MIN(s.score) AS lowest_score,
                SUM(CASE WHEN s.state = 'too_early' THEN 1 ELSE 0 END) AS too_early,
                SUM(CASE WHEN s.state = 'engaged' THEN 1 ELSE 0 END) AS engaged,
                SUM(CASE WHEN s.state = 'drifting' THEN 1 ELSE 0 END) AS drifting,
                SUM(CASE WHEN s.state = 'at_risk' THEN 1 ELSE 0 END) AS at_risk,
                SUM(CASE WHEN s.state = 'disengaged' THEN 1 ELSE 0 END) AS disengaged
            FROM {snapshot} s JOIN {participation} p ON p.id = s.participation_id
            WHERE s.scan_date = %s AND p.status = %s{only}
            GROUP BY p.collaboration_id
        ) s ON s.collaboration_id = c.id
        LEFT JOIN (
            SELECT p.collaboration_id, COUNT(*) AS open_flags
            FROM {flag} f JOIN {participation} p ON p.id = f.participation_id
            WHERE f.status IN (%s, %s) AND p.status = %s{only}
            GROUP BY p.collaboration_id
        ) f ON f.collaboration_id = c.id
        LEFT JOIN (
            SELECT p.collaboration_id, COUNT(*) AS partners
            FROM {participation} p WHERE p.status = %s{only}
            GROUP BY p.collaboration_id
        ) pc ON pc.collaboration_id = c.id
        LEFT JOIN (
            SELECT o.collaboration_id, MIN(o.due_date) AS next_deadline
            FROM {obligation} o WHERE o.status = %s{only.replace("p.", "o.")}
            GROUP BY o.collaboration_id
        ) o ON o.collaboration_id = c.id
        WHERE {"c.id = %s" if collaboration_id is not None else "1 = 1"}
        ON CONFLICT (collaboration_id) DO UPDATE SET
            scan_date = excluded.scan_date, title = excluded.title,
            worst_rank = excluded.worst_rank, lowest_score = excluded.lowest_score,
            open_flags = excluded.open_flags, next_deadline = excluded.next_deadline,
            partner_count = excluded.partner_count, too_early = excluded.too_early,
            engaged = excluded.engaged, drifting = excluded.drifting,
            at_risk = excluded.at_risk, disengaged = excluded.disengaged
    """  # noqa: S608 - table names from the models, values as parameters
    params += [scan_date, active, *one]
    params += [*open_statuses, active, *one]
    params += [active, *one]
    params += [Obligation.Status.PENDING.value, *one]
    params += one
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
