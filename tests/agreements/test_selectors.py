"""The agreements selectors: who sees what, derived progress and overdue figures, and the audit
history as the pages show it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from agreements import history, selectors, services
from agreements.models import Collaboration, Participation, SharedGoal
from core.actors import PartnerPrincipal
from tests import factories

pytestmark = pytest.mark.django_db


def principal(organisation) -> PartnerPrincipal:
    token, _raw = factories.api_token(organisation)
    return PartnerPrincipal(token=token)


def test_a_partner_token_sees_only_collaborations_it_takes_part_in(
    collaboration, partner, outsider
):
    elsewhere = factories.CollaborationFactory()
    withdrawn_from = factories.CollaborationFactory()
    factories.ParticipationFactory(
        collaboration=withdrawn_from, organisation=partner, status=Participation.Status.WITHDRAWN
    )
    actor = principal(partner)
    assert set(selectors.collaboration_list_for(actor=actor)) == {collaboration, withdrawn_from}
    assert elsewhere not in selectors.collaboration_list_for(actor=actor)
    assert list(selectors.collaboration_list_for(actor=principal(outsider))) == []
    assert list(selectors.collaboration_list_for(actor=AnonymousUser())) == []


def test_children_follow_their_collaborations_scope(goal, partner, outsider, partner_obligation):
    factories.MeasurementFactory(goal=goal)
    other_goal = factories.SharedGoalFactory()
    factories.MeasurementFactory(goal=other_goal)
    actor = principal(partner)
    assert list(selectors.goal_list_for(actor=actor)) == [goal]
    assert {m.goal for m in selectors.measurement_list_for(actor=actor)} == {goal}
    assert list(selectors.obligation_list_for(actor=principal(outsider))) == []


def test_partners_act_only_on_their_own_obligations_and_signatures(
    collaboration, circulating, partner_obligation, lead, partner
):
    lead_actor = principal(lead)
    assert partner_obligation in selectors.obligation_list_for(actor=lead_actor)
    assert partner_obligation not in selectors.obligations_to_mark_met_for(actor=lead_actor)
    assert partner_obligation in selectors.obligations_to_mark_met_for(actor=principal(partner))
    unsigned_by_partner = factories.AgreementFactory(collaboration=collaboration)
    factories.SignatoryFactory(agreement=unsigned_by_partner, organisation=lead)
    assert list(selectors.agreements_to_sign_for(actor=principal(partner))) == [circulating]


@pytest.mark.parametrize(
    ("baseline", "target", "latest", "percent", "bar", "reached"),
    [
        ("100", "500", None, None, 0, False),
        ("100", "500", "100", 0, 0, False),
        ("100", "500", "300", 50, 50, False),
        ("100", "500", "650", 138, 100, True),
        ("100", "500", "20", -20, 0, False),
        # A target below the baseline (fewer emissions): progress is still toward it.
        ("900", "600", "750", 50, 50, False),
        ("900", "600", "600", 100, 100, True),
    ],
)
def test_progress_toward_the_target(baseline, target, latest, percent, bar, reached):
    goal = SharedGoal(baseline=Decimal(baseline), target=Decimal(target))
    goal.latest_value = Decimal(latest) if latest else None
    progress = selectors.goal_progress(goal)
    assert (progress.percent, progress.bar_percent, progress.reached) == (percent, bar, reached)


def test_the_latest_measurement_is_the_latest_period_not_the_latest_report(goal):
    today = timezone.localdate()
    factories.MeasurementFactory(goal=goal, value=400, period_end=today - dt.timedelta(days=10))
    factories.MeasurementFactory(goal=goal, value=150, period_end=today - dt.timedelta(days=90))
    annotated = selectors.goal_list_for(actor=factories.staff_user()).get(pk=goal.pk)
    assert annotated.latest_value == Decimal("400")
    assert annotated.measurement_count == 2
    assert selectors.goal_progress(annotated).percent == 75


def test_history_gathers_the_collaboration_and_everything_in_it(
    collaboration, goal, circulating, partner_obligation, lead_staff, partner
):
    services.collaboration_update(
        actor=lead_staff, collaboration=collaboration, summary="Weekend service added."
    )
    services.goal_update(actor=lead_staff, goal=goal, target=Decimal("600"))
    actor = principal(partner)
    services.measurement_report(actor=actor, goal=goal, value=250, period_end=timezone.localdate())
    services.agreement_sign(agreement=circulating, organisation=partner, actor=actor)
    services.obligation_mark_met(obligation=partner_obligation, actor=actor, evidence="EFT 9")

    entries = history.collaboration_history(collaboration=collaboration)
    subjects = [f"{e.subject} {e.action}" for e in entries]
    assert "Collaboration changed" in subjects
    assert "Goal: Riders per month changed" in subjects
    assert "Signatory: Town of Lakeside on Transit MOU changed" in subjects
    assert "Obligation: Lakeside's annual contribution (Town of Lakeside) changed" in subjects
    assert any(s.startswith("Measurement: Riders per month, period ending") for s in subjects)

    by_subject = {f"{e.subject} {e.action}": e for e in entries}
    summary = by_subject["Collaboration changed"]
    assert summary.user == lead_staff
    assert [(c.label, c.new) for c in summary.changes] == [
        ("summary (English)", "Weekend service added.")
    ]
    target = by_subject["Goal: Riders per month changed"].changes
    assert [(c.label, c.old, c.new) for c in target] == [("target", "500.00", "600.00")]
    met = by_subject["Obligation: Lakeside's annual contribution (Town of Lakeside) changed"]
    assert met.user is None
    assert met.reason == f"marked met; via API token {actor.token.prefix}"
    assert {c.label for c in met.changes} >= {"status", "met at", "evidence"}
    assert entries == sorted(entries, key=lambda e: e.date, reverse=True)


def test_a_long_history_shows_the_newest_changes_of_all_sources_and_skips_empty_saves(
    collaboration, goal, lead_staff
):
    """Only the newest `limit` entries are shown, whichever of the collaboration's records they
    come from; each change still says what it changed, against the record just before it of the
    same row, and a save that changed nothing visible is no entry and does not take a place."""
    for number in range(1, 8):
        services.collaboration_update(
            actor=lead_staff, collaboration=collaboration, summary=f"Summary {number}"
        )
        services.goal_update(actor=lead_staff, goal=goal, target=Decimal(500 + number))
        collaboration.save()  # nothing a person would notice: no entry
    entries = history.collaboration_history(collaboration=collaboration, limit=5)
    assert [(e.subject, [(c.old, c.new) for c in e.changes]) for e in entries] == [
        ("Goal: Riders per month", [("506.00", "507.00")]),
        ("Collaboration", [("Summary 6", "Summary 7")]),
        ("Goal: Riders per month", [("505.00", "506.00")]),
        ("Collaboration", [("Summary 5", "Summary 6")]),
        ("Goal: Riders per month", [("504.00", "505.00")]),
    ]


def test_history_of_a_goal_and_of_an_agreement(goal, circulating, lead_staff, lead):
    factories.SharedGoalFactory(collaboration=goal.collaboration, title="Other goal")
    services.goal_update(actor=lead_staff, goal=goal, title="Riders each month")
    services.agreement_sign(agreement=circulating, organisation=lead, actor=lead_staff)
    goal_subjects = {e.subject for e in history.goal_history(goal=goal)}
    assert goal_subjects == {"Goal: Riders per month", "Goal: Riders each month"}
    agreement_subjects = {e.subject for e in history.agreement_history(agreement=circulating)}
    assert "Signatory: City of Riverton on Transit MOU" in agreement_subjects


def _walk_history(collaboration, size):
    """Every page of the whole history, following each page's link to the older one."""
    pages, before = [], None
    while True:
        entries, before = history.collaboration_history_page(
            collaboration=collaboration, before=before, size=size
        )
        pages.append(entries)
        if before is None:
            return pages
        assert len(pages) < 100, "the pages never end"


