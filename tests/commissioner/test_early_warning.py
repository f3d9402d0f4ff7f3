"""The early warning (docs/engagement.md, "Trends and the watch state"): as-of truth, each new
signal computed by hand, the drifting and too-early states, flags that wait for a state to hold,
do not flap and reopen, and the backtest."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict
from django.utils import timezone

from agreements import services as agreements_services
from agreements.models import Obligation, Participation, SharedGoal
from commissioner import services
from commissioner.backtest import engagement_backtest
from commissioner.engagement import Policy
from commissioner.engagement.scoring import Figures
from commissioner.models import Attendance, EngagementPolicy, EngagementSnapshot, Flag
from commissioner.reasons import render_all
from commissioner.services import engagement_scan, scan
from commissioner.trend_reads import periods_outstanding
from commissioner.trends import (
    Previous,
    Trend,
    drift_step,
    drift_terms,
    evidence_units,
    trend_points,
    watch,
)
from core.errors import DomainError
from partners.models import Contact
from tests import factories
from tests.commissioner.conftest import SCAN, at, days_before, goal, partner

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def snapshot(participation: Participation, on: dt.date = SCAN) -> EngagementSnapshot:
    return EngagementSnapshot.objects.get(participation=participation, scan_date=on)


def figures_of(participation: Participation, on: dt.date = SCAN) -> dict:
    return model_to_dict(snapshot(participation, on), exclude=["id", "computed_at"])


def meeting(collaboration, days: int, **kwargs):
    return factories.MeetingFactory(
        collaboration=collaboration, held_at=days_before(days), **kwargs
    )


def attend(meeting_, participation, status=Attendance.Status.PRESENT, recorded=None):
    return factories.AttendanceFactory(
        meeting=meeting_,
        participation=participation,
        status=status,
        recorded_at=recorded or meeting_.held_at,
    )


def heard_from(participation, *days: int) -> None:
    for day in days:
        factories.ActivityFactory(participation=participation, occurred_at=days_before(day))


# As-of truth ------------------------------------------------------------------------------------


def test_a_past_day_rescanned_after_later_entries_gives_the_same_snapshot(collaboration):
    """A scan for a date sees what was known by the end of that date: entries made later, even
    about earlier events, change nothing when that date is scanned again."""
    person = partner(collaboration, active_on_scan_day=False)
    heard_from(person, 20, 40)
    held = meeting(collaboration, 30)
    attend(held, person, Attendance.Status.ABSENT)
    goal_ = goal(collaboration, cadence=SharedGoal.Cadence.MONTHLY)
    overdue = factories.ObligationFactory(
        collaboration=collaboration,
        organisation=person.organisation,
        due_date=SCAN - dt.timedelta(days=10),
    )
    engagement_scan(scan_date=SCAN)
    before = figures_of(person)

    # Through the services, today (after the scan date): the attendance corrected to present, a
    # check-in and a meeting logged for earlier days, a report made, the obligation met.
    commissioner = collaboration.commissioner
    services.attendance_record(
        actor=commissioner, meeting=held, participation=person, status=Attendance.Status.PRESENT
    )
    services.checkin_log(
        actor=commissioner, participation=person, description="Call", occurred_at=days_before(2)
    )
    services.meeting_create(
        actor=commissioner, collaboration=collaboration, title="Late", held_at=days_before(5)
    )
    later = at(SCAN + dt.timedelta(days=3))
    factories.MeasurementFactory(
        goal=goal_,
        reported_by_organisation=person.organisation,
        period_end=SCAN - dt.timedelta(days=5),
        reported_at=later,
    )
    agreements_services.obligation_mark_met(obligation=overdue, actor=commissioner, evidence="Paid")
    engagement_scan(scan_date=SCAN)
    assert figures_of(person) == before
    # They were written: the correction keeps what it replaced, for the days before it.
    corrected = Attendance.objects.get(participation=person)
    assert (corrected.status, corrected.previous_status) == ("present", "absent")
    assert corrected.changed_at > at(SCAN + DAY)


def test_unrecorded_attendance_is_a_gap_until_the_grace_ends(collaboration):
    """A held meeting with nothing recorded for the partner is a data gap for 14 days, then an
    absence; a meeting nobody's attendance was recorded for stays a gap, however old."""
    person = partner(collaboration)
    other = partner(collaboration)
    recent, older, unrecorded = meeting(collaboration, 5), meeting(collaboration, 20), None
    unrecorded = meeting(collaboration, 40)
    for held in (recent, older):
        attend(held, other)
    engagement_scan(scan_date=SCAN)
    s = snapshot(person)
    # Counted: only the meeting 20 days before, as an absence; gaps: the one 5 days before (in
    # its grace) and the one 40 days before (nobody recorded).
    assert (s.meetings_held, s.meetings_attended, s.meetings_unrecorded) == (1, 0, 2)
    # One meeting is counted, not yet scored (two are: see below).
    assert (s.attendance_rate, s.components["attendance"]["value"]) == (0, 1)
    assert snapshot(other).meetings_unrecorded == 1  # the meeting nobody recorded
    assert unrecorded.attendances.count() == 0


def test_a_new_partner_is_too_early_to_tell_and_never_flagged_from_one_event(collaboration):
    newcomer = partner(collaboration, joined_days_ago=10)
    held = meeting(collaboration, 5)
    attend(held, newcomer, Attendance.Status.ABSENT)
    for day in (SCAN - DAY, SCAN):
        engagement_scan(scan_date=day)
    s = snapshot(newcomer)
    # One meeting missed of one: not scored (100); too early to tell, 10 days in.
    assert (s.score, s.state, s.meetings_held, s.attendance_rate) == (100, "too_early", 1, 0)
    assert not Flag.objects.filter(participation=newcomer).exists()


