"""The early warning's model (docs/engagement.md, "Trends and the watch state"): each partner's
recent record against its own earlier one (Trend, read by commissioner/trend_reads.py) turned
into trend points, the drift evidence and the watch state — pure functions, no queries."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from .models import WARNING_STATES

RELATIONSHIP_DAYS = 90
# An outstanding report or obligation weighs on the drift evidence for this many days at most:
# one never sent is a matter for the partner's score, not a reason to stay flagged for ever.
ITEM_DAYS = 90
# How far back the latest report of a goal is looked for (its period end anchors the next ones).
REPORT_LOOKBACK_DAYS = 365
ONE_DAY = dt.timedelta(days=1)
# Fewer contacts than this in the earlier period and the partner has no rhythm to compare with.
MIN_RHYTHM_CONTACTS = 3
MIN_RHYTHM_DAYS = 28
# The partner is back to its usual self when the last BACK_DAYS hold at least its usual number
# of days with a sign of life, and its silence since is under 1.5 usual gaps.
BACK_DAYS = 14


# The values the scan builds for every partner (Trend, Figures, Assessment, Watch, Previous,
# ParticipationRow) are plain dataclasses, not frozen ones: a frozen dataclass sets each field
# through object.__setattr__, twice the cost (3.7 against 1.7 us for 20 fields), about 1 s of a
# national scan. They are values all the same: nothing assigns to one once it is built. Trend and
# Figures keep a hash of their fields (a Trend is Figures' shared default).
@dataclass(unsafe_hash=True)
class Trend:
    """One participation's recent record against its own earlier one (None: not enough data)."""

    # Attendance: share of the last 3 counted meetings (present 1, apologies ½) and of the ones
    # before them.
    attendance_recent: float | None = None
    attendance_before: float | None = None
    attendance_recent_meetings: int = 0
    attendance_before_meetings: int = 0
    # Contact: days with a sign of life in the recent period and in the earlier one, and how
    # long the earlier one was.
    contact_days_recent: int = 0
    contact_days_before: int = 0
    days_recent: int = 0
    days_before: int = 0
    # Mean days late of obligations met (recent / earlier) and mean days from a period's end to
    # its report (recent / earlier).
    obligation_late_recent: float | None = None
    obligation_late_before: float | None = None
    report_delay_recent: float | None = None
    report_delay_before: float | None = None
    # Days with a sign of life in the last 14 days: is the partner back at its usual rhythm?
    contact_14: int = 0
    # Yesterday's record, for the drift evidence (drift_step): yesterday is the last whole day
    # when the scan runs, early in the morning. A sign of life on it, the attendance recorded on
    # it (present, apologies, absent), the goal periods whose report was outstanding at its
    # start (at most ITEM_DAYS after the period's end) and the reports that came in on it, the
    # obligations met on it, and those overdue at its start and met since (the ones still
    # outstanding are the figures' overdue_days).
    contact_yesterday: bool = False
    present_yesterday: int = 0
    apologies_yesterday: int = 0
    absent_yesterday: int = 0
    reports_outstanding: int = 0
    reports_yesterday: int = 0
    obligations_met_yesterday: int = 0
    obligations_overdue_yesterday: int = 0
    # Was the partner there in person at the latest counted meeting?
    last_present: bool = False
    # Relationship.
    contact_left: bool = False
    contact_vacant: bool = False  # gone, and no one named in its place since
    single_contact: bool = False
    partners_withdrawn: int = 0

    @property
    def usual_gap(self) -> float | None:
        """The partner's usual days between signs of life, from its earlier period."""
        if self.days_before < MIN_RHYTHM_DAYS or self.contact_days_before < MIN_RHYTHM_CONTACTS:
            return None
        return self.days_before / self.contact_days_before


# Trend points and the watch state ---------------------------------------------------------------
#
# Each trend is scored by how surprising the partner's recent record would be if it were still
# its usual self: points = 10 x -log10(probability), so 10 points is a 1-in-10 event, 20 a
# 1-in-100. Noise (one missed meeting, a holiday) is common for anyone and scores little; a run
# of misses for a partner who never misses scores much. Capped, so no one trend decides alone
# unless it is overwhelming.

ATTENDANCE_CAP = 35
CONTACT_CAP = 35
LATENESS_CAP = 15
SCORE_CAP = 15


