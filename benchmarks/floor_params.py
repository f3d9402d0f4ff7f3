"""The parameters of the engagement scan's floor (benchmarks/floor.py): every date, bound and
constant the statement reads, computed as the scan computes them."""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.utils import timezone

from commissioner.engagement import (
    ATTENDANCE_REACH_DAYS,
    CADENCE_DAYS,
    MIN_ATTENDANCE_MEETINGS,
    REPORT_GRACE_DAYS,
    SIGNATURE_GRACE_DAYS,
    SURVEY_LOW,
    Day,
    Policy,
    default_policy,
)
from commissioner.services.scan import PREVIOUS_SCAN_DAYS
from commissioner.trend_reads import start_of
from commissioner.trends import (
    ATTENDANCE_CAP,
    BACK_DAYS,
    CONTACT_CAP,
    ITEM_DAYS,
    LATENESS_CAP,
    MEETING_RATIO,
    MIN_RHYTHM_CONTACTS,
    MIN_RHYTHM_DAYS,
    OBLIGATION_SHIFT,
    RATE_FACTOR,
    RELATIONSHIP_DAYS,
    REPORT_LOOKBACK_DAYS,
    REPORT_SHIFT,
    SCORE_CAP,
    USUAL_DELAY,
    evidence_cap,
    item_ratios,
)


def floor_scan_params(scan_date: dt.date, policy: Policy | None = None) -> dict:
    """The statement's parameters for `scan_date` under `policy` (by default the system default,
    as the scan reads it: the bench data has no per-collaboration policy)."""
    policy = policy or default_policy()
    day = Day.of(scan_date)
    window_start = day.window_start(policy)
    recent_start = scan_date - dt.timedelta(days=policy.trend_days - 1)
    trend_start = scan_date - dt.timedelta(days=policy.trend_days + policy.window_days)
    relationship_since = scan_date - dt.timedelta(days=RELATIONSHIP_DAYS)
    lateness_from = recent_start - dt.timedelta(days=policy.window_days)
    longest = max(policy.window_days, max([91, *CADENCE_DAYS.values()]) + REPORT_GRACE_DAYS)
    measured_from = min(lateness_from, scan_date - dt.timedelta(days=longest))
    target = scan_date - dt.timedelta(days=policy.trend_days)
    obligation_per_day, obligation_arrived = item_ratios(USUAL_DELAY, OBLIGATION_SHIFT)
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
        "window_days": policy.window_days,
        "trend_days": policy.trend_days,
        "trend_start": trend_start,
        "trend_start_at": start_of(trend_start),
        "recent_start": recent_start,
        "recent_at": start_of(recent_start),
        "before_at": start_of(recent_start - dt.timedelta(days=policy.window_days)),
        "fortnight_at": start_of(scan_date - dt.timedelta(days=BACK_DAYS - 1)),
        "counted_until": scan_date - dt.timedelta(days=policy.attendance_grace_days),
        "min_meetings": MIN_ATTENDANCE_MEETINGS,
        "judged_meetings": max(1, policy.new_partner_meetings),
        "reach_at": start_of(
            min(trend_start, scan_date - dt.timedelta(days=ATTENDANCE_REACH_DAYS))
        ),
        "day_end": day.end,
        "meetings_end": day.meetings_end,
        "tz": settings.TIME_ZONE,
        "grace": max(1, policy.overdue_grace_days),
        "report_grace": REPORT_GRACE_DAYS,
        "lateness_from": lateness_from,
        "lateness_from_at": start_of(lateness_from),
        "measured_from_at": start_of(measured_from),
        "inactivity": max(1, policy.inactivity_days),
        "signature_cutoff": scan_date - dt.timedelta(days=SIGNATURE_GRACE_DAYS),
        "relationship_since": relationship_since,
        "relationship_at": start_of(relationship_since),
        "points_contact_left": policy.points_contact_left,
        "points_single_contact": policy.points_single_contact,
        "points_partner_withdrew": policy.points_partner_withdrew,
        "points_survey_unanswered": policy.points_survey_unanswered,
        "points_survey_trust": policy.points_survey_trust,
        "points_survey_divergent": policy.points_survey_divergent,
        "survey_low": SURVEY_LOW,
        "divergence": 1.5,
        "previous_from": scan_date - dt.timedelta(days=PREVIOUS_SCAN_DAYS),
        "then_from": target - dt.timedelta(days=7),
        "then_to": target,
        "min_rhythm_days": MIN_RHYTHM_DAYS,
        "min_rhythm_contacts": MIN_RHYTHM_CONTACTS,
        "back_days": BACK_DAYS,
        "attendance_cap": ATTENDANCE_CAP,
        "contact_cap": CONTACT_CAP,
        "lateness_cap": LATENESS_CAP,
        "score_cap": SCORE_CAP,
        "silence_factor": 10 * math.log10(math.e),
        "yesterday": scan_date - dt.timedelta(days=1),
        "yesterday_at": start_of(scan_date - dt.timedelta(days=1)),
        "today_at": start_of(scan_date),
        "item_days": ITEM_DAYS,
        "report_lookback_at": start_of(scan_date - dt.timedelta(days=REPORT_LOOKBACK_DAYS)),
        "rate_factor": RATE_FACTOR,
        "ln_rate": math.log(RATE_FACTOR),
        "ratio_present": MEETING_RATIO["present"],
        "ratio_apologies": MEETING_RATIO["apologies"],
        "ratio_absent": MEETING_RATIO["absent"],
        "usual_delay": float(USUAL_DELAY),
        "report_shift": float(REPORT_SHIFT),
        "obligation_per_day": obligation_per_day,
        "obligation_arrived": obligation_arrived,
        "ln10": math.log(10),
        "evidence_cap": evidence_cap(policy.drift_evidence),
        "new_partner_days": policy.new_partner_days,
        "new_partner_meetings": policy.new_partner_meetings,
        "drift_points": policy.drift_points,
        "drift_evidence": policy.drift_evidence,
        "drift_contact_left": policy.drift_contact_left,
        "release_margin": policy.release_margin,
        "engaged_min": policy.engaged_min,
        "at_risk_min": policy.at_risk_min,
        "w_total": sum(weights.values()),
        "now": timezone.now(),
        **weights,
    }