def test_one_meeting_missed_of_the_only_one_is_not_scored_until_there_are_two(collaboration):
    """A partner past its 45 days whose only counted meeting it missed: that meeting is one
    event, not a record. It is counted (meetings_held, the share attended) but not scored until
    a second meeting is counted (`new_partner_meetings`)."""
    newcomer = partner(collaboration, joined_days_ago=60)
    attend(meeting(collaboration, 30), newcomer, Attendance.Status.ABSENT)
    engagement_scan(scan_date=SCAN)
    s = snapshot(newcomer)
    assert (s.meetings_held, s.meetings_attended, s.attendance_rate) == (1, 0, 0)
    assert (s.score, s.band, s.state) == (100, "engaged", "engaged")
    assert s.components["attendance"]["value"] == 1
    # A second meeting, attended: scored, one of two (half of 30 points lost: 85).
    attend(meeting(collaboration, 10), newcomer)
    engagement_scan(scan_date=SCAN)
    s = snapshot(newcomer)
    assert (s.meetings_held, s.meetings_attended, s.score) == (2, 1, 85)
    assert s.reasons[0] == "missed 1 of the last 2 meetings"


def test_the_level_reaches_back_to_the_latest_six_meetings_before_the_trend_span(collaboration):
    """A collaboration meeting every six weeks holds three meetings in the 91-day window and
    four in the trend's 133 days. Its partner missed the last two and attended the four before:
    the level reads six meetings (4 of 6, score 90), where it read the trend's four (2 of 4,
    score 85) — two from before the trend's span, but no further back than the collaboration's
    latest six, nor from before the partner joined."""
    person = partner(collaboration, joined_days_ago=300)
    # Every 42 days from 5 days before the scan: 5, 47, 89, 131, 173, 215, 257 days before.
    for n, days in enumerate((5, 47, 89, 131, 173, 215, 257)):
        status = Attendance.Status.ABSENT if n < 2 else Attendance.Status.PRESENT
        # The oldest (the seventh latest) absent: read, it would make 4 of 7.
        status = Attendance.Status.ABSENT if n == 6 else status
        attend(meeting(collaboration, days), person, status)
    engagement_scan(scan_date=SCAN)
    s = snapshot(person)
    assert (s.meetings_held, s.meetings_attended, s.consecutive_absences) == (6, 4, 2)
    # 100 - 30 * (1 - 4/6) = 90.
    assert s.score == 90
    assert s.reasons[0] == "missed 2 of the last 6 meetings, the last 2 in a row"
    # The trend reads the trend's span only: the last 3 (2 missed) against none before.
    assert (s.trend["attendance_recent"], s.trend["attendance_before"]) == (0.3333, None)

    # Joined 150 days ago: the two meetings attended before it joined are not its record.
    late = partner(collaboration, joined_days_ago=150)
    for days in (5, 47, 89, 131):
        attend(
            collaboration.meetings.get(held_at=days_before(days)),
            late,
            Attendance.Status.ABSENT if days < 60 else Attendance.Status.PRESENT,
        )
    engagement_scan(scan_date=SCAN)
    s = snapshot(late)
    assert (s.meetings_held, s.meetings_attended) == (4, 2)


# Each signal by hand ----------------------------------------------------------------------------


def test_an_obligation_met_late_weighs_half_as_much_as_one_outstanding(collaboration):
    person = partner(collaboration)
    obligation = factories.ObligationFactory(
        collaboration=collaboration,
        organisation=person.organisation,
        due_date=SCAN - dt.timedelta(days=30),
    )
    Obligation.objects.filter(pk=obligation.pk).update(
        status=Obligation.Status.MET, met_at=days_before(20)
    )
    engagement_scan(scan_date=SCAN)
    s = snapshot(person)
    # Met 10 days late: 1 - (10 / 60) / 2 = 0.9167; 100 - 25 x 0.0833 = 97.9 -> 98.
    assert s.components["obligations"]["value"] == pytest.approx(0.9167, abs=1e-4)
    assert s.score == 98
    assert s.reasons == ["1 obligation met late, by up to 10 days"]


def test_relationship_signals_cost_their_points_with_reasons(collaboration):
    # The named contact gone costs no points by default (it lowers the bar for drifting
    # instead: test_relationship_drift.py); a policy may still take some off.
    factories.EngagementPolicyFactory(collaboration=collaboration, points_contact_left=5)
    person = partner(collaboration)
    long_ago = at(SCAN - dt.timedelta(days=300))
    named = factories.ContactFactory(organisation=person.organisation)
    Contact.objects.filter(pk=named.pk).update(created_at=long_ago)
    Contact.history.filter(id=named.pk).update(history_date=long_ago)
    named.refresh_from_db()
    Participation.objects.filter(pk=person.pk).update(contact=named)
    # The named contact left 20 days before the scan: the organisation has no active contact.
    named.is_active = False
    named.save()
    Contact.history.filter(id=named.pk, is_active=False).update(history_date=days_before(20))
    # A co-partner withdrew 30 days before.
    partner(
        collaboration,
        status=Participation.Status.WITHDRAWN,
        left_on=SCAN - dt.timedelta(days=30),
    )
    engagement_scan(scan_date=SCAN)
    s = snapshot(person)
    # 100 - 5 (the named contact left) - 5 (a partner withdrew) = 90.
    assert s.score == 90
    assert s.reasons == [
        "the named contact left or changed in the last 90 days",
        "1 other partner withdrew in the last 90 days",
    ]
    assert (s.trend["contact_left"], s.trend["partners_withdrawn"]) == (True, 1)

    # Only one active contact, the named one: 3 points.
    named.is_active = True
    named.save()
    Contact.history.filter(id=named.pk).update(history_date=long_ago)
    Participation.objects.filter(status=Participation.Status.WITHDRAWN).delete()
    engagement_scan(scan_date=SCAN)
    s = snapshot(person)
    assert (s.score, s.reasons) == (97, ["only one active contact at the organisation"])