def _surprise(probability: float) -> float:
    return -math.log10(max(probability, 1e-12))


def _binomial_at_most(successes: float, trials: int, rate: float) -> float:
    """P(X <= successes) for X ~ Binomial(trials, rate)."""
    top = math.floor(successes + 1e-9)
    return sum(math.comb(trials, k) * rate**k * (1 - rate) ** (trials - k) for k in range(top + 1))


def _poisson_at_most(count: int, mean: float) -> float:
    """P(X <= count) for X ~ Poisson(mean)."""
    return sum(math.exp(-mean) * mean**k / math.factorial(k) for k in range(count + 1))


def trend_points(trend: Trend, days_since_activity: int, score_change: int | None) -> dict:
    """Points for each way the partner's recent record has fallen against its own earlier one;
    0 where it has not, or where there is too little to compare."""
    points: dict[str, int] = {}
    if (
        trend.attendance_recent is not None
        and trend.attendance_before is not None
        and not trend.last_present
    ):
        # Meetings attended (present 1, apologies 1/2) in the last ones, against the partner's
        # own earlier rate (smoothed: a perfect record of 4 is not a certainty). A partner that
        # was there in person at the latest meeting is not falling away from them, whatever
        # the three before said: a dip that is over stops counting at the next meeting.
        n = trend.attendance_recent_meetings
        earlier = trend.attendance_before_meetings
        rate = (trend.attendance_before * earlier + 1) / (earlier + 2)
        # Present counts 1 and apologies 1/2, so the meetings attended are a whole number of
        # halves; the share is stored to 4 places (1 of 3 = 0.3333), which times 3 is 0.9999:
        # back to the nearest half, or one meeting attended of three reads as none.
        attended = round(trend.attendance_recent * n * 2) / 2
        if attended < rate * n:
            value = round(10 * _surprise(_binomial_at_most(attended, n, rate)))
            if value >= 5:
                points["attendance"] = min(ATTENDANCE_CAP, value)
    gap = trend.usual_gap
    if gap is not None:
        # Signs of life in the recent period against the partner's usual rhythm, and the silence
        # since the last one: one family of evidence, so the stronger of the two counts.
        expected = trend.days_recent / gap
        contact = silence = 0
        if trend.contact_days_recent < expected:
            contact = round(10 * _surprise(_poisson_at_most(trend.contact_days_recent, expected)))
        if days_since_activity > gap:
            silence = round(10 * math.log10(math.e) * days_since_activity / gap)
        if max(contact, silence) >= 5:
            code = "contact" if contact >= silence else "silence"
            points[code] = min(CONTACT_CAP, max(contact, silence))
    for kind in ("obligation_late", "report_delay"):
        recent = getattr(trend, f"{kind}_recent")
        before = getattr(trend, f"{kind}_before")
        if recent is not None and before is not None and recent - before >= 14:
            points[kind] = round(min(LATENESS_CAP, (recent - before - 10) / 2))
    if score_change is not None and score_change <= -20:
        points["score"] = round(min(SCORE_CAP, -score_change * 0.5 - 5))
    return points


SEVERITY = {"too_early": 0, "engaged": 0, "drifting": 1, "at_risk": 2, "disengaged": 3}


@dataclass
class Previous:
    """What the latest earlier scan (within PREVIOUS_SCAN_DAYS) said of the participation."""

    state: str
    warning_streak: int
    clear_streak: int
    score: int
    evidence: int = 0  # the drift evidence (see watch)
    days_before: int = 1  # days from that scan to this one


@dataclass
class Watch:
    """The watch state of one participation on one scan date, and the streaks behind flags."""

    state: str
    warning_streak: int
    clear_streak: int
    points: dict
    # The trend reasons, as codes and figures (commissioner/reasons.py).
    codes: list
    score_change: int | None
    previous_score: int | None
    evidence: int = 0
    step: int = 0  # the day's drift evidence (drift_step, in the evidence's unit)
    back: bool = False

    @property
    def is_warning(self) -> bool:
        return self.state in WARNING_STATES


