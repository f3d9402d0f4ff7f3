"""Who reads what of the commissioner's data (docs/permissions.md), and what the dashboard
selectors put together."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone

from agreements.models import Collaboration
from commissioner import selectors
from commissioner.models import Flag
from commissioner.services import portfolio_summary_refresh
from core.actors import PartnerPrincipal
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_partners(collaboration):
    mine = factories.ParticipationFactory(collaboration=collaboration)
    theirs = factories.ParticipationFactory(collaboration=collaboration)
    return mine, theirs


def partner_of(organisation):
    return PartnerPrincipal(token=factories.api_token(organisation)[0])


def test_snapshots_are_private_to_their_organisation(two_partners, commissioner, administrator):
    mine, theirs = two_partners
    own = factories.EngagementSnapshotFactory(participation=mine)
    other = factories.EngagementSnapshotFactory(participation=theirs)
    for actor in (partner_of(mine.organisation), factories.staff_user(mine.organisation)):
        assert list(selectors.snapshot_list_for(actor=actor)) == [own]
    for actor in (commissioner, administrator):
        assert set(selectors.snapshot_list_for(actor=actor)) == {own, other}
    staff_elsewhere = factories.staff_user(factories.OrganisationFactory())
    assert not selectors.snapshot_list_for(actor=staff_elsewhere).exists()
    assert not selectors.snapshot_list_for(actor=AnonymousUser()).exists()


def test_flags_and_interventions_are_for_commissioners_only(two_partners, commissioner):
    mine, _theirs = two_partners
    flag = factories.FlagFactory(participation=mine)
    factories.InterventionFactory(flag=flag)
    for actor in (partner_of(mine.organisation), factories.staff_user(mine.organisation)):
        assert not selectors.flag_list_for(actor=actor).exists()
        assert not selectors.intervention_list_for(actor=actor).exists()
        with pytest.raises(Http404):
            selectors.flag_get_for(actor=actor, pk=flag.pk)
    listed = selectors.flag_list_for(actor=commissioner).get()
    assert (listed, listed.intervention_count, listed.open_intervention_count) == (flag, 1, 1)


def test_meetings_a_partner_reads_and_those_it_may_confirm(two_partners):
    mine, _theirs = two_partners
    meeting = factories.MeetingFactory(collaboration=mine.collaboration)
    factories.MeetingFactory()
    partner = partner_of(mine.organisation)
    assert list(selectors.meeting_list_for(actor=partner)) == [meeting]
    assert list(selectors.meetings_to_confirm_for(actor=partner)) == [meeting]
    mine.status = "withdrawn"
    mine.save()
    assert list(selectors.meeting_list_for(actor=partner)) == [meeting]
    assert not selectors.meetings_to_confirm_for(actor=partner).exists()


def test_the_portfolio_counts_partners_on_the_latest_scan(collaboration, commissioner):
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    partners = [factories.ParticipationFactory(collaboration=collaboration) for _ in range(3)]
    for participation, band in zip(partners, ["engaged", "at_risk", "disengaged"], strict=True):
        factories.EngagementSnapshotFactory(participation=participation, scan_date=today, band=band)
        factories.EngagementSnapshotFactory(
            participation=participation, scan_date=yesterday, band="engaged"
        )
    withdrawn = factories.ParticipationFactory(collaboration=collaboration, status="withdrawn")
    factories.EngagementSnapshotFactory(participation=withdrawn, scan_date=today, band="at_risk")
    factories.FlagFactory(participation=partners[2])
    # A withdrawn partner's flag left open (before any scan closed it) is not counted.
    factories.FlagFactory(participation=withdrawn)
    factories.ObligationFactory(collaboration=collaboration, due_date=today + dt.timedelta(days=9))
    factories.ObligationFactory(collaboration=collaboration, due_date=today + dt.timedelta(days=3))

    # What the scan of today writes when it finishes; the portfolio reads it.
    portfolio_summary_refresh(scan_date=today)
    assert selectors.portfolio_scope(actor=commissioner, requested=None) == "mine"
    portfolio = selectors.portfolio_for(actor=commissioner, scope="mine")
    assert portfolio.latest_scan == today
    assert portfolio.band_counts == {
        "too_early": 0,
        "engaged": 1,
        "drifting": 0,
        "at_risk": 1,
        "disengaged": 1,
    }
    (row,) = portfolio.collaborations[0:5]
    assert selectors.worst_band(row.worst_rank) == "disengaged"
    assert (row.open_flags, row.partner_count) == (1, 3)
    assert row.next_deadline == today + dt.timedelta(days=3)


def test_the_portfolio_lists_the_open_flags_in_scope_the_worst_first(collaboration, commissioner):
    today = timezone.localdate()

    def flag(name, band, score, *, days_ago=0, status="open", partner="active", **where):
        return factories.FlagFactory(
            participation=factories.ParticipationFactory(
                organisation=factories.OrganisationFactory(name=name),
                collaboration=where.get("collaboration", collaboration),
                status=partner,
            ),
            band=band,
            score=score,
            status=status,
            raised_on=today - dt.timedelta(days=days_ago),
        )

    older_at_risk = flag("Older at risk", "at_risk", 45, days_ago=9)
    newer_at_risk = flag("Newer at risk", "at_risk", 45, status="acknowledged")
    low_at_risk = flag("Low at risk", "at_risk", 41)
    disengaged = flag("Disengaged", "disengaged", 30)
    # Not open, a partner that withdrew, a collaboration that ended: none of the dashboard's
    # business.
    flag("Resolved", "disengaged", 10, status="resolved")
    flag("Withdrawn", "disengaged", 10, partner="withdrawn")
    ended = factories.CollaborationFactory(commissioner=commissioner, status="concluded")
    flag("Ended", "disengaged", 10, collaboration=ended)
    someone_elses = flag(
        "Elsewhere", "disengaged", 5, collaboration=factories.CollaborationFactory()
    )

    mine = selectors.portfolio_for(actor=commissioner, scope="mine")
    assert mine.flags == [disengaged, low_at_risk, newer_at_risk, older_at_risk]
    assert (mine.flag_count, mine.more_flags) == (4, False)
    assert mine.flags[0].participation.organisation.name == "Disengaged"

    everyone = selectors.portfolio_for(actor=commissioner, scope="all")
    assert everyone.flags[0] == someone_elses
    assert everyone.flag_count == 5

    ours = Collaboration.objects.filter(pk=collaboration.pk)
    assert selectors.portfolio_worst_flags(actor=commissioner, collaborations=ours, limit=2) == [
        disengaged,
        low_at_risk,
    ]
    assert selectors.portfolio_flag_total(actor=commissioner, collaborations=ours) == 4
    staff = factories.staff_user(factories.OrganisationFactory())
    assert selectors.portfolio_worst_flags(actor=staff, collaborations=ours) == []
    assert selectors.portfolio_flag_total(actor=staff, collaborations=ours) == 0


def test_a_commissioner_without_collaborations_starts_on_all_of_them(collaboration):
    newcomer = factories.CommissionerFactory()
    assert selectors.portfolio_scope(actor=newcomer, requested=None) == "all"
    assert selectors.portfolio_scope(actor=newcomer, requested="mine") == "mine"


def test_the_trend_samples_by_week_beyond_sixteen_scans(collaboration):
    participation = factories.ParticipationFactory(collaboration=collaboration)
    today = timezone.localdate()
    for days in range(30):
        factories.EngagementSnapshotFactory(
            participation=participation, scan_date=today - dt.timedelta(days=days), score=days
        )
    health = selectors.collaboration_health(collaboration=collaboration)
    labels = [dt.date.fromisoformat(label) for label in health.trend["labels"]]
    assert 4 <= len(labels) <= 6
    # Each week shows its last scan, labelled with that scan's date: a Sunday for every week
    # but the current one, whose last scan is today's (score 0).
    assert all(day.weekday() == 6 for day in labels[:-1])
    assert labels[-1] == today
    scores = health.trend["datasets"][0]["data"]
    assert scores == [(today - day).days for day in labels]
    assert health.partners[0].snapshot.scan_date == today


def test_the_health_page_shows_the_same_goal_progress_as_the_collaboration_page(collaboration):
    """One derivation of progress (agreements.selectors.goal_progress), so both pages agree even
    where rounding is delicate: (29.90 - 0) / (2000 - 0) = 1.495%, which the goal page shows as
    2% (the ratio is kept to four places, 0.0150)."""
    from agreements.selectors import goal_progress

    goal = factories.SharedGoalFactory(collaboration=collaboration, baseline=0, target=2000)
    factories.MeasurementFactory(goal=goal, value="29.90")
    row = selectors.collaboration_health(collaboration=collaboration).goals[0]
    assert row.goal == goal
    assert (row.percent, row.bar_percent) == (2, 2)
    assert row.percent == goal_progress(goal, row.latest_value).percent


def test_the_portfolio_pages_the_summary_then_collaborations_created_since(commissioner):
    from commissioner.services import portfolio_summary_refresh

    today = timezone.localdate()
    worst, calm = (
        factories.CollaborationFactory(commissioner=commissioner, title=title)
        for title in ("Worst", "Calm")
    )
    for collaboration, band, score in ((worst, "disengaged", 20), (calm, "engaged", 90)):
        factories.EngagementSnapshotFactory(
            participation=factories.ParticipationFactory(collaboration=collaboration),
            scan_date=today,
            band=band,
            score=score,
        )
    portfolio_summary_refresh(scan_date=today)
    newer = factories.CollaborationFactory(commissioner=commissioner, title="Aardvark (new)")
    factories.ParticipationFactory(collaboration=newer)
    rows = selectors.portfolio_for(actor=commissioner, scope="mine").collaborations
    assert rows.count() == 3
    assert [c.title for c in rows[0:3]] == ["Worst", "Calm", "Aardvark (new)"]
    assert [c.title for c in rows[1:2]] == ["Calm"]
    assert [(c.title, c.worst_rank, c.partner_count) for c in rows[2:3]] == [
        ("Aardvark (new)", 0, 1)
    ]


def test_the_portfolio_counts_open_flags_up_to_a_cap(collaboration, commissioner, monkeypatch):
    """Past the cap the total is not counted to the unit: "more than" the cap."""
    monkeypatch.setattr(selectors, "FLAG_COUNT_CAP", 3)
    for n in range(12):
        factories.FlagFactory(
            participation=factories.ParticipationFactory(collaboration=collaboration),
            band="at_risk",
            score=40 + n,
        )
    ours = Collaboration.objects.filter(pk=collaboration.pk)
    flags = selectors.portfolio_worst_flags(actor=commissioner, collaborations=ours, limit=2)
    total = selectors.portfolio_flag_total(actor=commissioner, collaborations=ours)
    assert ([f.score for f in flags], total) == ([40, 41], 4)
    portfolio = selectors.portfolio_for(actor=commissioner, scope="mine")
    assert (len(portfolio.flags), portfolio.flag_count, portfolio.flag_count_capped) == (
        10,
        4,
        True,
    )
    monkeypatch.setattr(selectors, "FLAG_COUNT_CAP", 20)
    portfolio = selectors.portfolio_for(actor=commissioner, scope="mine")
    assert (portfolio.flag_count, portfolio.flag_count_capped) == (12, False)


def test_the_national_portfolio_keeps_its_totals_for_a_minute_until_the_data_changes(
    collaboration, commissioner
):
    """The administrators' "all" view: the partners by state, the collaborations and the open
    flags counted over the whole country are kept per (latest scan, data version) for a
    minute; a collaboration recorded since is counted at once, the worst flags are always
    read afresh."""
    today = timezone.localdate()
    participation = factories.ParticipationFactory(collaboration=collaboration)
    factories.EngagementSnapshotFactory(
        participation=participation, scan_date=today, band="at_risk", score=50
    )
    portfolio_summary_refresh(scan_date=today)
    flags = [
        factories.FlagFactory(
            participation=factories.ParticipationFactory(collaboration=collaboration), score=s
        )
        for s in range(40, 52)
    ]
    first = selectors.portfolio_for(actor=commissioner, scope="all")
    assert (first.band_counts["at_risk"], first.collaborations.count(), first.flag_count) == (
        1,
        1,
        12,
    )
    # Two flags resolved: the worst list is read afresh, the total kept (at most a minute).
    for flag in flags[:2]:
        Flag.objects.filter(pk=flag.pk).update(status=Flag.Status.RESOLVED)
    kept = selectors.portfolio_for(actor=commissioner, scope="all")
    assert [f.score for f in kept.flags][:2] == [42, 43]
    assert kept.flag_count == 12
    # "Mine" is always counted afresh.
    assert selectors.portfolio_for(actor=commissioner, scope="mine").flag_count == 10
    # A collaboration recorded since changes the data version: everything is counted again.
    factories.CollaborationFactory(commissioner=commissioner)
    fresh = selectors.portfolio_for(actor=commissioner, scope="all")
    assert (fresh.collaborations.count(), fresh.flag_count) == (2, 10)