def test_trend_points_by_hand():
    """points = 10 x -log10(the chance of a record this poor, were the partner its usual
    self), each capped."""
    # Attendance: the last 3 meetings missed, the 10 before all attended. Smoothed rate
    # (10 + 1) / 12; P(0 of 3) = (1/12)^3 -> 10 x 3.24 = 32.
    trend = Trend(
        attendance_recent=0.0,
        attendance_before=1.0,
        attendance_recent_meetings=3,
        attendance_before_meetings=10,
    )
    assert trend_points(trend, 0, None) == {"attendance": round(-10 * math.log10((1 / 12) ** 3))}
    assert trend_points(trend, 0, None)["attendance"] == 32
    # One of the last 3 attended, stored as 0.3333 (not 0.9999 of one meeting: none). Rate
    # (6 + 1) / 8 = 7/8; P(at most 1 of 3) = (1/8)^3 + 3 x 7/8 x (1/8)^2 = 0.04297 -> 13.7 -> 14.
    trend = Trend(
        attendance_recent=0.3333,
        attendance_before=1.0,
        attendance_recent_meetings=3,
        attendance_before_meetings=6,
    )
    assert trend_points(trend, 0, None) == {"attendance": 14}

    # Contact: usually every 6 days (15 days with a sign of life in 90), 1 in the last 42;
    # P(Poisson(7) <= 1) = 8e^-7 -> 21. Silent 20 days: 10 x 0.434 x 20/6 = 14.5, the weaker.
    trend = Trend(contact_days_recent=1, contact_days_before=15, days_recent=42, days_before=90)
    assert trend.usual_gap == 6
    assert trend_points(trend, 20, None) == {"contact": 21}
    # Silent 40 days instead: 10 x 0.434 x 40/6 = 29, now the stronger.
    assert trend_points(trend, 40, None) == {"silence": 29}

    # Reports 30 days after their period, were 5: (25 - 10) / 2 = 7.5 -> 8. Obligations 12 days
    # later than before: under 14, nothing. Score down 30 points: 30 x 0.5 - 5 = 10.
    trend = Trend(
        report_delay_recent=30,
        report_delay_before=5,
        obligation_late_recent=14,
        obligation_late_before=2,
    )
    assert trend_points(trend, 0, -30) == {"report_delay": 8, "score": 10}
    # Too little to compare: nothing.
    assert trend_points(Trend(), 100, None) == {}


def test_a_dip_in_attendance_stops_counting_once_the_partner_is_there_again():
    """The 3 meetings missed above, but the partner came in person to the latest one (the
    fourth): its attendance is not falling away, whatever the three before said."""
    missed = Trend(
        attendance_recent=0.0,
        attendance_before=1.0,
        attendance_recent_meetings=3,
        attendance_before_meetings=10,
    )
    assert trend_points(missed, 0, None) == {"attendance": 32}
    back = Trend(
        attendance_recent=1 / 3,
        attendance_before=0.8,
        attendance_recent_meetings=3,
        attendance_before_meetings=10,
        last_present=True,
    )
    assert trend_points(back, 0, None) == {}


def engaged_day(trend: Trend, previous: Previous | None, overdue_days=(), policy=None):
    """The watch of an engaged partner scoring 90, long past joining, on a day with `trend`
    (under the default policy unless given another)."""
    figures = Figures(
        days_since_activity=2, trend=trend, days_since_joining=400, overdue_days=overdue_days
    )
    assessment = type("Assessment", (), {"figures": figures, "score": 90, "band": "engaged"})
    return watch(assessment, policy or Policy.model_defaults(), previous, None)


def test_the_drift_evidence_of_a_day_by_hand():
    """Usually heard from on 17 days in 90, so on (17 + 1) / (90 + 14) = 0.1731 of days; a
    drifting partner on 0.4 of that. Yesterday, nothing from it:
        no sign of life     ln((1 - 0.4 x 0.1731) / (1 - 0.1731))  = +0.1183
        apologies           ln((0.1 + 0.45 x 0.4) / 0.1) = ln 2.8  = +1.0296
        absent              ln((0.1 + 0.55 x 0.4) / 0.1) = ln 3.2  = +1.1632
        2 goal periods outstanding, reports usually 10 days after the period, 30 when
        drifting: 2 x (1/10 - 1/30)                                = +0.1333
        2 obligations overdue at the start of yesterday (one still, 5 days; one met since;
        the one due yesterday is not late yet, the one 95 days overdue no longer counts):
        2 x (1/7 - 1/32)                                           = +0.2232
        1 obligation met: -ln(32/7)                                = -1.5198
    1.1478 in all, 1.1478 / ln 10 = 0.4985 powers of ten: 50 hundredths. A sign of life instead
    of none: ln 0.4 = -0.9163, 1.1478 - 0.1183 - 0.9163 = 0.1132: 5."""
    trend = Trend(
        days_before=90,
        contact_days_before=17,
        apologies_yesterday=1,
        absent_yesterday=1,
        report_delay_before=10.0,
        reports_outstanding=2,
        obligations_met_yesterday=1,
        obligations_overdue_yesterday=1,
    )
    terms = dict.fromkeys(("contact", "attendance", "reports", "obligations"), 0.0)
    for signal, value in drift_terms(trend, (1, 5, 95)):
        terms[signal] += value
    assert {signal: round(value, 4) for signal, value in terms.items()} == {
        "contact": 0.1183,
        "attendance": round(math.log(2.8) + math.log(3.2), 4),
        "reports": 0.1333,
        "obligations": round(0.2232 - 1.5198, 4),
    }
    assert evidence_units(drift_step(trend, (1, 5, 95))) == 50
    heard = Trend(**{**trend.__dict__, "contact_yesterday": True})
    assert evidence_units(drift_step(heard, (1, 5, 95))) == 5
    # Too little earlier record to compare with: nothing.
    assert drift_step(Trend(days_before=27, contact_days_before=17), ()) == 0.0