# The drift evidence ------------------------------------------------------------------------------
#
# Each day's record is weighed as evidence for "doing less than its usual self" against "its
# usual self": the log of how much likelier the day is under the first (a likelihood ratio).
# Summed day after day, never below zero (a CUSUM), it is the evidence of the most telling run
# of days that ends today: a holiday's silence or one bad meeting comes and goes before it
# builds up; a partner that lets contact, meetings, reports and obligations slip together
# reaches the threshold in weeks, though no one of them is alarming alone. It is kept in
# hundredths of a power of ten: 200 means the run is a hundred times likelier from a partner
# drifting away than from its usual self. (benchmarks/frontier.py replays other rules.)
#
# "Doing less": signs of life on RATE_FACTOR of its usual share of days; at a meeting, present
# PRESENT_FACTOR as often, the rest going to apologies and absence; reports and obligations
# later by REPORT_SHIFT and OBLIGATION_SHIFT days (delays exponential around their mean).
RATE_FACTOR = 0.4
PRESENT_FACTOR = 0.5
# A partner's meetings before drift are taken to be 8 present in 10, 1 apologies, 1 absent.
MEETING_PRIOR = {"present": 0.8, "apologies": 0.1, "absent": 0.1}
REPORT_SHIFT, OBLIGATION_SHIFT = 20, 25
# Days from period end to report, or from due date to met, of a partner with no slower record.
USUAL_DELAY = 7
# The evidence is capped a quarter above the threshold (at 2 times until December 2026), so a
# partner that recovers falls under half the threshold, where its flag closes, in two halvings
# (three from twice the threshold): docs/engagement.md, "The watch state".
EVIDENCE_CAP_PERCENT = 125


def evidence_cap(threshold: int) -> int:
    """The most drift evidence a partner can carry, for a policy's `drift_evidence`."""
    return threshold * EVIDENCE_CAP_PERCENT // 100


def meeting_ratios(usual: dict[str, float]) -> dict[str, float]:
    """The log ratio of each attendance status (present, apologies, absent), drifting against
    `usual`, the partner's usual share of each: present PRESENT_FACTOR as often, the difference
    going 45 % to apologies and 55 % to absence."""
    moved = usual["present"] * (1 - PRESENT_FACTOR)
    drifting = {
        "present": usual["present"] * PRESENT_FACTOR,
        "apologies": usual["apologies"] + 0.45 * moved,
        "absent": usual["absent"] + 0.55 * moved,
    }
    return {status: math.log(drifting[status] / usual[status]) for status in usual}


MEETING_RATIO = meeting_ratios(MEETING_PRIOR)


def item_ratios(usual: float, shift: int) -> tuple[float, float]:
    """For a report or an obligation whose delays are exponential around `usual` days, or
    `usual + shift` when drifting: the log ratio of each day it stays outstanding, and of its
    coming in (a delay of d days weighs d times the first plus the second)."""
    late = usual + shift
    return 1 / usual - 1 / late, -math.log(late / usual)


def drift_terms(trend: Trend, overdue_days: tuple[int, ...]) -> list[tuple[str, float]]:
    """Yesterday's log likelihood ratios (natural log), drifting against usual, each with the
    signal it weighs: none for a partner with less than MIN_RHYTHM_DAYS of earlier record to
    compare with. `overdue_days`: the days overdue, on the scan date, of each obligation still
    outstanding."""
    if trend.days_before < MIN_RHYTHM_DAYS:
        return []
    usual = min(0.9, (trend.contact_days_before + 1) / (trend.days_before + 14))
    contact = (
        math.log(RATE_FACTOR)
        if trend.contact_yesterday
        else math.log((1 - usual * RATE_FACTOR) / (1 - usual))
    )
    report_per_day, report_in = item_ratios(
        max(USUAL_DELAY, trend.report_delay_before or USUAL_DELAY), REPORT_SHIFT
    )
    obligation_per_day, obligation_met = item_ratios(USUAL_DELAY, OBLIGATION_SHIFT)
    # Overdue at the start of yesterday (due before it), for at most ITEM_DAYS then.
    overdue = sum(1 for days in overdue_days if 2 <= days <= ITEM_DAYS + 1)
    return [
        ("contact", contact),
        ("attendance", trend.present_yesterday * MEETING_RATIO["present"]),
        ("attendance", trend.apologies_yesterday * MEETING_RATIO["apologies"]),
        ("attendance", trend.absent_yesterday * MEETING_RATIO["absent"]),
        (
            "reports",
            trend.reports_outstanding * report_per_day + trend.reports_yesterday * report_in,
        ),
        ("obligations", (overdue + trend.obligations_overdue_yesterday) * obligation_per_day),
        ("obligations", trend.obligations_met_yesterday * obligation_met),
    ]


