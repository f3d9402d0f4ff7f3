"""The floors the benchmarks compare CollabHub with: what the same machine reaches doing the same
work with no application around it.

- `floor_scan()`: the engagement scan's aggregates and its snapshot upsert as one plain SQL
  statement over every scanned participation (default policy, as the benchmark data has no
  per-collaboration policy), written into an empty table of the snapshot table's shape with
  JIT off. It writes the same columns, components included, but no reasons, raises no flags
  and sends no digests: a lower bound, not a second implementation. It computes the figures of
  the scoring before the early warning (issue 14): the trends, streaks, survey and the later
  attendance rules are not in it, so it agrees with the scan on some columns only (the bench
  reports each column's agreement).
- `floor_list()`: a plain Django view returning `JsonResponse` of a page of the same scoped
  queryset's `.values()`, with its count, for the API list benchmark."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection, transaction
from django.http import Http404, JsonResponse
from django.utils import timezone

from commissioner.engagement import CADENCE_DAYS, SIGNATURE_GRACE_DAYS, Day, Policy

FLOOR_SCAN_SQL = """
WITH p AS MATERIALIZED (
    SELECT pa.id, pa.collaboration_id, pa.organisation_id, pa.joined_on,
           GREATEST(%(window_start)s::date, pa.joined_on) AS since
    FROM agreements_participation pa
    JOIN agreements_collaboration c ON c.id = pa.collaboration_id
    WHERE pa.status = 'active' AND c.status = 'active' AND pa.joined_on <= %(scan_date)s
),
pm AS MATERIALIZED (
    SELECT p.id AS pid, m.held_at, a.status
    FROM p
    JOIN commissioner_meeting m
      ON m.collaboration_id = p.collaboration_id
     AND m.held_at < %(meetings_end)s
     AND m.held_at >= (p.since::timestamp AT TIME ZONE %(tz)s)
    LEFT JOIN commissioner_attendance a ON a.meeting_id = m.id AND a.participation_id = p.id
),
att AS (
    SELECT pid, COUNT(*) AS held,
           COUNT(*) FILTER (WHERE status = 'present') AS present,
           COUNT(*) FILTER (WHERE status = 'apologies') AS apologies,
           MAX(held_at) FILTER (WHERE status IN ('present', 'apologies')) AS last_attended
    FROM pm GROUP BY pid
),
consecutive AS (
    SELECT pm.pid, COUNT(*) AS absences
    FROM pm JOIN att ON att.pid = pm.pid
    WHERE pm.held_at > COALESCE(att.last_attended, '-infinity'::timestamptz)
    GROUP BY pm.pid
),
ob AS (
    SELECT p.id AS pid,
           COUNT(*) FILTER (WHERE x.outstanding OR o.due_date >= %(window_start)s) AS due,
           COUNT(*) FILTER (WHERE x.outstanding) AS overdue,
           COALESCE(MAX(%(scan_date)s::date - o.due_date) FILTER (WHERE x.outstanding), 0)
               AS max_days,
           COALESCE(SUM(LEAST(%(scan_date)s::date - o.due_date, %(grace)s))
               FILTER (WHERE x.outstanding), 0) AS lateness
    FROM p
    JOIN agreements_obligation o
      ON o.collaboration_id = p.collaboration_id AND o.organisation_id = p.organisation_id
    CROSS JOIN LATERAL (
        SELECT (o.status = 'pending' OR (o.status = 'met' AND o.met_at >= %(day_end)s))
            AS outstanding
    ) x
    WHERE o.due_date < %(scan_date)s AND o.status <> 'waived'
    GROUP BY p.id
),
made AS (
    SELECT me.goal_id, me.reported_by_organisation_id AS organisation_id, COUNT(*) AS n
    FROM agreements_measurement me
    WHERE me.reported_at >= %(window_start_at)s AND me.reported_at < %(day_end)s
    GROUP BY 1, 2
),
rep AS (
    SELECT p.id AS pid, SUM(e.expected) AS expected,
           SUM(LEAST(COALESCE(made.n, 0), e.expected)) AS made
    FROM p
    JOIN agreements_sharedgoal g ON g.collaboration_id = p.collaboration_id
    CROSS JOIN LATERAL (
        SELECT GREATEST(0, LEAST(%(window_days)s,
                      %(scan_date)s::date - GREATEST(p.joined_on,
                          (g.created_at AT TIME ZONE %(tz)s)::date)) + 1)
               / CASE g.cadence WHEN 'monthly' THEN %(monthly)s WHEN 'quarterly' THEN %(quarterly)s
                 ELSE %(yearly)s END AS expected
    ) e
    LEFT JOIN made ON made.goal_id = g.id AND made.organisation_id = p.organisation_id
    GROUP BY p.id
),
rec AS (
    SELECT p.id AS pid,
           %(scan_date)s::date - COALESCE((last.at AT TIME ZONE %(tz)s)::date, p.joined_on)
               AS days
    FROM p
    LEFT JOIN LATERAL (
        SELECT a.occurred_at AS at FROM commissioner_activity a
        WHERE a.participation_id = p.id AND a.occurred_at < %(day_end)s
        ORDER BY a.occurred_at DESC LIMIT 1
    ) last ON true
),
sig AS (
    SELECT p.id AS pid, COUNT(DISTINCT ag.id) AS pending, MIN(ag.circulated_on) AS oldest
    FROM p
    JOIN agreements_agreement ag
      ON ag.collaboration_id = p.collaboration_id AND ag.status = 'circulating'
     AND ag.circulated_on < %(signature_cutoff)s
    JOIN agreements_signatory s
      ON s.agreement_id = ag.id AND s.organisation_id = p.organisation_id
     AND (s.signed_at IS NULL OR s.signed_at >= %(day_end)s)
    GROUP BY p.id
),
figures AS (
    SELECT p.id AS pid,
           COALESCE(att.held, 0) AS held, COALESCE(att.present, 0) AS present,
           COALESCE(att.apologies, 0) AS apologies, COALESCE(consecutive.absences, 0) AS absences,
           COALESCE(ob.due, 0) AS due, COALESCE(ob.overdue, 0) AS overdue,
           COALESCE(ob.max_days, 0) AS max_days, COALESCE(ob.lateness, 0) AS lateness,
           COALESCE(rep.expected, 0) AS expected, COALESCE(rep.made, 0) AS made,
           GREATEST(rec.days, 0) AS idle,
           COALESCE(sig.pending, 0) AS pending,
           COALESCE(%(scan_date)s::date - sig.oldest, 0) AS awaiting
    FROM p
    LEFT JOIN att ON att.pid = p.id
    LEFT JOIN consecutive ON consecutive.pid = p.id
    LEFT JOIN ob ON ob.pid = p.id
    LEFT JOIN rep ON rep.pid = p.id
    JOIN rec ON rec.pid = p.id
    LEFT JOIN sig ON sig.pid = p.id
),
components AS (
    SELECT f.*,
           CASE WHEN held = 0 THEN 1
                ELSE (present + apologies / 2.0) / held END::numeric AS c_attendance,
           GREATEST(0, 1 - (lateness::numeric / %(grace)s) / GREATEST(1, due)) AS c_obligations,
           CASE WHEN expected = 0 THEN 1 ELSE made::numeric / expected END AS c_reporting,
           GREATEST(0, 1 - idle::numeric / %(inactivity)s) AS c_recency,
           CASE WHEN pending > 0 THEN 0 ELSE 1 END::numeric AS c_signatures
    FROM figures f
),
scored AS (
    SELECT c.*,
           -- Rounded to 9 places first: numeric division is not exact (1/3), and a score
           -- of exactly n + 0.5 must round up as the application's exact arithmetic does.
           FLOOR(ROUND(100 * (%(w_attendance)s * c_attendance + %(w_obligations)s * c_obligations
                 + %(w_reporting)s * c_reporting + %(w_recency)s * c_recency
                 + %(w_signatures)s * c_signatures) / %(w_total)s, 9) + 0.5)::int AS score
    FROM components c
)
INSERT INTO commissioner_engagementsnapshot (
    participation_id, scan_date, score, band, meetings_held, meetings_attended,
    meetings_apologies, attendance_rate, consecutive_absences, obligations_due,
    obligations_overdue, max_days_overdue, reports_expected, reports_missing,
    days_since_activity, signatures_pending, max_days_awaiting_signature, components, reasons,
    computed_at, state, warning_streak, clear_streak, drift_evidence, trend, meetings_unrecorded
)
SELECT pid, %(scan_date)s, score,
       CASE WHEN score >= %(engaged_min)s THEN 'engaged'
            WHEN score >= %(at_risk_min)s THEN 'at_risk' ELSE 'disengaged' END,
       held, present, apologies, CASE WHEN held > 0 THEN ROUND(c_attendance, 4) END, absences,
       due, overdue, max_days, expected, expected - made, idle, pending, awaiting,
       jsonb_build_object(
           'attendance', jsonb_build_object('value', ROUND(c_attendance, 4),
                                            'weight', %(w_attendance)s),
           'obligations', jsonb_build_object('value', ROUND(c_obligations, 4),
                                             'weight', %(w_obligations)s),
           'reporting', jsonb_build_object('value', ROUND(c_reporting, 4),
                                           'weight', %(w_reporting)s),
           'recency', jsonb_build_object('value', ROUND(c_recency, 4), 'weight', %(w_recency)s),
           'signatures', jsonb_build_object('value', c_signatures, 'weight', %(w_signatures)s)),
       '[]'::jsonb, %(now)s,
       -- Not yet computed by the floor (the early warning's trends, streaks and gaps): their
       -- defaults, so the row is whole; docs/performance.md says what the floor leaves out.
       CASE WHEN score >= %(engaged_min)s THEN 'engaged'
            WHEN score >= %(at_risk_min)s THEN 'at_risk' ELSE 'disengaged' END,
       0, 0, 0, '{}'::jsonb, 0
FROM scored
ON CONFLICT (participation_id, scan_date) DO UPDATE SET
    score = EXCLUDED.score, band = EXCLUDED.band, meetings_held = EXCLUDED.meetings_held,
    meetings_attended = EXCLUDED.meetings_attended,
    meetings_apologies = EXCLUDED.meetings_apologies,
    attendance_rate = EXCLUDED.attendance_rate,
    consecutive_absences = EXCLUDED.consecutive_absences,
    obligations_due = EXCLUDED.obligations_due,
    obligations_overdue = EXCLUDED.obligations_overdue,
    max_days_overdue = EXCLUDED.max_days_overdue, reports_expected = EXCLUDED.reports_expected,
    reports_missing = EXCLUDED.reports_missing,
    days_since_activity = EXCLUDED.days_since_activity,
    signatures_pending = EXCLUDED.signatures_pending,
    max_days_awaiting_signature = EXCLUDED.max_days_awaiting_signature,
    components = EXCLUDED.components, reasons = EXCLUDED.reasons,
    computed_at = EXCLUDED.computed_at
"""


def floor_scan_params(scan_date: dt.date, policy: Policy | None = None) -> dict:
    policy = policy or Policy()
    day = Day.of(scan_date)
    window_start = day.window_start(policy)
    weights = {
        "w_attendance": policy.weight_attendance,
        "w_obligations": policy.weight_obligations,
        "w_reporting": policy.weight_reporting,
        "w_recency": policy.weight_recency,
        "w_signatures": policy.weight_signatures,
    }
    return {
        "scan_date": scan_date,
        "window_start": window_start,
        "window_start_at": timezone.make_aware(dt.datetime.combine(window_start, dt.time.min)),
        "window_days": policy.window_days,
        "day_end": day.end,
        "meetings_end": day.meetings_end,
        "tz": settings.TIME_ZONE,
        "grace": max(1, policy.overdue_grace_days),
        "inactivity": max(1, policy.inactivity_days),
        "signature_cutoff": scan_date - dt.timedelta(days=SIGNATURE_GRACE_DAYS),
        "monthly": CADENCE_DAYS["monthly"],
        "quarterly": CADENCE_DAYS["quarterly"],
        "yearly": CADENCE_DAYS["yearly"],
        "engaged_min": policy.engaged_min,
        "at_risk_min": policy.at_risk_min,
        "w_total": max(1, sum(weights.values())),
        "now": timezone.now(),
        **weights,
    }


def floor_scan_into(cursor, table: str, scan_date: dt.date) -> int:
    """Run the floor for `scan_date` into `table`, created EMPTY here in the snapshot table's
    shape (a logged table, as the snapshot table is; it goes with the caller's transaction),
    with PostgreSQL's JIT off: compiling the statement's badly estimated plan cost 1.1-1.4 s at
    F=1 (issue 18). Returns the rows written."""
    cursor.execute("SET LOCAL jit = off")
    cursor.execute(f"CREATE TABLE {table} (LIKE commissioner_engagementsnapshot INCLUDING ALL)")
    sql = FLOOR_SCAN_SQL.replace(
        "INSERT INTO commissioner_engagementsnapshot", f"INSERT INTO {table}"
    )
    cursor.execute(sql, floor_scan_params(scan_date))
    return cursor.rowcount


def floor_scan(scan_date: dt.date) -> int:
    """The timed floor: into an empty table, rolled back (the application's scan then runs on
    the same data). Returns the rows written."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            written = floor_scan_into(cursor, "bench_floor_snapshots", scan_date)
        transaction.set_rollback(True)
    return written


# The API list floor -------------------------------------------------------------------------


@login_not_required  # it authenticates partner tokens itself, as DRF does for the API
def floor_list(request, resource: str):
    """GET /bench/floor/<resource>/: the first page (50) of the caller's scoped queryset as plain
    `.values()`, with its count — the same rows the API list serves, with nothing else."""
    from benchmarks.scenarios import FLOOR_QUERIES

    query = FLOOR_QUERIES.get(resource)
    if query is None:
        raise Http404(resource)
    actor = query.actor(request)
    if not getattr(actor, "is_authenticated", False):
        return JsonResponse({"detail": "Authentication credentials were not provided."}, status=401)
    queryset = query.queryset(actor)
    page = list(queryset.values(*query.fields)[:50])
    return JsonResponse({"count": queryset.count(), "results": page}, json_dumps_params={})