def test_goal_periods_outstanding_by_hand():
    """Monthly periods run on from their anchor (the latest period reported, or the goal's
    start): 65 days after it, the periods ending 30 and 60 days after it are outstanding (35 and
    5 days); 125 days after it, those ending 60, 90 and 120 days after it (65, 35, 5 days; the
    one 95 days old no longer counts); 30 days after it, none (the first ends that very day)."""
    assert periods_outstanding(65, 30) == 2
    assert periods_outstanding(125, 30) == 3
    assert periods_outstanding(30, 30) == 0
    assert periods_outstanding(5, 91) == 0


def test_a_scan_reads_yesterdays_record_as_known_at_the_end_of_the_day(collaboration):
    """The scan runs early in the morning: the day it weighs is yesterday, whole. A monthly
    goal whose latest period reported ended 70 days before yesterday (sent 5 days later), the
    next two not: the periods that ended 40 and 10 days before yesterday are outstanding.
    Yesterday the partner was marked absent from a meeting and met an obligation due a week
    before; today's own entries wait for tomorrow's scan."""
    person = partner(collaboration, active_on_scan_day=False)
    heard_from(person, *range(3, 120, 4))
    shared = goal(collaboration, set_days_before_scan=101, cadence=SharedGoal.Cadence.MONTHLY)
    factories.MeasurementFactory(
        goal=shared,
        period_end=SCAN - dt.timedelta(days=71),
        reported_by_organisation=person.organisation,
        reported_at=days_before(66),
    )
    meeting = factories.MeetingFactory(collaboration=collaboration, held_at=days_before(8))
    factories.AttendanceFactory(
        meeting=meeting,
        participation=person,
        status=Attendance.Status.ABSENT,
        recorded_at=days_before(1),
    )
    factories.ObligationFactory(
        collaboration=collaboration,
        organisation=person.organisation,
        due_date=SCAN - dt.timedelta(days=8),
        status=Obligation.Status.MET,
        met_at=days_before(1),
    )
    factories.ActivityFactory(participation=person, occurred_at=at(SCAN, 8))  # today: not yet
    engagement_scan(scan_date=SCAN, send_digests=False)
    trend = snapshot(person).trend
    assert {
        figure: trend[figure]
        for figure in (
            "contact_yesterday",
            "absent_yesterday",
            "reports_outstanding",
            "reports_yesterday",
            "obligations_met_yesterday",
            "obligations_overdue_yesterday",
        )
    } == {
        "contact_yesterday": False,
        "absent_yesterday": 1,
        "reports_outstanding": 2,
        "reports_yesterday": 0,
        "obligations_met_yesterday": 1,
        "obligations_overdue_yesterday": 1,
    }
    assert trend["step"] == snapshot(person).drift_evidence


def day_after_a_dip(
    evidence: int, contact_14: int, heard_from_yesterday: bool, policy=None, **yesterday
):
    """The watch of a partner drifting with `evidence`, usually heard from on 15 days in 90
    (every 6 days), with `contact_14` days with a sign of life in the last 14; `yesterday`: more
    of yesterday's figures (a report in, a meeting missed)."""
    trend = Trend(
        contact_days_recent=7,
        contact_days_before=15,
        days_recent=42,
        days_before=90,
        contact_14=contact_14,
        contact_yesterday=heard_from_yesterday,
        **yesterday,
    )
    previous = Previous(
        state="drifting", warning_streak=9, clear_streak=0, score=90, evidence=evidence
    )
    return engaged_day(trend, previous, policy=policy)


def test_a_partner_back_at_its_usual_rhythm_halves_the_evidence_of_its_dip():
    """Usually heard from on 15 days in 90, heard from yesterday: ln 0.4 = -0.9163, -40
    hundredths of a power of ten. With 3 days with a sign of life in the last 14 (every 6 days
    as usual: 3 x 6 >= 14) the partner is back, and the evidence of 250 (the most it carries)
    halves first: 125 - 40 = 85, under the 200 of drifting and under the 100 where its flag may
    close. With 2 (2 x 6 < 14) it is not: 250 - 40 = 210, still drifting."""
    back = day_after_a_dip(evidence=250, contact_14=3, heard_from_yesterday=True)
    assert (back.back, back.points, back.step, back.evidence, back.state) == (
        True,
        {},
        -40,
        85,
        "engaged",
    )
    assert back.clear_streak == 1
    still = day_after_a_dip(evidence=250, contact_14=2, heard_from_yesterday=True)
    assert (still.back, still.evidence, still.state) == (False, 210, "drifting")