def drift_step(trend: Trend, overdue_days: tuple[int, ...]) -> float:
    """Yesterday's log likelihood ratio: its terms added in order (benchmarks/floor.py adds them
    in the same order, for the same float)."""
    return sum(value for _signal, value in drift_terms(trend, overdue_days))


def evidence_units(step: float) -> int:
    """A log likelihood ratio in hundredths of a power of ten (the evidence's unit)."""
    return round(100 * step / math.log(10))


def watch(assessment, policy, previous: Previous | None, score_then: int | None) -> Watch:
    """The state (too early, a band, or drifting), its streaks and the trend reasons.

    Drifting is decided from the drift evidence (above): each day's likelihood ratio added to
    the evidence so far, which never falls below zero nor rises a quarter above the threshold,
    and halves on each day the partner is back at its usual rhythm and the day itself weighs for
    its usual self with no report or obligation coming in. An engaged partner is drifting when
    it reaches `drift_evidence`, or on a day whose trend points reach `drift_points`. The trend
    points (trend_points) are the reasons shown: what fell, against the partner's own earlier
    record."""
    figures = assessment.figures
    trend = figures.trend
    score_change = assessment.score - score_then if score_then is not None else None
    points = trend_points(trend, figures.days_since_activity, score_change)
    today = sum(points.values())
    too_early = (
        figures.days_since_joining < policy.new_partner_days
        and figures.meetings_since_joining < policy.new_partner_meetings
    )
    days = previous.days_before if previous else 1
    back = is_back(trend, figures.days_since_activity)
    evidence = step = 0
    if not too_early:
        step = evidence_units(drift_step(trend, figures.overdue_days))
        evidence = weigh(
            previous.evidence if previous else 0,
            step,
            back=back,
            arrivals=trend.reports_yesterday + trend.obligations_met_yesterday,
            days=days,
            threshold=policy.drift_evidence,
        )
    # A named contact gone lately, no one named in its place, makes drift likelier: the partner
    # is drifting from that much less evidence (`drift_contact_left`). Not once a successor is
    # named: that is a handover (docs/engagement.md, "The watch state").
    lowered = policy.drift_contact_left if trend.contact_vacant else 0
    weighed = evidence + lowered  # what the bar for drifting and for closing is set against
    if too_early:
        state = "too_early"
    elif policy.drifting(band=str(assessment.band), weighed=weighed, points=today):
        state = "drifting"
    else:
        state = str(assessment.band)
    warning = state in WARNING_STATES
    # Clear (Policy.clear): not from the day's trend points, which are read over the trend
    # windows and remember a dip for up to `trend_days` after it is over.
    clear = policy.clear(state=state, score=assessment.score, weighed=weighed)
    codes = [trend_code(code, trend, figures, policy, score_change) for code in points]
    if state == "drifting" and weighed >= policy.drift_evidence:
        codes.insert(0, coded_evidence(policy.drift_evidence, lowered))
    return Watch(
        state=state,
        warning_streak=(previous.warning_streak if previous else 0) + 1 if warning else 0,
        clear_streak=(previous.clear_streak if previous else 0) + 1 if clear else 0,
        points=points,
        codes=codes,
        score_change=score_change,
        previous_score=previous.score if previous else None,
        evidence=evidence,
        step=step,
        back=back,
    )


def coded_evidence(threshold: int, lowered: int = 0) -> dict:
    """The drift evidence as a reason: at least `threshold` (the policy's), less what a named
    contact gone or changed counts for (`lowered`), quoted as "times likelier" (the figure does
    not move with the day's evidence, so an open flag's reasons are not rewritten every day)."""
    from .reasons import coded

    times = round(10 ** ((threshold - lowered) / 100))
    if lowered:
        return coded("trend_evidence_contact_vacant", times=times)
    return coded("trend_evidence", times=times)


