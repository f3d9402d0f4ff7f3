"""The floors the benchmarks compare CollabHub with: what the same machine reaches doing the same
work with no application around it.

- `floor_scan()`: the engagement scan (commissioner/services/scan.py) as ONE plain SQL statement
  over every scanned participation, under the system default policy (the benchmark data has no
  per-collaboration policy), written into an empty table of the snapshot table's shape with JIT
  off. It computes what the scan computes, as known at the end of the scan date:

  - the figures (commissioner/engagement/reading.py): attendance as recorded by then (a later
    correction's previous status), held meetings not yet recorded as data gaps within the
    attendance grace (`meetings_unrecorded`), the window's meetings or the latest six counted;
    obligations due or outstanding, those met late weighing half; goal reports due
    REPORT_GRACE_DAYS after their period; days since the latest sign of life; signatures
    awaited;
  - the score (scoring.py): the components as exact ratios over a common denominator, less the
    relationship points (contact left or changed, single contact, partner withdrew — from the
    change history as of the day) and the survey points (latest round unanswered, trust or
    commitment low or apart, another principle apart);
  - the early warning (commissioner/trends.py): the partner's recent record against its own
    earlier one and the trend points (binomial and Poisson surprise in float8, as Python's
    floats, summed in Python's order); yesterday's record (a sign of life, the attendance
    recorded, goal periods outstanding and reports in, obligations overdue and met) and its
    likelihood ratio, its terms added in Python's order; and the watch state — `state`,
    `warning_streak`, `clear_streak` and the running `drift_evidence` — from the latest earlier
    snapshot and the score `trend_days` before, read from the snapshot table as the scan reads
    them.

  Python's `round(x, n)` of a quotient is reproduced exactly (see `floor_sql.rounded`), so the
  components and the trend's shares and means agree to the last digit. Every snapshot column
  but two agrees with the scan's for every participation (tests/benchmarks/test_seed_scale.py,
  and the bench prints each column's agreement). Simplified: `reasons` is left empty (the
  reason codes, their anchoring and texts are not computed) and the trend JSON's `survey`
  figures are `{}` (the survey's points are in the score; the figures themselves are not read
  back). It raises no flags and sends no digests: a lower bound on the scan's work.

The API lists' floor is benchmarks/list_floor.py."""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction

# The statement's parameters and the fragments it is built from live in modules of their own
# (this one holds the statement).
from .floor_params import floor_scan_params
from .floor_sql import CADENCE_CASE as _CADENCE
from .floor_sql import rounded as _rounded

__all__ = ["FLOOR_SCAN_SQL", "floor_scan", "floor_scan_into", "floor_scan_params"]