def test_a_day_back_that_weighs_for_drifting_does_not_halve_the_evidence():
    """Back at its usual rhythm (3 days with a sign of life in the last 14, every 6 days as
    usual) but nothing from it yesterday: usually heard from on (15 + 1) / (90 + 14) = 0.1538
    of days, ln((1 - 0.4 x 0.1538) / (1 - 0.1538)) = +0.1035, 4 hundredths for drifting. The
    evidence of 240 is not halved: 244, still drifting (halved, 124, it would be engaged). The
    same day with a sign of life weighs -40 and halves it: 120 - 40 = 80."""
    quiet = day_after_a_dip(evidence=240, contact_14=3, heard_from_yesterday=False)
    assert (quiet.back, quiet.step, quiet.evidence, quiet.state) == (True, 4, 244, "drifting")
    heard = day_after_a_dip(evidence=240, contact_14=3, heard_from_yesterday=True)
    assert (heard.back, heard.step, heard.evidence, heard.state) == (True, -40, 80, "engaged")


def test_a_late_report_coming_in_does_not_halve_the_evidence():
    """Back at its usual rhythm and heard from yesterday, the day its report of a period came
    in, reports usually 7 days after the period: ln 0.4 - ln(27 / 7) = -0.9163 - 1.3499 =
    -2.2662, -98 hundredths. The report's coming in takes back what its days outstanding
    weighed; it is no sign the partner is its usual self, so the evidence of 250 is not halved:
    152, over half of 200, and its flag does not start to close (clear streak 0). Were it halved
    (as under the first rule of 6 December 2026): 125 - 98 = 27, and the flag would start to
    close."""
    report_day = day_after_a_dip(
        evidence=250, contact_14=3, heard_from_yesterday=True, reports_yesterday=1
    )
    assert (report_day.back, report_day.step, report_day.evidence) == (True, -98, 152)
    assert (report_day.state, report_day.clear_streak) == ("engaged", 0)


def test_the_evidence_is_capped_a_quarter_above_the_threshold():
    """Not heard from (+4, as above) and absent from a meeting (ln 3.2 = +1.1632, +51): +55 in
    all. From 240 that is 295, capped at 250 under the default 200 (so a partner back to its
    usual self falls under 100 in two halvings), and at 375 under a policy of 300."""
    absent = day_after_a_dip(
        evidence=240, contact_14=0, heard_from_yesterday=False, absent_yesterday=1
    )
    assert (absent.step, absent.evidence, absent.state) == (55, 250, "drifting")
    stricter = dataclasses.replace(Policy.model_defaults(), drift_evidence=300)
    day = day_after_a_dip(
        evidence=360,
        contact_14=0,
        heard_from_yesterday=False,
        policy=stricter,
        absent_yesterday=1,
    )
    assert (day.step, day.evidence) == (55, 375)


def test_a_recovered_partner_clears_while_its_trend_windows_still_remember_the_dip():
    """Back after a dip, the partner sent its late reports in one go: they are 35 days after
    their period on average over the last 42 days, against 5 before, and the lateness trend
    says (35 - 5 - 10) / 2 = 10 points, until the catch-up leaves the window. That is a reason
    shown, not evidence: heard from yesterday (-40, as above), its evidence goes from 120 to 80,
    under half of 200, and with a score of 90 (over 70 + 5) the day counts towards closing its
    flag (clear streak 3 -> 4). From 150 (110, over half of 200), the flag waits."""

    def day_after(evidence: int):
        trend = Trend(
            days_before=90,
            contact_days_before=15,
            contact_yesterday=True,
            report_delay_recent=35.0,
            report_delay_before=5.0,
        )
        return engaged_day(trend, Previous("engaged", 0, 3, 90, evidence))

    recovered = day_after(120)
    assert (recovered.points, recovered.evidence, recovered.state) == (
        {"report_delay": 10},
        80,
        "engaged",
    )
    assert recovered.clear_streak == 4
    waiting = day_after(150)
    assert (waiting.evidence, waiting.state, waiting.clear_streak) == (110, "engaged", 0)


def test_the_drifting_reason_quotes_the_threshold_not_the_days_evidence():
    """A drifting partner's reason does not move with the evidence, so an open flag is not
    rewritten every day: "over 100 times likelier" at the default 200, from 230 or 260."""
    trend = Trend(days_before=90, contact_days_before=15)
    for evidence in (230, 260):
        day = engaged_day(trend, Previous("drifting", 3, 0, 90, evidence))
        assert day.state == "drifting"
        assert day.codes[0] == {"code": "trend_evidence", "figures": {"times": 100}}
    assert "over 100 times likelier" in render_all(day.codes, SCAN)[0]


# The watch state and flags ---------------------------------------------------------------------


def quiet_partner(collaboration, *, silent_days: int) -> Participation:
    """Heard from every 3 days for months, then silent `silent_days` days: still engaged on
    its score, its silence against its own rhythm says drifting."""
    person = partner(collaboration, active_on_scan_day=False)
    heard_from(person, *range(silent_days, silent_days + 130, 3))
    return person


def scan_days(first: dt.date, last: dt.date = SCAN) -> None:
    day = first
    while day <= last:
        engagement_scan(scan_date=day)
        day += DAY


