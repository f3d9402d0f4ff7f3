"""Engagement scores computed by hand, one signal at a time (docs/engagement.md).

With the default policy the weights are attendance 30, obligations 25, reporting 15, recency 20,
signatures 10 (they sum to 100), so a partner perfect on every signal but one scores
100 - weight x (1 - component) of that one, rounded half up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from agreements.models import Agreement, Obligation, Participation, SharedGoal
from commissioner.engagement import Figures, Policy, assess
from commissioner.models import Attendance, EngagementSnapshot
from commissioner.services import engagement_scan
from tests import factories
from tests.commissioner.conftest import SCAN, at, days_before, goal, partner

pytestmark = pytest.mark.django_db

DEFAULT = Policy()


def snapshot(participation: Participation) -> EngagementSnapshot:
    return EngagementSnapshot.objects.get(participation=participation, scan_date=SCAN)


# The pure function ----------------------------------------------------------------------------


def test_a_partner_perfect_on_every_signal_scores_100_with_no_reasons():
    result = assess(Figures(), DEFAULT)
    assert (result.score, result.band, result.reasons) == (100, "engaged", [])
    assert set(result.components.values()) == {Fraction(1)}


def test_each_component_and_the_weighted_score():
    figures = Figures(
        meetings_held=4,
        meetings_present=1,
        meetings_apologies=1,
        consecutive_absences=2,
        obligations_due=4,
        overdue_days=(90, 30, 15),
        reports_expected=4,
        reports_made=3,
        days_since_activity=15,
        signatures_pending=1,
        max_days_awaiting_signature=21,
    )
    result = assess(figures, DEFAULT)
    # attendance (1 + 0.5) / 4; obligations 1 - (1 + 0.5 + 0.25) / 4; reporting 3/4;
    # recency 1 - 15/60; signatures 0.
    assert result.components == {
        "attendance": Fraction(3, 8),
        "obligations": Fraction(9, 16),
        "reporting": Fraction(3, 4),
        "recency": Fraction(3, 4),
        "signatures": Fraction(0),
    }
    # 30 x 0.375 + 25 x 0.5625 + 15 x 0.75 + 20 x 0.75 + 0 = 11.25 + 14.0625 + 11.25 + 15 = 51.5625
    assert result.score == 52
    assert result.band == "at_risk"
    # The component that cost most comes first: attendance 18.75, obligations 10.9375,
    # signatures 10, recency 5, reporting 3.75.
    assert result.reasons == [
        "missed 3 of the last 4 meetings (apologies sent for 1), the last 2 in a row",
        "3 obligations overdue, oldest 90 days",
        "1 agreement awaiting signature for 21 days",
        "no activity in 15 days",
        "1 of 4 goal reports missing",
    ]


def test_halves_round_up_not_to_even():
    # One apology in two meetings: attendance 0.75 -> 30 x 0.75 = 22.5 -> 92.5 -> 93 (Python's
    # round() would give 92).
    result = assess(Figures(meetings_held=2, meetings_present=1, meetings_apologies=1), DEFAULT)
    assert result.score == 93


@pytest.mark.parametrize(
    ("score", "band"),
    [(100, "engaged"), (70, "engaged"), (69, "at_risk"), (40, "at_risk"), (39, "disengaged")],
)
def test_band_thresholds_are_inclusive_lower_bounds(score, band):
    from commissioner.engagement import band_for

    assert band_for(score, DEFAULT) == band


def test_weights_and_bands_come_from_the_policy():
    policy = Policy(
        weight_attendance=1,
        weight_obligations=0,
        weight_reporting=0,
        weight_recency=1,
        weight_signatures=0,
        engaged_min=90,
        at_risk_min=60,
    )
    # attendance 0.5 (weight 1), recency 1 (weight 1): 100 x 1.5 / 2 = 75 -> at risk under 90/60.
    result = assess(Figures(meetings_held=2, meetings_present=1), policy)
    assert (result.score, result.band) == (75, "at_risk")


def test_lateness_is_capped_at_the_grace_period_and_the_component_at_zero():
    figures = Figures(obligations_due=1, overdue_days=(400,))
    assert assess(figures, DEFAULT).components["obligations"] == 0
    assert assess(figures, DEFAULT).reasons == ["1 obligation overdue by 400 days"]


# Each signal read from the database -----------------------------------------------------------


def test_attendance(collaboration):
    veteran = partner(collaboration, joined_days_ago=200)
    newcomer = partner(collaboration, joined_days_ago=50)
    meetings = {
        days: factories.MeetingFactory(collaboration=collaboration, held_at=days_before(days))
        for days in (120, 70, 40, 10)
    }
    # Not counted: another collaboration's meeting, and one after the scan date.
    factories.MeetingFactory(held_at=days_before(5))
    factories.MeetingFactory(collaboration=collaboration, held_at=at(SCAN + dt.timedelta(days=1)))
    factories.AttendanceFactory(
        meeting=meetings[120], participation=veteran, status=Attendance.Status.ABSENT
    )
    factories.AttendanceFactory(
        meeting=meetings[70], participation=veteran, status=Attendance.Status.PRESENT
    )
    factories.AttendanceFactory(
        meeting=meetings[40], participation=veteran, status=Attendance.Status.APOLOGIES
    )
    # (no row for the veteran at the meeting 10 days before: within the 14 days' grace, a data
    # gap, not an absence)
    for days in (40, 10):
        factories.AttendanceFactory(
            meeting=meetings[days], participation=newcomer, status=Attendance.Status.ABSENT
        )

    engagement_scan(scan_date=SCAN)

    # Veteran: the window holds 2 counted meetings (70, 40; the one 10 days before is a gap), so
    # the component reads the latest 6 since joining: 120 absent, 70 present, 40 apologies:
    # 1.5 / 3 = 0.5; no absence in a row (the apology is the latest). 100 - 30 x 0.5 = 85.
    s = snapshot(veteran)
    assert (s.meetings_held, s.meetings_attended, s.meetings_apologies) == (3, 1, 1)
    assert s.attendance_rate == Decimal("0.5000")
    assert s.consecutive_absences == 0
    assert s.meetings_unrecorded == 1
    assert (s.score, s.band) == (85, "engaged")
    assert s.reasons == ["missed 2 of the last 3 meetings (apologies sent for 1)"]
    # Newcomer (joined 50 days before): only the 2 meetings since, both missed: 100 - 30 = 70.
    s = snapshot(newcomer)
    assert (s.meetings_held, s.meetings_attended, s.consecutive_absences) == (2, 0, 2)
    assert (s.score, s.band) == (70, "engaged")
    assert s.reasons == ["missed 2 of the last 2 meetings"]


def test_no_meetings_means_full_attendance(collaboration):
    quiet = partner(collaboration)
    engagement_scan(scan_date=SCAN)
    s = snapshot(quiet)
    assert (s.meetings_held, s.attendance_rate, s.score) == (0, None, 100)


def test_obligations(collaboration):
    owing = partner(collaboration)
    organisation = owing.organisation

    def obligation(days_before_scan: int, status=Obligation.Status.PENDING, met_on=None, **kw):
        return factories.ObligationFactory(
            collaboration=collaboration,
            organisation=kw.pop("organisation", organisation),
            due_date=SCAN - dt.timedelta(days=days_before_scan),
            status=status,
            met_at=at(met_on) if met_on else None,
            **kw,
        )

    obligation(30)  # 30 days overdue: 30/60 = 0.5 late
    obligation(90)  # 90 days: capped at 1
    obligation(20, Obligation.Status.MET, met_on=SCAN - dt.timedelta(days=25))  # due, met
    obligation(15, Obligation.Status.MET, met_on=SCAN + dt.timedelta(days=2))  # met later: 0.25
    obligation(10, Obligation.Status.WAIVED)  # waived: ignored
    obligation(-5)  # not due yet
    obligation(100, Obligation.Status.MET, met_on=SCAN - dt.timedelta(days=99))  # before window
    obligation(30, organisation=factories.OrganisationFactory())  # someone else's
    factories.ObligationFactory(
        organisation=organisation, due_date=SCAN - dt.timedelta(days=30)
    )  # another collaboration's

    engagement_scan(scan_date=SCAN)

    # Due in the window or outstanding: 4. Lateness 0.5 + 1 + 0.25 = 1.75.
    # Component 1 - 1.75/4 = 0.5625; 100 - 25 x 0.4375 = 89.0625 -> 89.
    s = snapshot(owing)
    assert (s.obligations_due, s.obligations_overdue, s.max_days_overdue) == (4, 3, 90)
    assert (s.score, s.band) == (89, "engaged")
    assert s.reasons == ["3 obligations overdue, oldest 90 days"]


def test_reporting(collaboration):
    reporter = partner(collaboration, joined_days_ago=200)
    newcomer = partner(collaboration, joined_days_ago=40)
    # Goals set long before the window: each expects reports over the whole window.
    monthly = goal(collaboration, cadence=SharedGoal.Cadence.MONTHLY)
    quarterly = goal(collaboration, cadence=SharedGoal.Cadence.QUARTERLY)
    yearly = goal(collaboration, cadence=SharedGoal.Cadence.YEARLY)

    def report(goal, days_before_scan, organisation=reporter.organisation):
        factories.MeasurementFactory(
            goal=goal,
            reported_by_organisation=organisation,
            reported_at=days_before(days_before_scan),
            period_end=SCAN - dt.timedelta(days=days_before_scan),
        )

    for days in (5, 35, 65, 80):  # four monthly reports: capped at the three expected
        report(monthly, days)
    report(yearly, 20)  # a yearly goal expects nothing in 91 days: not counted
    report(monthly, 95)  # before the window
    report(quarterly, 10, organisation=newcomer.organisation)  # the newcomer's, not the reporter's

    engagement_scan(scan_date=SCAN)

    # A period's report is due 21 days after it ends. The monthly goal looks back over the
    # 90-day window: 91 days covered less the 21 days' grace = 70, 70 // 30 = 2 expected. The
    # quarterly one looks back one quarter and the grace (112 days): 92 // 91 = 1. The yearly
    # one back to the day the reporter joined (200 days): 180 // 365 = 0.
    # Reporter: 2 of 3 made (its four monthly reports capped at 2); 100 - 15 x 1/3 = 95.
    s = snapshot(reporter)
    assert (s.reports_expected, s.reports_missing) == (3, 1)
    assert s.score == 95
    assert s.reasons == ["1 of 3 goal reports missing"]
    # Newcomer: 41 days covered less the grace = 20: nothing is due from it yet, and its
    # quarterly report makes up for nothing.
    s = snapshot(newcomer)
    assert (s.reports_expected, s.reports_missing, s.score) == (0, 0, 100)
    assert s.reasons == []

    # The yearly goal expects nothing yet, and the reporter's yearly report makes up for
    # nothing: without that goal, the same figures. The missing report is the quarterly one:
    # without that goal, the reporter is complete (2 of 2) and the newcomer unchanged.
    yearly.delete()
    engagement_scan(scan_date=SCAN)
    assert (snapshot(reporter).reports_expected, snapshot(reporter).reports_missing) == (3, 1)
    quarterly.delete()
    engagement_scan(scan_date=SCAN)
    s = snapshot(reporter)
    assert (s.reports_expected, s.reports_missing, s.score, s.reasons) == (2, 0, 100, [])
    assert (snapshot(newcomer).reports_expected, snapshot(newcomer).score) == (0, 100)


def test_a_goal_expects_reports_only_from_the_day_it_was_set(collaboration):
    """Expected reports are counted from the latest of the window's start, the day the partner
    joined and the day the goal was set (docs/engagement.md), for every partner alike."""
    veteran = partner(collaboration, joined_days_ago=200)
    newcomer = partner(collaboration, joined_days_ago=20)
    # A monthly goal set 85 days before the scan: 86 days covered (both ends), less the 21
    # days' grace for the latest report: 65 // 30 = 2 reports expected of the veteran; the
    # newcomer, 21 days in, owes none yet.
    mid_window = goal(collaboration, set_days_before_scan=85, cadence=SharedGoal.Cadence.MONTHLY)
    # A quarterly goal set 85 days before: 65 // 91 = 0, nothing expected of anyone.
    goal(collaboration, set_days_before_scan=85, cadence=SharedGoal.Cadence.QUARTERLY)
    # A monthly goal set on the scan day itself: 1 day covered, nothing expected.
    goal(collaboration, set_days_before_scan=0, cadence=SharedGoal.Cadence.MONTHLY)
    # A monthly goal set only after the scan date: nothing.
    goal(collaboration, set_days_before_scan=-10, cadence=SharedGoal.Cadence.MONTHLY)
    factories.MeasurementFactory(
        goal=mid_window,
        reported_by_organisation=veteran.organisation,
        reported_at=days_before(20),
        period_end=SCAN - dt.timedelta(days=25),
    )

    engagement_scan(scan_date=SCAN)

    # Veteran: 1 of 2 made; reporting 1/2; 100 - 15 x 1/2 = 92.5 -> 93 (halves up).
    s = snapshot(veteran)
    assert (s.reports_expected, s.reports_missing) == (2, 1)
    assert (s.score, s.reasons) == (93, ["1 of 2 goal reports missing"])
    assert s.components["reporting"] == {"value": 0.5, "weight": 15}
    s = snapshot(newcomer)
    assert (s.reports_expected, s.reports_missing, s.score, s.reasons) == (0, 0, 100, [])


def test_a_goal_added_today_costs_nobody_anything(collaboration):
    """The miscalibration this guards against: a monthly goal added on the scan day used to
    expect three reports of every partner at once."""
    partners = [partner(collaboration, joined_days_ago=300) for _ in range(3)]
    goal(collaboration, set_days_before_scan=0, cadence=SharedGoal.Cadence.MONTHLY)
    engagement_scan(scan_date=SCAN)
    for participation in partners:
        s = snapshot(participation)
        assert (s.reports_expected, s.score, s.band, s.reasons) == (0, 100, "engaged", [])


def test_recency(collaboration):
    recent = partner(collaboration, active_on_scan_day=False)
    factories.ActivityFactory(participation=recent, occurred_at=days_before(15))
    factories.ActivityFactory(participation=recent, occurred_at=days_before(40))
    # After the scan date: not yet happened for this scan.
    factories.ActivityFactory(participation=recent, occurred_at=at(SCAN + dt.timedelta(days=3)))
    silent = partner(collaboration, active_on_scan_day=False)
    factories.ActivityFactory(participation=silent, occurred_at=days_before(75))
    never = partner(collaboration, joined_days_ago=30, active_on_scan_day=False)

    engagement_scan(scan_date=SCAN)

    # 15 days: 1 - 15/60 = 0.75 -> 100 - 20 x 0.25 = 95.
    assert (snapshot(recent).days_since_activity, snapshot(recent).score) == (15, 95)
    assert snapshot(recent).reasons == ["no activity in 15 days"]
    # 75 days: past the 60-day limit -> 0 -> 80.
    assert (snapshot(silent).days_since_activity, snapshot(silent).score) == (75, 80)
    # No activity at all: counted from joining, 30 days -> 0.5 -> 90.
    assert (snapshot(never).days_since_activity, snapshot(never).score) == (30, 90)


def test_signatures(collaboration):
    slow = partner(collaboration)
    prompt = partner(collaboration)

    def agreement(circulated_days_ago, status=Agreement.Status.CIRCULATING):
        return factories.AgreementFactory(
            collaboration=collaboration,
            status=status,
            circulated_on=SCAN - dt.timedelta(days=circulated_days_ago),
        )

    waiting = agreement(21)
    older = agreement(30)
    fresh = agreement(14)  # not more than 14 days: not yet counted
    in_force = agreement(60, Agreement.Status.IN_FORCE)
    for a in (waiting, older, fresh, in_force):
        factories.SignatoryFactory(agreement=a, organisation=slow.organisation)
    factories.SignatoryFactory(
        agreement=waiting,
        organisation=prompt.organisation,
        signed_at=at(SCAN - dt.timedelta(days=2)),
    )
    # Signed only after the scan date: still awaited on it.
    factories.SignatoryFactory(
        agreement=older, organisation=prompt.organisation, signed_at=at(SCAN + dt.timedelta(days=1))
    )

    engagement_scan(scan_date=SCAN)

    s = snapshot(slow)
    assert (s.signatures_pending, s.max_days_awaiting_signature, s.score) == (2, 30, 90)
    assert s.reasons == ["2 agreements awaiting signature, oldest 30 days"]
    s = snapshot(prompt)
    assert (s.signatures_pending, s.max_days_awaiting_signature, s.score) == (1, 30, 90)
    assert s.reasons == ["1 agreement awaiting signature for 30 days"]


def test_every_signal_together_with_a_collaboration_policy(collaboration):
    """Two collaborations with different windows in one batch: each partner is scored with its
    own collaboration's policy."""
    strict = factories.CollaborationFactory(commissioner=collaboration.commissioner)
    factories.EngagementPolicyFactory(
        collaboration=strict, window_days=30, inactivity_days=20, engaged_min=90, at_risk_min=50
    )
    default_partner = partner(collaboration, active_on_scan_day=False)
    strict_partner = partner(strict, active_on_scan_day=False)
    for participation in (default_partner, strict_partner):
        meeting_old = factories.MeetingFactory(
            collaboration=participation.collaboration, held_at=days_before(60)
        )
        meeting_new = factories.MeetingFactory(
            collaboration=participation.collaboration, held_at=days_before(10)
        )
        factories.AttendanceFactory(meeting=meeting_old, participation=participation)
        factories.AttendanceFactory(
            meeting=meeting_new, participation=participation, status=Attendance.Status.ABSENT
        )
        factories.ActivityFactory(participation=participation, occurred_at=days_before(10))

    engagement_scan(scan_date=SCAN)

    # Default policy (90 days): 2 meetings, 1 present -> 0.5; recency 1 - 10/60.
    # 100 - 30 x 0.5 - 20 x 10/60 = 100 - 15 - 3.33 = 81.67 -> 82, engaged.
    s = snapshot(default_partner)
    assert (s.meetings_held, s.score, s.band) == (2, 82, "engaged")
    # Strict policy (30 days, inactive after 20): the window holds only the meeting 10 days
    # before, so the component reads the latest 6 meetings since joining (one missed meeting is
    # noise, not a record): 2, 1 present -> 0.5; recency 1 - 10/20 = 0.5.
    # 100 - 15 - 10 = 75, at risk under engaged_min 90.
    s = snapshot(strict_partner)
    assert (s.meetings_held, s.score, s.band) == (2, 75, "at_risk")
    assert s.components["attendance"] == {"value": 0.5, "weight": 30}


def test_a_default_policy_row_replaces_the_model_defaults(collaboration):
    factories.EngagementPolicyFactory(collaboration=None, weight_signatures=0)
    slow = partner(collaboration)
    a = factories.AgreementFactory(
        collaboration=collaboration,
        status=Agreement.Status.CIRCULATING,
        circulated_on=SCAN - dt.timedelta(days=30),
    )
    factories.SignatoryFactory(agreement=a, organisation=slow.organisation)
    engagement_scan(scan_date=SCAN)
    # Signatures weigh nothing now: the pending signature costs no points and gives no reason.
    s = snapshot(slow)
    assert (s.signatures_pending, s.score, s.reasons) == (1, 100, [])