# The statement. Its intermediate results are MATERIALIZED: inlined, every reference to a trend
# point or a rounding repeats the expression (and its subplans), which cost 2.5x the whole.
FLOOR_SCAN_SQL = f"""
WITH p AS MATERIALIZED (
    SELECT pa.id, pa.collaboration_id AS cid, pa.organisation_id AS oid, pa.joined_on,
           pa.contact_id,
           GREATEST(%(window_start)s::date, pa.joined_on) AS since,
           GREATEST(%(trend_start)s::date, pa.joined_on) AS first_day,
           GREATEST(pa.joined_on, %(recent_start)s::date - %(window_days)s) AS before_start
    FROM agreements_participation pa
    JOIN agreements_collaboration c ON c.id = pa.collaboration_id
    WHERE pa.status = 'active' AND c.status = 'active' AND pa.joined_on <= %(scan_date)s
),
-- Attendance (reading.read_attendance): meetings recorded by the end of the day, statuses as
-- recorded then; a meeting with nothing recorded for the partner is a gap within the grace or
-- when nobody's attendance is recorded, else an absence.
-- The trend's span, and before it each collaboration's latest six meetings of the last year
-- (the level reaches back to them).
mt AS MATERIALIZED (
    SELECT id, cid, held_at, held_on, rk <= %(min_meetings)s AS latest
    FROM (
        SELECT m.id, m.collaboration_id AS cid, m.held_at,
               (m.held_at AT TIME ZONE %(tz)s)::date AS held_on,
               ROW_NUMBER() OVER (PARTITION BY m.collaboration_id
                                  ORDER BY m.held_at DESC, m.id DESC) AS rk
        FROM commissioner_meeting m
        WHERE m.collaboration_id IN (SELECT cid FROM p)
          AND m.held_at < %(meetings_end)s AND m.held_at >= %(reach_at)s
          AND m.created_at < %(day_end)s
    ) m
    WHERE m.held_at >= %(trend_start_at)s OR m.rk <= %(min_meetings)s
),
st AS MATERIALIZED (
    SELECT a.meeting_id, a.participation_id AS pid,
           CASE WHEN a.changed_at IS NULL OR a.changed_at < %(day_end)s THEN a.status
                ELSE COALESCE(NULLIF(a.previous_status, ''), a.status) END AS status,
           (a.recorded_at >= %(yesterday_at)s AND a.recorded_at < %(today_at)s) AS yesterday
    FROM commissioner_attendance a
    WHERE a.meeting_id IN (SELECT id FROM mt) AND a.recorded_at < %(day_end)s
),
recorded AS (SELECT DISTINCT meeting_id FROM st),
pm AS MATERIALIZED (
    SELECT p.id AS pid, mt.id AS mid, mt.held_at, mt.held_on >= p.since AS in_window,
           mt.held_on < p.first_day AS older,
           st.status, COALESCE(st.yesterday, false) AS yesterday,
           (st.status IS NULL AND (mt.held_on > %(counted_until)s OR r.meeting_id IS NULL))
               AS gap
    FROM p
    JOIN mt ON mt.cid = p.cid
           AND (mt.held_on >= p.first_day OR (mt.latest AND mt.held_on >= p.joined_on))
    LEFT JOIN st ON st.meeting_id = mt.id AND st.pid = p.id
    LEFT JOIN recorded r ON r.meeting_id = mt.id
),
counted AS (
    SELECT pid, mark, rn, n, n_all, older, yesterday,
           -- the level: the window's meetings, or the latest six counted if fewer
           GREATEST(n_window, LEAST(%(min_meetings)s, n_all)) AS lv
    FROM (
        SELECT pid, yesterday, older,
               CASE status WHEN 'present' THEN 2 WHEN 'apologies' THEN 1 ELSE 0 END AS mark,
               ROW_NUMBER() OVER (PARTITION BY pid ORDER BY held_at DESC, mid DESC) AS rn,
               COUNT(*) FILTER (WHERE NOT older) OVER (PARTITION BY pid) AS n,
               COUNT(*) OVER (PARTITION BY pid) AS n_all,
               COUNT(*) FILTER (WHERE in_window) OVER (PARTITION BY pid) AS n_window
        FROM pm WHERE NOT gap
    ) x
),
att AS (
    SELECT pid, MAX(n) AS n,
           COUNT(*) FILTER (WHERE rn <= lv) AS held,
           COUNT(*) FILTER (WHERE rn <= lv AND mark = 2) AS present,
           COUNT(*) FILTER (WHERE rn <= lv AND mark = 1) AS apologies,
           LEAST(COALESCE(MIN(rn) FILTER (WHERE mark > 0) - 1, MAX(n_all)), MAX(lv))
               AS absences,
           -- the trend and yesterday's record: the trend's span only (older meetings are
           -- the oldest, so the latest three are the same)
           COALESCE(SUM(mark) FILTER (WHERE rn <= 3 AND NOT older), 0) AS recent_marks,
           COUNT(*) FILTER (WHERE rn <= 3 AND NOT older) AS recent_n,
           COALESCE(SUM(mark) FILTER (WHERE rn > 3 AND NOT older), 0) AS before_marks,
           COUNT(*) FILTER (WHERE rn > 3 AND NOT older) AS before_n,
           BOOL_OR(rn = 1 AND mark = 2 AND NOT older) AS last_present,
           COUNT(*) FILTER (WHERE yesterday AND mark = 2 AND NOT older) AS present_yesterday,
           COUNT(*) FILTER (WHERE yesterday AND mark = 1 AND NOT older) AS apologies_yesterday,
           COUNT(*) FILTER (WHERE yesterday AND mark = 0 AND NOT older) AS absent_yesterday
    FROM counted GROUP BY pid
),
gaps AS (
    SELECT pid, COUNT(*) AS unrecorded FROM pm WHERE gap AND in_window GROUP BY pid
),
-- Obligations (read_obligations) and the lateness of those met (trend_reads.read_lateness).
ob AS (
    SELECT pid, COUNT(*) AS due,
           COUNT(*) FILTER (WHERE outstanding) AS overdue,
           -- overdue at the start of yesterday, for at most ITEM_DAYS then
           COUNT(*) FILTER (WHERE outstanding AND %(scan_date)s::date - due_date >= 2
                              AND %(scan_date)s::date - due_date <= %(item_days)s + 1)
               AS overdue_recent,
           COALESCE(MAX(%(scan_date)s::date - due_date) FILTER (WHERE outstanding), 0)
               AS max_days,
           2 * COALESCE(SUM(LEAST(%(scan_date)s::date - due_date, %(grace)s))
                        FILTER (WHERE outstanding), 0)
           + COALESCE(SUM(LEAST(met_on - due_date, %(grace)s))
                      FILTER (WHERE NOT outstanding AND met_on - due_date > 0), 0) AS late
    FROM (
        SELECT p.id AS pid, o.due_date, (o.met_at AT TIME ZONE %(tz)s)::date AS met_on,
               COALESCE(o.status = 'pending' OR (o.status = 'met' AND o.met_at >= %(day_end)s),
                        false) AS outstanding
        FROM p
        JOIN agreements_obligation o
          ON o.collaboration_id = p.cid AND o.organisation_id = p.oid
        WHERE o.due_date < %(scan_date)s AND o.created_at < %(day_end)s
          AND o.status <> 'waived'
    ) x
    WHERE outstanding OR due_date >= %(window_start)s
    GROUP BY pid
),
ob_late AS (
    SELECT p.id AS pid,
           SUM(GREATEST(0, x.met_on - o.due_date)) FILTER (WHERE x.recent) AS recent_sum,
           COUNT(*) FILTER (WHERE x.recent) AS recent_n,
           SUM(GREATEST(0, x.met_on - o.due_date)) FILTER (WHERE x.before) AS before_sum,
           COUNT(*) FILTER (WHERE x.before) AS before_n,
           COUNT(*) FILTER (WHERE x.met_on = %(yesterday)s) AS met_yesterday,
           COUNT(*) FILTER (WHERE x.met_on >= %(yesterday)s
                              AND %(yesterday)s::date - o.due_date > 0
                              AND %(yesterday)s::date - o.due_date <= %(item_days)s)
               AS overdue_yesterday
    FROM p
    JOIN agreements_obligation o
      ON o.collaboration_id = p.cid AND o.organisation_id = p.oid
    CROSS JOIN LATERAL (SELECT (o.met_at AT TIME ZONE %(tz)s)::date AS met_on) m
    CROSS JOIN LATERAL (
        SELECT m.met_on, m.met_on >= %(recent_start)s AS recent,
               m.met_on < %(recent_start)s AND m.met_on >= p.before_start AS before
    ) x
    WHERE o.status = 'met' AND o.met_at >= %(lateness_from_at)s AND o.met_at < %(day_end)s
      AND o.created_at < %(day_end)s
    GROUP BY p.id
),
-- Goal reports (read_reporting): due REPORT_GRACE_DAYS after each period.
goals AS MATERIALIZED (
    SELECT g.id, g.collaboration_id AS cid, {_CADENCE} AS period,
           (g.created_at AT TIME ZONE %(tz)s)::date AS set_on
    FROM agreements_sharedgoal g
    WHERE g.collaboration_id IN (SELECT cid FROM p)
),
ms AS MATERIALIZED (
    SELECT me.goal_id, g.cid, me.reported_by_organisation_id AS oid, me.period_end,
           (me.reported_at AT TIME ZONE %(tz)s)::date AS reported_on
    FROM agreements_measurement me
    JOIN goals g ON g.id = me.goal_id
    WHERE me.reported_at >= %(measured_from_at)s AND me.reported_at < %(day_end)s
      AND (me.withdrawn_at IS NULL OR me.withdrawn_at >= %(day_end)s)
),
rep AS (
    SELECT pid, SUM(expected) AS expected, SUM(LEAST(made, expected)) AS made
    FROM (
        SELECT pg.pid, pg.gid, pg.expected, COUNT(ms.goal_id) AS made
        FROM (
            SELECT p.id AS pid, p.oid, g.id AS gid, s.since_goal,
                   GREATEST(0, %(scan_date)s::date - %(report_grace)s - s.since_goal + 1)
                       / g.period AS expected
            FROM p
            JOIN goals g ON g.cid = p.cid
            CROSS JOIN LATERAL (
                SELECT GREATEST(%(scan_date)s::date
                                    - GREATEST(%(window_days)s, g.period + %(report_grace)s),
                                p.joined_on, g.set_on) AS since_goal
            ) s
        ) pg
        LEFT JOIN ms ON ms.goal_id = pg.gid AND ms.oid = pg.oid
                    AND ms.reported_on >= pg.since_goal
        GROUP BY pg.pid, pg.gid, pg.expected
    ) x
    GROUP BY pid
),
rep_late AS (
    SELECT p.id AS pid,
           SUM(GREATEST(0, ms.reported_on - ms.period_end))
               FILTER (WHERE ms.reported_on >= %(recent_start)s) AS recent_sum,
           COUNT(*) FILTER (WHERE ms.reported_on >= %(recent_start)s) AS recent_n,
           SUM(GREATEST(0, ms.reported_on - ms.period_end))
               FILTER (WHERE ms.reported_on < %(recent_start)s
                         AND ms.reported_on >= p.before_start) AS before_sum,
           COUNT(*) FILTER (WHERE ms.reported_on < %(recent_start)s
                              AND ms.reported_on >= p.before_start) AS before_n
    FROM p
    JOIN ms ON ms.cid = p.cid AND ms.oid = p.oid
    WHERE ms.reported_on >= %(lateness_from)s
    GROUP BY p.id
),
-- Goal periods whose report was outstanding at the start of yesterday, and reports that came in
-- on it (trend_reads.read_reports_due).
rep_last AS (
    SELECT me.goal_id, me.reported_by_organisation_id AS oid,
           MAX(me.period_end) FILTER (WHERE me.reported_at < %(yesterday_at)s) AS last,
           COUNT(DISTINCT me.period_end)
               FILTER (WHERE me.reported_at >= %(yesterday_at)s AND me.reported_at < %(today_at)s)
               AS arrived
    FROM agreements_measurement me
    WHERE me.goal_id IN (SELECT id FROM goals)
      AND me.reported_at >= %(report_lookback_at)s AND me.reported_at < %(day_end)s
      AND (me.withdrawn_at IS NULL OR me.withdrawn_at >= %(day_end)s)
    GROUP BY 1, 2
),
due AS (
    SELECT p.id AS pid,
           SUM(GREATEST(0, FLOOR((x.since - 1)::float8 / g.period)
                           - GREATEST(1, -FLOOR((%(item_days)s - x.since)::float8 / g.period))
                           + 1))::int AS outstanding,
           COALESCE(SUM(rl.arrived), 0)::int AS arrived
    FROM p
    JOIN goals g ON g.cid = p.cid
    LEFT JOIN rep_last rl ON rl.goal_id = g.id AND rl.oid = p.oid
    CROSS JOIN LATERAL (
        SELECT %(yesterday)s::date - COALESCE(rl.last, GREATEST(g.set_on, p.joined_on)) AS since
    ) x
    GROUP BY p.id
),
-- Signs of life (trend_reads.read_contact), as recorded by the end of the day.
ct AS (
    SELECT p.id AS pid, (MAX(a.occurred_at) AT TIME ZONE %(tz)s)::date AS last,
           COUNT(DISTINCT (a.occurred_at AT TIME ZONE %(tz)s)::date)
               FILTER (WHERE a.occurred_at >= %(recent_at)s) AS recent,
           COUNT(DISTINCT (a.occurred_at AT TIME ZONE %(tz)s)::date)
               FILTER (WHERE a.occurred_at >= %(before_at)s AND a.occurred_at < %(recent_at)s)
               AS before,
           COUNT(DISTINCT (a.occurred_at AT TIME ZONE %(tz)s)::date)
               FILTER (WHERE a.occurred_at >= %(fortnight_at)s) AS c14,
           COUNT(*) FILTER (WHERE a.occurred_at >= %(yesterday_at)s
                              AND a.occurred_at < %(today_at)s) AS yesterday
    FROM p
    JOIN commissioner_activity a ON a.participation_id = p.id
    WHERE a.occurred_at < %(day_end)s AND a.recorded_at < %(day_end)s
      AND (a.withdrawn_at IS NULL OR a.withdrawn_at >= %(day_end)s)
    GROUP BY p.id
),
sig AS (
    SELECT p.id AS pid, x.pending, x.oldest
    FROM (
        SELECT ag.collaboration_id AS cid, s.organisation_id AS oid,
               COUNT(DISTINCT ag.id) AS pending, MIN(ag.circulated_on) AS oldest
        FROM agreements_agreement ag
        JOIN agreements_signatory s ON s.agreement_id = ag.id
        WHERE ag.collaboration_id IN (SELECT cid FROM p)
          AND ag.status IN ('circulating', 'in_force', 'expired')
          AND ag.circulated_on < %(signature_cutoff)s
          AND ((ag.status = 'circulating' AND s.signed_at IS NULL)
               OR s.signed_at >= %(day_end)s)
        GROUP BY 1, 2
    ) x
    JOIN p ON p.cid = x.cid AND p.oid = x.oid
),
-- The relationship (trend_reads.read_relationship), from the change history as of the day's
-- end: each contact active at the day's end and 90 days before, and each participation's
-- namings (the one in force 90 days before, if any, and those since).
contact_state AS MATERIALIZED (
    SELECT c.organisation_id AS oid, c.id,
           COALESCE((SELECT h.is_active FROM partners_historicalcontact h
                     WHERE h.id = c.id AND h.history_date < %(day_end)s
                     ORDER BY h.history_date DESC, h.history_id DESC LIMIT 1), true) AS active_now,
           COALESCE((SELECT h.is_active FROM partners_historicalcontact h
                     WHERE h.id = c.id AND h.history_date < %(relationship_at)s
                     ORDER BY h.history_date DESC, h.history_id DESC LIMIT 1), true)
               AS active_before
    FROM partners_contact c
    WHERE c.organisation_id IN (SELECT oid FROM p) AND c.created_at < %(day_end)s
),
contacts AS (SELECT oid, COUNT(*) AS n FROM contact_state WHERE active_now GROUP BY oid),
named AS (
    SELECT n.pid, COUNT(DISTINCT COALESCE(n.contact_id, 0)) AS kinds,
           (ARRAY_AGG(n.contact_id ORDER BY n.history_date DESC, n.history_id DESC))[1]
               AS contact_id
    FROM (
        SELECT h.id AS pid, h.contact_id, h.history_date, h.history_id
        FROM agreements_historicalparticipation h
        WHERE h.id IN (SELECT id FROM p)
          AND h.history_date >= %(relationship_at)s AND h.history_date < %(day_end)s
        UNION ALL
        SELECT b.id, b.contact_id, b.history_date, b.history_id
        FROM p CROSS JOIN LATERAL (
            SELECT h.id, h.contact_id, h.history_date, h.history_id
            FROM agreements_historicalparticipation h
            WHERE h.id = p.id AND h.history_date < %(relationship_at)s
            ORDER BY h.history_date DESC, h.history_id DESC LIMIT 1
        ) b
    ) n
    GROUP BY n.pid
),
withdrawn AS (
    SELECT collaboration_id AS cid, COUNT(*) AS n
    FROM agreements_participation
    WHERE status = 'withdrawn' AND left_on >= %(relationship_since)s
      AND left_on <= %(scan_date)s
    GROUP BY 1
),
rel AS (
    SELECT p.id AS pid,
           COALESCE(named.kinds, 0) > 1 OR gone.vacant AS contact_left,
           gone.vacant AS contact_vacant,
           COALESCE(contacts.n, 0) = 1 AS single_contact,
           COALESCE(withdrawn.n, 0) AS partners_withdrawn
    FROM p
    LEFT JOIN named ON named.pid = p.id
    CROSS JOIN LATERAL (
        SELECT CASE WHEN named.pid IS NOT NULL THEN named.contact_id ELSE p.contact_id END
            AS contact_id
    ) x
    LEFT JOIN contact_state cs ON cs.id = x.contact_id AND cs.oid = p.oid
    CROSS JOIN LATERAL (
        SELECT COALESCE(NOT cs.active_now AND cs.active_before, false) AS vacant
    ) gone
    LEFT JOIN contacts ON contacts.oid = p.oid
    LEFT JOIN withdrawn ON withdrawn.cid = p.cid
),
-- The partnership health survey (survey.signals.read_survey): rounds closed by the day.
rounds AS MATERIALIZED (
    SELECT r.id, r.collaboration_id AS cid, r.closes_on, r.instrument_id
    FROM commissioner_surveyround r
    WHERE r.collaboration_id IN (SELECT cid FROM p) AND r.closes_on <= %(scan_date)s
),
answered AS (
    SELECT DISTINCT round_id, organisation_id FROM commissioner_surveyresponse
    WHERE round_id IN (SELECT id FROM rounds) AND submitted_at < %(day_end)s
),
invited AS (
    SELECT DISTINCT round_id, organisation_id FROM commissioner_surveyrespondent
    WHERE round_id IN (SELECT id FROM rounds)
),
sv AS MATERIALIZED (
    SELECT p.id AS pid, p.oid,
           (ARRAY_AGG(an.round_id IS NOT NULL ORDER BY r.closes_on DESC, r.id DESC))[1]
               AS answered_last,
           (ARRAY_AGG(r.id ORDER BY r.closes_on DESC, r.id DESC)
               FILTER (WHERE an.round_id IS NOT NULL))[1] AS answered_round
    FROM p
    JOIN rounds r ON r.cid = p.cid
    LEFT JOIN invited i ON i.round_id = r.id AND i.organisation_id = p.oid
    LEFT JOIN answered an ON an.round_id = r.id AND an.organisation_id = p.oid
    WHERE i.round_id IS NOT NULL OR an.round_id IS NOT NULL
    GROUP BY p.id, p.oid
),
totals AS MATERIALIZED (
    SELECT resp.round_id, resp.organisation_id AS oid, pr.code,
           SUM(a.value)::numeric / COUNT(*) AS score
    FROM commissioner_surveyanswer a
    JOIN commissioner_surveyresponse resp ON resp.id = a.response_id
    JOIN commissioner_surveystatement s ON s.id = a.statement_id
    JOIN commissioner_surveyprinciple pr ON pr.id = s.principle_id
    WHERE resp.round_id IN (SELECT answered_round FROM sv)
      AND resp.submitted_at IS NOT NULL AND resp.submitted_at < %(day_end)s
      AND NOT a.dont_know
    GROUP BY 1, 2, 3
),
principles AS (
    SELECT sv.pid, pr.code, own.score AS own,
           (SELECT AVG(t.score) FROM totals t
            WHERE t.round_id = sv.answered_round AND t.code = pr.code AND t.oid <> sv.oid)
               AS others
    FROM sv
    JOIN rounds r ON r.id = sv.answered_round
    JOIN commissioner_surveyprinciple pr ON pr.instrument_id = r.instrument_id
    LEFT JOIN totals own
      ON own.round_id = sv.answered_round AND own.oid = sv.oid AND own.code = pr.code
),
survey AS (
    SELECT sv.pid,
           CASE WHEN NOT sv.answered_last THEN %(points_survey_unanswered)s ELSE 0 END
           + CASE WHEN COALESCE(BOOL_OR(x.code IN ('trust', 'commitment') AND x.own IS NOT NULL
                                        AND (ROUND(x.own, 2) < %(survey_low)s OR x.divergent)),
                                false)
                  THEN %(points_survey_trust)s ELSE 0 END
           + CASE WHEN COALESCE(BOOL_OR(x.code NOT IN ('trust', 'commitment') AND x.divergent),
                                false)
                  THEN %(points_survey_divergent)s ELSE 0 END AS points
    FROM sv
    LEFT JOIN (
        SELECT pid, code, own,
               COALESCE(ROUND(ABS(own - others), 12) >= %(divergence)s, false) AS divergent
        FROM principles
    ) x ON x.pid = sv.pid
    GROUP BY sv.pid, sv.answered_last
),
-- The latest earlier snapshot (services.scan._read_previous), and the score trend_days ago.
prev AS (
    SELECT DISTINCT ON (s.participation_id) s.participation_id AS pid, s.state,
           s.warning_streak, s.clear_streak, s.score, s.drift_evidence,
           %(scan_date)s::date - s.scan_date AS days
    FROM commissioner_engagementsnapshot s
    WHERE s.scan_date >= %(previous_from)s AND s.scan_date < %(scan_date)s
    ORDER BY s.participation_id, s.scan_date DESC
),
score_then AS (
    SELECT DISTINCT ON (s.participation_id) s.participation_id AS pid, s.score
    FROM commissioner_engagementsnapshot s
    WHERE s.scan_date >= %(then_from)s AND s.scan_date <= %(then_to)s
    ORDER BY s.participation_id, s.scan_date DESC
),
figures AS MATERIALIZED (
    SELECT p.id AS pid, p.joined_on,
           COALESCE(att.held, 0) AS held, COALESCE(att.present, 0) AS present,
           COALESCE(att.apologies, 0) AS apologies, COALESCE(att.absences, 0) AS absences,
           COALESCE(att.n, 0) AS meetings_since_joining,
           COALESCE(gaps.unrecorded, 0) AS unrecorded,
           CASE WHEN att.recent_n >= 2
                THEN {_rounded("att.recent_marks", "2 * att.recent_n")}::float8 END
               AS attendance_recent,
           CASE WHEN att.before_n >= 2
                THEN {_rounded("att.before_marks", "2 * att.before_n")}::float8 END
               AS attendance_before,
           COALESCE(att.recent_n, 0) AS recent_n, COALESCE(att.before_n, 0) AS before_n,
           COALESCE(att.last_present, false) AS last_present,
           COALESCE(att.present_yesterday, 0) AS present_yesterday,
           COALESCE(att.apologies_yesterday, 0) AS apologies_yesterday,
           COALESCE(att.absent_yesterday, 0) AS absent_yesterday,
           COALESCE(ct.yesterday, 0) > 0 AS contact_yesterday,
           COALESCE(due.outstanding, 0) AS reports_outstanding,
           COALESCE(due.arrived, 0) AS reports_yesterday,
           COALESCE(ob.overdue_recent, 0) AS obligations_outstanding,
           COALESCE(ob_late.met_yesterday, 0) AS obligations_met_yesterday,
           COALESCE(ob_late.overdue_yesterday, 0) AS obligations_overdue_yesterday,
           COALESCE(ob.due, 0) AS due, COALESCE(ob.overdue, 0) AS overdue,
           COALESCE(ob.max_days, 0) AS max_days, COALESCE(ob.late, 0) AS late,
           COALESCE(rep.expected, 0) AS expected, COALESCE(rep.made, 0) AS made,
           GREATEST(0, %(scan_date)s::date - COALESCE(ct.last, p.joined_on)) AS idle,
           %(scan_date)s::date - p.joined_on AS days_since_joining,
           COALESCE(ct.recent, 0) AS contact_recent, COALESCE(ct.before, 0) AS contact_before,
           COALESCE(ct.c14, 0) AS contact_14,
           LEAST(%(trend_days)s, %(scan_date)s::date - p.joined_on + 1) AS days_recent,
           GREATEST(0, %(recent_start)s::date - p.before_start) AS days_before,
           ob_late.recent_sum AS ol_recent_sum, ob_late.recent_n AS ol_recent_n,
           ob_late.before_sum AS ol_before_sum, ob_late.before_n AS ol_before_n,
           rep_late.recent_sum AS rd_recent_sum, rep_late.recent_n AS rd_recent_n,
           rep_late.before_sum AS rd_before_sum, rep_late.before_n AS rd_before_n,
           -- means as Python's sum / len
           ob_late.recent_sum::float8 / NULLIF(ob_late.recent_n, 0)::float8
               AS obligation_late_recent,
           ob_late.before_sum::float8 / NULLIF(ob_late.before_n, 0)::float8
               AS obligation_late_before,
           rep_late.recent_sum::float8 / NULLIF(rep_late.recent_n, 0)::float8
               AS report_delay_recent,
           rep_late.before_sum::float8 / NULLIF(rep_late.before_n, 0)::float8
               AS report_delay_before,
           rel.contact_left, rel.contact_vacant, rel.single_contact, rel.partners_withdrawn,
           COALESCE(survey.points, 0) AS survey_points,
           COALESCE(sig.pending, 0) AS pending,
           COALESCE(%(scan_date)s::date - sig.oldest, 0) AS awaiting,
           prev.pid IS NOT NULL AS has_prev, prev.state AS prev_state,
           COALESCE(prev.warning_streak, 0) AS prev_warning,
           COALESCE(prev.clear_streak, 0) AS prev_clear, prev.score AS prev_score,
           COALESCE(prev.drift_evidence, 0) AS prev_evidence, COALESCE(prev.days, 1) AS days,
           score_then.score AS score_then
    FROM p
    LEFT JOIN att ON att.pid = p.id
    LEFT JOIN gaps ON gaps.pid = p.id
    LEFT JOIN ob ON ob.pid = p.id
    LEFT JOIN ob_late ON ob_late.pid = p.id
    LEFT JOIN rep ON rep.pid = p.id
    LEFT JOIN rep_late ON rep_late.pid = p.id
    LEFT JOIN due ON due.pid = p.id
    LEFT JOIN ct ON ct.pid = p.id
    LEFT JOIN sig ON sig.pid = p.id
    JOIN rel ON rel.pid = p.id
    LEFT JOIN survey ON survey.pid = p.id
    LEFT JOIN prev ON prev.pid = p.id
    LEFT JOIN score_then ON score_then.pid = p.id
),
ratios AS (
    SELECT f.*, g.gap,
           -- too few meetings to judge read as none (scoring.ratios_for)
           CASE WHEN held >= %(judged_meetings)s THEN 2 * present + apologies ELSE 1 END::bigint
               AS att_n,
           CASE WHEN held >= %(judged_meetings)s THEN 2 * held ELSE 1 END::bigint AS att_d,
           GREATEST(0, 2 * %(grace)s * GREATEST(1, due) - late)::bigint AS obl_n,
           (2 * %(grace)s * GREATEST(1, due))::bigint AS obl_d,
           CASE WHEN expected > 0 THEN made ELSE 1 END::bigint AS rep_n,
           CASE WHEN expected > 0 THEN expected ELSE 1 END::bigint AS rep_d,
           GREATEST(0, %(inactivity)s - GREATEST(0, idle - COALESCE(ROUND(g.gap)::int, 0)))::bigint
               AS rec_n,
           %(inactivity)s::bigint AS rec_d,
           CASE WHEN pending > 0 THEN 0 ELSE 1 END::bigint AS sig_n,
           CASE WHEN contact_left AND %(points_contact_left)s > 0
                THEN %(points_contact_left)s ELSE 0 END
           + CASE WHEN single_contact AND %(points_single_contact)s > 0
                  THEN %(points_single_contact)s ELSE 0 END
           + CASE WHEN partners_withdrawn > 0 AND %(points_partner_withdrew)s > 0
                  THEN %(points_partner_withdrew)s ELSE 0 END
           + survey_points AS penalty
    FROM figures f
    CROSS JOIN LATERAL (
        -- the partner's usual days between signs of life (Trend.usual_gap)
        SELECT CASE WHEN f.days_before >= %(min_rhythm_days)s
                     AND f.contact_before >= %(min_rhythm_contacts)s
                    THEN f.days_before::float8 / f.contact_before::float8 END AS gap
    ) g
),
scored AS MATERIALIZED (
    SELECT r.*,
           GREATEST(0, CASE WHEN %(w_total)s = 0 THEN 100 ELSE
               (200 * (%(w_attendance)s * att_n * (c.common / att_d)
                       + %(w_obligations)s * obl_n * (c.common / obl_d)
                       + %(w_reporting)s * rep_n * (c.common / rep_d)
                       + %(w_recency)s * rec_n * (c.common / rec_d)
                       + %(w_signatures)s * sig_n * c.common)
                + %(w_total)s * c.common) / (2 * %(w_total)s * c.common) END
               - penalty)::int AS score
    FROM ratios r
    CROSS JOIN LATERAL (SELECT LCM(LCM(LCM(att_d, obl_d), rep_d), rec_d) AS common) c
),
banded AS (
    SELECT s.*,
           CASE WHEN score >= %(engaged_min)s THEN 'engaged'
                WHEN score >= %(at_risk_min)s THEN 'at_risk' ELSE 'disengaged' END AS band,
           score - score_then AS score_change
    FROM scored s
),
-- Trend points (trends.trend_points), in float8 as Python's floats, summed in Python's order.
points AS MATERIALIZED (
    SELECT b.*,
           CASE WHEN a.value >= 5 THEN LEAST(%(attendance_cap)s, a.value) ELSE 0 END
               AS p_attendance,
           CASE WHEN GREATEST(k.contact, k.silence) >= 5
                THEN LEAST(%(contact_cap)s, GREATEST(k.contact, k.silence)) ELSE 0 END
               AS p_contact,
           CASE WHEN k.contact >= k.silence THEN 'contact' ELSE 'silence' END AS contact_code,
           CASE WHEN obligation_late_recent - obligation_late_before >= 14
                THEN ROUND(LEAST(%(lateness_cap)s::float8,
                                 (obligation_late_recent - obligation_late_before - 10) / 2))
                ELSE 0 END::int AS p_obligation_late,
           CASE WHEN report_delay_recent - report_delay_before >= 14
                THEN ROUND(LEAST(%(lateness_cap)s::float8,
                                 (report_delay_recent - report_delay_before - 10) / 2))
                ELSE 0 END::int AS p_report_delay,
           CASE WHEN score_change <= -20
                THEN ROUND(LEAST(%(score_cap)s::float8,
                                 (-score_change)::float8 * 0.5::float8 - 5))
                ELSE 0 END::int AS p_score
    FROM banded b
    CROSS JOIN LATERAL (
        SELECT (SELECT CASE WHEN q.attended < q.rate * q.n THEN ROUND(10 * -LOG(GREATEST(
                       (SELECT SUM((FACTORIAL(q.n) / (FACTORIAL(i) * FACTORIAL(q.n - i)))::float8
                                   * POWER(q.rate, i::float8)
                                   * POWER(1 - q.rate, (q.n - i)::float8) ORDER BY i)
                        FROM generate_series(0, FLOOR(q.attended + 1e-9)::int) i),
                       1e-12::float8)))::int END
                FROM (SELECT b.recent_n AS n,
                             (b.attendance_before * b.before_n::float8 + 1)
                                 / (b.before_n + 2)::float8 AS rate,
                             -- A whole number of halves (the app's trend_points).
                             ROUND(b.attendance_recent * b.recent_n::float8 * 2) / 2
                                 AS attended) q
                WHERE b.attendance_recent IS NOT NULL AND b.attendance_before IS NOT NULL
                  AND NOT b.last_present) AS value
    ) a
    CROSS JOIN LATERAL (
        SELECT COALESCE((
                   SELECT ROUND(10 * -LOG(GREATEST(
                       SUM(EXP(-e.expected) * POWER(e.expected, i::float8)
                           / FACTORIAL(i)::float8 ORDER BY i), 1e-12::float8)))::int
                   FROM (SELECT b.days_recent::float8 / b.gap AS expected) e,
                        generate_series(0, b.contact_recent) i
                   WHERE b.gap IS NOT NULL AND b.contact_recent < b.days_recent::float8 / b.gap
                   HAVING COUNT(*) > 0), 0) AS contact,
               CASE WHEN b.gap IS NOT NULL AND b.idle > b.gap
                    THEN ROUND(%(silence_factor)s::float8 * b.idle::float8 / b.gap)::int ELSE 0 END
                   AS silence
    ) k
),
watched AS MATERIALIZED (
    SELECT t.*, w.today, w.too_early, w.back,
           CASE WHEN w.too_early THEN 0 ELSE d.step END AS step,
           CASE WHEN w.too_early THEN 0 ELSE GREATEST(0, LEAST(%(evidence_cap)s,
               CASE WHEN w.back AND d.step <= 0 AND t.reports_yesterday = 0
                         AND t.obligations_met_yesterday = 0
                    THEN prev_evidence / (1::bigint << days)
                    ELSE prev_evidence END
               + d.step)) END AS evidence
    FROM points t
    CROSS JOIN LATERAL (
        SELECT p_attendance + p_contact + p_obligation_late + p_report_delay + p_score AS today,
               (days_since_joining < %(new_partner_days)s
                AND meetings_since_joining < %(new_partner_meetings)s) AS too_early,
               (t.gap IS NOT NULL AND t.contact_14 * t.gap >= %(back_days)s
                AND t.idle < 1.5 * t.gap) AS back
    ) w
    CROSS JOIN LATERAL (
        -- The drift evidence of the day (trends.drift_step), its terms added in the same order.
        SELECT CASE WHEN t.days_before < %(min_rhythm_days)s THEN 0 ELSE ROUND(
                   100 * (CASE WHEN t.contact_yesterday THEN %(ln_rate)s::float8
                               ELSE LN((1 - u.usual * %(rate_factor)s::float8)
                                       / (1 - u.usual)) END
                          + t.present_yesterday::float8 * %(ratio_present)s::float8
                          + t.apologies_yesterday::float8 * %(ratio_apologies)s::float8
                          + t.absent_yesterday::float8 * %(ratio_absent)s::float8
                          + (t.reports_outstanding::float8 * (1 / r.usual - 1 / r.late)
                             + t.reports_yesterday::float8 * -LN(r.late / r.usual))
                          + (t.obligations_outstanding + t.obligations_overdue_yesterday)::float8
                            * %(obligation_per_day)s::float8
                          + t.obligations_met_yesterday::float8 * %(obligation_arrived)s::float8)
                   / %(ln10)s::float8)::int END AS step
        FROM (SELECT LEAST(0.9::float8, (t.contact_before + 1)::float8
                                        / (t.days_before + 14)::float8) AS usual) u,
             (SELECT v.usual, v.usual + %(report_shift)s::float8 AS late
              FROM (SELECT GREATEST(%(usual_delay)s::float8,
                                    COALESCE(t.report_delay_before, %(usual_delay)s::float8))
                           AS usual) v) r
    ) d
),
stated AS (
    SELECT w.*,
           CASE WHEN too_early THEN 'too_early'
                WHEN band = 'engaged'
                     AND (evidence + CASE WHEN contact_vacant THEN %(drift_contact_left)s ELSE 0 END
                              >= %(drift_evidence)s
                          OR today >= %(drift_points)s) THEN 'drifting'
                ELSE band END AS state
    FROM watched w
)
INSERT INTO commissioner_engagementsnapshot (
    participation_id, scan_date, score, band, meetings_held, meetings_attended,
    meetings_apologies, attendance_rate, consecutive_absences, obligations_due,
    obligations_overdue, max_days_overdue, reports_expected, reports_missing,
    days_since_activity, signatures_pending, max_days_awaiting_signature, components, reasons,
    computed_at, state, warning_streak, clear_streak, drift_evidence, trend, meetings_unrecorded
)
SELECT pid, %(scan_date)s, score, band,
       held, present, apologies,
       CASE WHEN held > 0 THEN ROUND((2 * present + apologies)::numeric / (2 * held), 4) END,
       absences,
       due, overdue, max_days, expected, expected - made, idle, pending, awaiting,
       jsonb_build_object(
           'attendance', jsonb_build_object('value', {_rounded("att_n", "att_d")},
                                            'weight', %(w_attendance)s),
           'obligations', jsonb_build_object('value', {_rounded("obl_n", "obl_d")},
                                             'weight', %(w_obligations)s),
           'reporting', jsonb_build_object('value', {_rounded("rep_n", "rep_d")},
                                           'weight', %(w_reporting)s),
           'recency', jsonb_build_object('value', ROUND(rec_n::numeric / rec_d, 4),
                                         'weight', %(w_recency)s),
           'signatures', jsonb_build_object('value', sig_n, 'weight', %(w_signatures)s)),
       '[]'::jsonb, %(now)s,
       state,
       CASE WHEN state IN ('drifting', 'at_risk', 'disengaged') THEN prev_warning + 1 ELSE 0 END,
       CASE WHEN state = 'engaged' AND score >= %(engaged_min)s + %(release_margin)s
                 AND (evidence + CASE WHEN contact_vacant THEN %(drift_contact_left)s ELSE 0 END)
                     * 2 < %(drift_evidence)s
            THEN prev_clear + 1 ELSE 0 END,
       evidence,
       jsonb_build_object(
           'attendance_recent', attendance_recent, 'attendance_before', attendance_before,
           'contact_days_recent', contact_recent, 'contact_days_before', contact_before,
           'days_recent', days_recent, 'days_before', days_before,
           'usual_gap', CASE WHEN gap IS NOT NULL
                             THEN {_rounded("days_before", "contact_before", 1)} END,
           'obligation_late_recent', CASE WHEN ol_recent_n > 0
                                          THEN {_rounded("ol_recent_sum", "ol_recent_n", 1)} END,
           'obligation_late_before', CASE WHEN ol_before_n > 0
                                          THEN {_rounded("ol_before_sum", "ol_before_n", 1)} END,
           'report_delay_recent', CASE WHEN rd_recent_n > 0
                                       THEN {_rounded("rd_recent_sum", "rd_recent_n", 1)} END,
           'report_delay_before', CASE WHEN rd_before_n > 0
                                       THEN {_rounded("rd_before_sum", "rd_before_n", 1)} END,
           'contact_14', contact_14, 'last_present', last_present, 'back', back,
           'contact_yesterday', contact_yesterday, 'present_yesterday', present_yesterday,
           'apologies_yesterday', apologies_yesterday, 'absent_yesterday', absent_yesterday,
           'reports_outstanding', reports_outstanding, 'reports_yesterday', reports_yesterday,
           'obligations_met_yesterday', obligations_met_yesterday,
           'obligations_overdue_yesterday', obligations_overdue_yesterday, 'step', step,
           'contact_left', contact_left, 'contact_vacant', contact_vacant,
           'single_contact', single_contact,
           'partners_withdrawn', partners_withdrawn, 'score_change', score_change,
           'evidence', evidence,
           -- the survey's figures are not read back: its points are in the score
           'survey', '{{}}'::jsonb,
           'points', jsonb_strip_nulls(jsonb_build_object(
               'attendance', NULLIF(p_attendance, 0),
               'contact', CASE WHEN contact_code = 'contact' THEN NULLIF(p_contact, 0) END,
               'silence', CASE WHEN contact_code = 'silence' THEN NULLIF(p_contact, 0) END,
               'obligation_late', CASE WHEN obligation_late_recent - obligation_late_before >= 14
                                       THEN p_obligation_late END,
               'report_delay', CASE WHEN report_delay_recent - report_delay_before >= 14
                                    THEN p_report_delay END,
               'score', CASE WHEN score_change <= -20 THEN p_score END))),
       unrecorded
FROM stated
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
    meetings_unrecorded = EXCLUDED.meetings_unrecorded,
    components = EXCLUDED.components, reasons = EXCLUDED.reasons,
    state = EXCLUDED.state, warning_streak = EXCLUDED.warning_streak,
    clear_streak = EXCLUDED.clear_streak, drift_evidence = EXCLUDED.drift_evidence,
    trend = EXCLUDED.trend, computed_at = EXCLUDED.computed_at
"""  # noqa: S608 (the module's own constants)


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