def test_a_partner_falling_against_its_own_rhythm_is_drifting_while_still_engaged(collaboration):
    """Heard from every 3 days, on 30 days of the 90 before the last 42: (30 + 1) / (90 + 14) =
    0.298 of days; each silent day is ln((1 - 0.4 x 0.298) / (1 - 0.298)) = 0.227 of evidence,
    10 hundredths of a power of ten. Silent 25 days, scanned every day: it reaches 200 after
    about 20 of them, still scoring engaged, and the flag follows one scan later."""
    person = quiet_partner(collaboration, silent_days=25)
    scan_days(SCAN - 24 * DAY)
    s = snapshot(person)
    assert (s.band, s.state) == ("engaged", "drifting")
    assert s.trend["step"] == 10 and s.drift_evidence >= 200
    assert "no sign of life in 25 days, usually one every 3 days" in s.reasons
    assert any("100 times likelier from a partner drifting away" in r for r in s.reasons)
    drifting = EngagementSnapshot.objects.filter(participation=person, state="drifting")
    first = drifting.order_by("scan_date").first().scan_date
    assert SCAN - 8 * DAY <= first <= SCAN - 2 * DAY
    flag = Flag.objects.get(participation=person)
    assert (flag.state, flag.band, flag.raised_on) == ("drifting", "engaged", first + DAY)


def test_a_flag_waits_for_the_state_to_hold_for_two_scans(collaboration):
    person = quiet_partner(collaboration, silent_days=25)
    day = SCAN - 24 * DAY
    while True:
        engagement_scan(scan_date=day)
        if snapshot(person, day).state == "drifting":
            break
        day += DAY
    assert not Flag.objects.exists()
    engagement_scan(scan_date=day + DAY)
    assert Flag.objects.get().raised_on == day + DAY


def test_a_sharp_drop_raises_a_flag_at_once(collaboration):
    person = partner(collaboration)
    heard_from(person, 1)
    engagement_scan(scan_date=SCAN - DAY)
    assert snapshot(person, SCAN - DAY).score == 100
    # Overnight: two obligations long overdue come to light, and it missed every meeting.
    for days in (90, 80):
        factories.ObligationFactory(
            collaboration=collaboration,
            organisation=person.organisation,
            due_date=SCAN - dt.timedelta(days=days),
        )
    for days in (60, 40, 20):
        attend(meeting(collaboration, days), person, Attendance.Status.ABSENT)
    engagement_scan(scan_date=SCAN)
    s = snapshot(person)
    assert s.score <= 80 and s.state in ("at_risk", "disengaged")
    assert s.warning_streak == 1
    assert Flag.objects.get(participation=person).raised_on == SCAN


def test_flags_do_not_flap_around_the_threshold_and_reopen_within_30_days(
    collaboration, django_capture_on_commit_callbacks
):
    """Hysteresis: a flag closes only after two scans at engaged_min + 5 or above; raised again
    within 30 days of closing, it is the same flag, reopened, and not announced again."""
    person = partner(collaboration)
    policy = Policy.model_defaults()
    obligation = factories.ObligationFactory(
        collaboration=collaboration,
        organisation=person.organisation,
        due_date=SCAN - dt.timedelta(days=70),
    )
    # 2 of 3 meetings missed (-20) and an obligation 70 days overdue (-25): 55, at risk.
    held = [meeting(collaboration, days) for days in (50, 30, 10)]
    attend(held[0], person)
    for m in held[1:]:
        attend(m, person, Attendance.Status.ABSENT)
    day = SCAN
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            engagement_scan(scan_date=day)
            day += DAY
    flag = Flag.objects.get(participation=person)
    assert flag.status == Flag.Status.OPEN and flag.notified_at is not None
    assert len(mail.outbox) == 1

    # Paid: 100 - 20 = 80 >= 75, but one scan is not enough to close.
    Obligation.objects.filter(pk=obligation.pk).update(status=Obligation.Status.WAIVED, met_at=None)
    engagement_scan(scan_date=day)
    flag.refresh_from_db()
    assert flag.status == Flag.Status.OPEN
    day += DAY
    engagement_scan(scan_date=day)
    flag.refresh_from_db()
    assert (flag.status, flag.closed_on) == (Flag.Status.AUTO_CLOSED, day)

    # At risk again two weeks later, for two scans: the same flag reopens, unannounced.
    Obligation.objects.filter(pk=obligation.pk).update(status=Obligation.Status.PENDING)
    day += dt.timedelta(days=14)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            engagement_scan(scan_date=day)
            day += DAY
    assert Flag.objects.filter(participation=person).count() == 1
    flag.refresh_from_db()
    assert (flag.status, flag.reopened_count) == (Flag.Status.OPEN, 1)
    assert len(mail.outbox) == 1, "a reopened flag is not announced as new"
    assert policy.reopen_days == 30


def test_a_score_hovering_around_70_raises_one_flag_not_one_a_week(collaboration):
    """The old scan closed and re-raised at the 70 line; now a flag stays open until a real
    recovery (75, two scans), whatever the score does around 70."""
    person = partner(collaboration)
    for days in (80, 60, 40, 20):
        attend(meeting(collaboration, days), person, Attendance.Status.APOLOGIES)
    obligation = factories.ObligationFactory(
        collaboration=collaboration,
        organisation=person.organisation,
        due_date=SCAN - dt.timedelta(days=40),
    )
    scores = []
    for offset in range(10):
        day = SCAN + dt.timedelta(days=offset)
        heard_from(person, -offset)
        # Attendance 0.5 (-15) and the obligation 40 days overdue (-16.7): 68, at risk; 30 days
        # overdue (-12.5): 72.5 -> 73, engaged, but under 75.
        overdue = 40 if offset % 4 < 2 else 30
        Obligation.objects.filter(pk=obligation.pk).update(
            due_date=day - dt.timedelta(days=overdue)
        )
        engagement_scan(scan_date=day)
        scores.append(snapshot(person, day).score)
    assert scores == [68, 68, 73, 73] * 2 + [68, 68]
    flag = Flag.objects.get(participation=person)
    # Raised on the second day at risk; above 70 but under 75 it stays open; never closed, so
    # never raised again.
    assert (flag.status, flag.raised_on, flag.reopened_count) == (Flag.Status.OPEN, SCAN + DAY, 0)