def weigh(evidence: int, step: int, *, back: bool, arrivals: int, days: int, threshold: int) -> int:
    """The drift evidence after a day weighing `step`, from `evidence` carried over `days` days:
    halved for each of them if the partner is back (halves), never below zero nor over the cap
    of `threshold`."""
    if halves(back, step, arrivals):
        evidence //= 2**days
    return max(0, min(evidence + step, evidence_cap(threshold)))


def halves(back: bool, step: int, arrivals: int) -> bool:
    """Whether the evidence of an earlier dip halves today: the partner is back at its usual
    rhythm, and the day itself weighs for its usual self (a sign of life, a meeting attended,
    more than what is outstanding), so a partner that recovers is released in days, not when a
    long run of good days has outweighed the dip.

    Not on a day that weighs for drifting, though its contact is at its rhythm: a drifter often
    keeps in touch while its reports, obligations and meetings slip (halving on every day back
    cost a third of the lead). Nor on a day a report or an obligation came in (`arrivals`): its
    coming in only takes back what its days outstanding weighed (item_ratios), and a report
    weeks late, with a sign of life on the same day, is no sign the partner is its usual self —
    it is how a drifter's late reports arrive (halving on those days cost a drifter a month of
    evidence in one day). docs/engagement.md, "How far the evidence goes";
    benchmarks/frontier.py replays it."""
    return back and step <= 0 and not arrivals


def is_back(trend: Trend, days_since_activity: int) -> bool:
    """The last BACK_DAYS hold at least the partner's usual number of days with a sign of
    life, and it has not been silent for 1.5 usual gaps since."""
    gap = trend.usual_gap
    if gap is None:
        return False
    return trend.contact_14 * gap >= BACK_DAYS and days_since_activity < 1.5 * gap


def trend_code(code: str, trend: Trend, figures, policy, score_change) -> dict:
    """A trend reason as a code and the figures its text quotes (rendered by reasons.py)."""
    from .reasons import coded

    if code == "attendance":
        return coded(
            "trend_attendance",
            before=round(100 * trend.attendance_before),
            recent=round(100 * trend.attendance_recent),
        )
    if code == "contact":
        return coded(
            "trend_contact",
            recent=trend.contact_days_recent,
            days=trend.days_recent,
            usual=round(trend.days_recent / trend.usual_gap),
        )
    if code == "silence":
        return coded("trend_silence", days=figures.days_since_activity, gap=round(trend.usual_gap))
    if code in ("obligation_late", "report_delay"):
        return coded(
            f"trend_{code}",
            recent=round(getattr(trend, f"{code}_recent")),
            before=round(getattr(trend, f"{code}_before")),
        )
    return coded("trend_score", points=-score_change, days=policy.trend_days)


def trend_figures(trend: Trend, watch_: Watch) -> dict:
    """What the snapshot stores of the trend: every figure, and the points each cost."""
    return {
        "attendance_recent": trend.attendance_recent,
        "attendance_before": trend.attendance_before,
        "contact_days_recent": trend.contact_days_recent,
        "contact_days_before": trend.contact_days_before,
        "days_recent": trend.days_recent,
        "days_before": trend.days_before,
        "usual_gap": round(trend.usual_gap, 1) if trend.usual_gap is not None else None,
        "obligation_late_recent": _round(trend.obligation_late_recent),
        "obligation_late_before": _round(trend.obligation_late_before),
        "report_delay_recent": _round(trend.report_delay_recent),
        "report_delay_before": _round(trend.report_delay_before),
        "contact_14": trend.contact_14,
        "last_present": trend.last_present,
        "contact_yesterday": trend.contact_yesterday,
        "present_yesterday": trend.present_yesterday,
        "apologies_yesterday": trend.apologies_yesterday,
        "absent_yesterday": trend.absent_yesterday,
        "reports_outstanding": trend.reports_outstanding,
        "reports_yesterday": trend.reports_yesterday,
        "obligations_met_yesterday": trend.obligations_met_yesterday,
        "obligations_overdue_yesterday": trend.obligations_overdue_yesterday,
        "back": watch_.back,
        "contact_left": trend.contact_left,
        "contact_vacant": trend.contact_vacant,
        "single_contact": trend.single_contact,
        "partners_withdrawn": trend.partners_withdrawn,
        "score_change": watch_.score_change,
        "points": watch_.points,
        "step": watch_.step,
        "evidence": watch_.evidence,
    }


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None