def _changes(entries):
    return [(e.date, e.subject, [(c.old, c.new) for c in e.changes]) for e in entries]


def test_the_whole_history_pages_newest_first_with_no_change_lost_or_repeated(
    collaboration, goal, lead_staff
):
    for number in range(1, 8):
        services.collaboration_update(
            actor=lead_staff, collaboration=collaboration, summary=f"Summary {number}"
        )
        services.goal_update(actor=lead_staff, goal=goal, target=Decimal(500 + number))
    everything = history.collaboration_history(collaboration=collaboration, limit=1000)
    assert len(everything) >= 16

    pages = _walk_history(collaboration, size=5)

    assert [len(p) for p in pages[:-1]] == [5] * (len(pages) - 1)
    assert _changes([e for p in pages for e in p]) == _changes(everything)


def test_changes_made_at_one_instant_stay_on_one_page(collaboration, goal, lead_staff):
    for number in range(1, 4):
        services.collaboration_update(
            actor=lead_staff, collaboration=collaboration, summary=f"Summary {number}"
        )
        services.goal_update(actor=lead_staff, goal=goal, target=Decimal(500 + number))
    # Four changes (two of each row) recorded at one instant, as one transaction's saves may be.
    instant = timezone.now() + dt.timedelta(hours=1)
    for model, pk in ((Collaboration, collaboration.pk), (SharedGoal, goal.pk)):
        newest = model.history.filter(id=pk).order_by("-history_date")[:2]
        model.history.filter(history_id__in=[r.history_id for r in newest]).update(
            history_date=instant
        )

    first, older = history.collaboration_history_page(collaboration=collaboration, size=3)

    assert [e.date for e in first] == [instant] * 4
    assert older == instant
    rest, _ = history.collaboration_history_page(collaboration=collaboration, before=older, size=50)
    assert all(e.date < instant for e in rest)
    everything = history.collaboration_history(collaboration=collaboration, limit=1000)
    assert len(first) + len(rest) == len(everything)


def test_a_source_cut_at_the_read_limit_is_not_skipped_by_the_next_page(
    collaboration, goal, lead_staff, monkeypatch
):
    """Each source reads at most HISTORY_LIMIT records a page: when one is cut, nothing older than
    its oldest record read is shown yet, so the other sources' older changes cannot carry the
    next page past the records it has not read."""
    from core import history as core_history

    for number in range(1, 7):
        services.collaboration_update(
            actor=lead_staff, collaboration=collaboration, summary=f"Summary {number}"
        )
    for number in range(1, 4):
        services.goal_update(actor=lead_staff, goal=goal, target=Decimal(500 + number))
    everything = history.collaboration_history(collaboration=collaboration, limit=1000)
    monkeypatch.setattr(core_history, "HISTORY_LIMIT", 3)

    pages = _walk_history(collaboration, size=50)

    assert len(pages) > 1
    assert _changes([e for p in pages for e in p]) == _changes(everything)