# The backtest ------------------------------------------------------------------------------------


def test_the_backtest_replays_past_days_and_writes_nothing(collaboration):
    person = quiet_partner(collaboration, silent_days=40)
    steady = partner(collaboration, active_on_scan_day=False)
    heard_from(steady, *range(1, 130, 3))
    engagement_scan(scan_date=SCAN)
    kept = (
        list(EngagementSnapshot.objects.order_by("pk").values()),
        list(Flag.objects.order_by("pk").values()),
    )

    result = engagement_backtest(
        date_from=SCAN - dt.timedelta(days=29), date_to=SCAN, collaboration_ids=[collaboration.pk]
    )

    assert (
        list(EngagementSnapshot.objects.order_by("pk").values()),
        list(Flag.objects.order_by("pk").values()),
    ) == kept
    assert result.participations == 2
    assert [(f.participation_id, f.state) for f in result.flags] == [(person.pk, "drifting")]
    raised = result.flags[0].raised_on
    # Heard from every 3 days, then silent from 40 days before the scan: its evidence grows by
    # about 10 a silent day (test_a_partner_falling_against_its_own_rhythm...), drifting 21 days
    # into the silence, raised on the next scan (the backtest's warm-up scans the silence from
    # its start). Gone silent at once, it could not be warned before: 22 days is past the 14
    # days' grace.
    assert raised == SCAN - dt.timedelta(days=40 - 22)
    assert result.flaps == 0
    [silent] = result.silent
    assert (silent.participation_id, silent.last_heard) == (person.pk, SCAN - dt.timedelta(40))
    assert silent.warned_on is None
    assert result.silent_warned == 0


def test_the_backtest_counts_the_partners_flagged_that_kept_in_touch(collaboration):
    """What a bar trades: partners warned before going silent against partners flagged that
    had not gone silent by the end (a dip, a drift not over yet, or a false alarm)."""
    gone = quiet_partner(collaboration, silent_days=40)
    back = partner(collaboration, active_on_scan_day=False)
    # Every 3 days, then 31 silent days (drifting three weeks in), then heard from again.
    heard_from(back, *range(33, 160, 3), 1)
    steady = partner(collaboration, active_on_scan_day=False)
    heard_from(steady, *range(1, 160, 3))

    result = engagement_backtest(
        date_from=SCAN - dt.timedelta(days=29), date_to=SCAN, collaboration_ids=[collaboration.pk]
    )

    assert {f.participation_id for f in result.flags} == {gone.pk, back.pk}
    assert [p.participation_id for p in result.silent] == [gone.pk]
    assert result.flagged_in_touch == 1


def test_the_backtest_replays_other_bars_as_the_scan_would_at_each(collaboration):
    """One run shows what each bar trades: at each of the bars asked for, the partners flagged,
    the flaps, those warned before going silent and those flagged that kept in touch — the very
    figures a whole backtest with the policy's bar set there gives."""
    quiet_partner(collaboration, silent_days=40)
    back = partner(collaboration, active_on_scan_day=False)
    heard_from(back, *range(33, 160, 3), 1)  # 31 silent days, then heard from again
    steady = partner(collaboration, active_on_scan_day=False)
    heard_from(steady, *range(1, 160, 3))
    span = {"date_from": SCAN - dt.timedelta(days=29), "date_to": SCAN}
    bars = [150, 200, 400]

    result = engagement_backtest(**span, collaboration_ids=[collaboration.pk], bars=bars)

    replayed = {trial.bar: trial for trial in result.bars}
    assert sorted(replayed) == bars
    for bar in bars:
        at_bar = dataclasses.replace(Policy.model_defaults(), drift_evidence=bar)
        whole = engagement_backtest(**span, collaboration_ids=[collaboration.pk], policy=at_bar)
        trial = replayed[bar]
        assert (trial.flagged, trial.flaps, trial.silent_warned, trial.flagged_in_touch) == (
            len({flag.participation_id for flag in whole.flags}),
            whole.flaps,
            whole.silent_warned,
            whole.flagged_in_touch,
        ), bar
    # Silent 31 days, about 10 of evidence a day: drifting from 150 or 200, not from 400.
    assert [replayed[bar].flagged_in_touch for bar in bars] == [1, 1, 0]
    assert replayed[200].flagged == len(result.flags) == 2


def test_the_backtest_tries_a_policy_and_refuses_bad_ranges(collaboration):
    person = quiet_partner(collaboration, silent_days=40)
    lax = Policy(
        **{**Policy.model_defaults().__dict__, "drift_points": 200, "drift_evidence": 5000}
    )
    result = engagement_backtest(
        date_from=SCAN - dt.timedelta(days=9),
        date_to=SCAN,
        collaboration_ids=[collaboration.pk],
        policy=lax,
    )
    assert all(
        flag.participation_id != person.pk or flag.state != "drifting" for flag in result.flags
    )
    with pytest.raises(DomainError) as error:
        engagement_backtest(date_from=SCAN, date_to=SCAN - DAY)
    assert error.value.field == "from"
    with pytest.raises(DomainError):
        engagement_backtest(date_from=SCAN - dt.timedelta(days=500), date_to=SCAN)
    with pytest.raises(DomainError):
        engagement_backtest(date_from=SCAN, date_to=timezone.localdate() + DAY)


def test_the_backtest_command_prints_the_flags_and_the_silent_partners(collaboration):
    person = quiet_partner(collaboration, silent_days=40)
    out = StringIO()
    call_command(
        "engagement_backtest",
        "--from",
        (SCAN - dt.timedelta(days=29)).isoformat(),
        "--to",
        SCAN.isoformat(),
        "--collaboration",
        collaboration.slug,
        stdout=out,
    )
    text = out.getvalue()
    assert (
        "1 flags raised, 0 flaps; 1 went silent, 0 of them warned before; "
        "0 flagged had not gone silent by the end."
    ) in text
    assert person.organisation.name in text
    # The same days at the bars around the policy's 200: drifting 21 days into its silence
    # from 200, so flagged from every bar to 300; from 400 not within the 30 days.
    rows = [line.split() for line in text.splitlines() if line.startswith("  ") and "of" in line]
    assert [(row[0], row[1]) for row in rows] == [
        ("150", "1"),
        ("200", "1"),
        ("250", "1"),
        ("300", "1"),
        ("400", "0"),
    ]
    assert not EngagementSnapshot.objects.exists()
    with pytest.raises(CommandError, match="--bars"):
        call_command(
            "engagement_backtest", "--from", "2026-01-01", "--to", "2026-01-02", "--bars", "0,200"
        )
    with pytest.raises(CommandError, match="No collaboration"):
        call_command(
            "engagement_backtest",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-02",
            "--collaboration",
            "nope",
        )


def test_the_policy_page_tries_a_policy_without_saving_it(client, commissioner, collaboration):
    # Heard from every 3 days, silent for the last 40 (the page replays the months to yesterday).
    person = partner(collaboration, active_on_scan_day=False)
    for days in range(40, 170, 3):
        factories.ActivityFactory(
            participation=person, occurred_at=timezone.now() - dt.timedelta(days=days)
        )
    client.force_login(commissioner)
    url = f"/commissioner/collaborations/{collaboration.slug}/policy/"
    form = client.get(url).context["form"]
    values = dict(form.initial)
    response = client.post(url, {**values, "try": "1", "months": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "would have been raised" in html
    assert "Partners flagged who had not gone silent by the end: 0." in html
    # The same months at other bars, the one tried marked: 150 to 400 around 200.
    bars = response.context["trial"].bars
    assert [trial.bar for trial in bars] == [150, 200, 250, 300, 400]
    assert [trial.flagged for trial in bars] == [1, 1, 1, 1, 0]
    assert '<tr class="table-active"><th scope="row">200 (these settings)</th><td>1</td>' in html
    assert "<td>0 of 1</td>" in html  # flagged 22 days into its silence: too late
    assert (
        "1 flag would have been raised.\n  Of those, 0 were raised again within two weeks" in html
    )
    # The button sends the reader to the results, with or without JavaScript.
    assert 'name="try" value="1" formaction="#trial-heading"' in html
    assert 'id="trial-heading"' in html
    # Its dates as the rest of the page writes them.
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    span = f"{(yesterday - dt.timedelta(days=29)).isoformat()} to {yesterday.isoformat()}"
    assert f"These settings, {span}</h2>" in html
    # The bar left blank: the policy's own is tried, and named as the one tried.
    response = client.post(url, {**values, "drift_evidence": "", "try": "1", "months": "1"})
    html = response.content.decode()
    assert response.context["trial_bar"] == 200
    assert "(these settings: 200)" in html
    assert '<th scope="row">200 (these settings)</th>' in html
    assert not EngagementPolicy.objects.filter(collaboration=collaboration).exists()


# A scan stopped part-way -----------------------------------------------------------------------


def test_a_scan_stopped_part_way_is_completed_within_the_hour(collaboration, monkeypatch):
    """Issue 15, case 15: a whole worker killed mid-scan; the hourly finisher completes the day
    (and does nothing when the day is whole or has not begun)."""
    people = [partner(collaboration) for _ in range(4)]
    today = timezone.localdate()
    assert services.engagement_scan_finish(today=today) is None  # not begun: nothing to do
    real = scan._scan_batch
    calls = []

    def killed_in_the_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise SystemExit("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(scan, "_scan_batch", killed_in_the_second_batch)
    with pytest.raises(SystemExit):
        engagement_scan(scan_date=today, batch_size=2)
    monkeypatch.setattr(scan, "_scan_batch", real)
    assert EngagementSnapshot.objects.filter(scan_date=today).count() == 2

    result = services.engagement_scan_finish(today=today)
    assert result is not None and result.participations_scored == 4
    assert EngagementSnapshot.objects.filter(scan_date=today).count() == len(people)
    assert services.engagement_scan_finish(today=today) is None  # whole: nothing to do


def test_policies_left_at_the_old_defaults_move_to_the_drift_evidence_ones(db):
    """The migration to the likelihood ratio: a policy at the old defaults (120 accumulated
    trend points, 30 points in a day) gets the new ones (200, 40); a policy someone chose
    keeps its figures."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("commissioner.migrations.0020_drift_evidence_likelihood_ratio")
    old = factories.EngagementPolicyFactory(collaboration=None, drift_evidence=120, drift_points=30)
    chosen = factories.EngagementPolicyFactory(
        collaboration=factories.CollaborationFactory(), drift_evidence=150, drift_points=25
    )
    migration.forwards(apps, None)
    old.refresh_from_db()
    chosen.refresh_from_db()
    assert (old.drift_evidence, old.drift_points) == (200, 40)
    assert (chosen.drift_evidence, chosen.drift_points) == (150, 25)
