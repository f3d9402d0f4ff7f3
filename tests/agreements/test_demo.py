"""The demo collaborations: one of each structure, active and valid, with a year of measurements,
agreements in force and one awaiting a signature, obligations met, overdue and due soon; and a
second run changes nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from agreements import demo
from agreements.models import (
    Agreement,
    Collaboration,
    Measurement,
    Obligation,
    Participation,
    SharedGoal,
    Signatory,
    Structure,
)
from agreements.selectors import with_overdue
from agreements.structures import structure_problems
from commissioner.models import Activity
from partners import demo as partners_demo

pytestmark = pytest.mark.django_db


def counts():
    return [
        model.objects.count()
        for model in (
            Collaboration,
            Participation,
            SharedGoal,
            Measurement,
            Agreement,
            Signatory,
            Obligation,
            Activity,
        )
    ] + [Collaboration.history.count(), Obligation.history.count()]


@pytest.fixture
def seeded():
    partners_demo.seed()
    demo.seed()


def test_one_active_valid_collaboration_of_each_structure(seeded):
    collaborations = list(
        Collaboration.objects.filter(status=Collaboration.Status.ACTIVE).select_related(
            "commissioner"
        )
    )
    assert sorted(c.structure for c in collaborations) == sorted(Structure.values)
    for collaboration in collaborations:
        assert collaboration.status == Collaboration.Status.ACTIVE
        assert structure_problems(collaboration) == [], collaboration.title
        assert collaboration.commissioner.username == "commissioner"
    assert Collaboration.objects.filter(
        title="Northern Valley Regional Transit Consortium"
    ).exists()


def test_bilingual_and_french_only_collaborations(seeded):
    """The coast's partnership has both versions; Beaulac's consortium, still forming, is
    written in French only (an English reader sees it marked as French)."""
    coast = Collaboration.objects.get(slug="coastal-watershed-partnership")
    assert coast.title_en == "Coastal Watershed Stewardship Partnership"
    assert coast.title_fr == "Partenariat d'intendance du bassin versant côtier"
    assert all(goal.title_fr and goal.indicator_fr for goal in coast.goals.all())
    fire = Collaboration.objects.get(slug="securite-incendie-de-la-baie")
    assert fire.status == Collaboration.Status.FORMING
    assert (fire.title_en, fire.summary_en, fire.shared_vision_en) == ("", "", "")
    assert fire.title_fr and fire.summary_fr and fire.shared_vision_fr
    assert fire.lead_organisation.slug == "beaulac"
    assert structure_problems(fire) == []
    # Its original column holds the French title, for what reads it without a language.
    raw = Collaboration.objects.rewrite(False).filter(pk=fire.pk).values_list("title", flat=True)
    assert raw.get() == fire.title_fr


def test_goals_have_a_year_of_measurements(seeded):
    today = timezone.localdate()
    for goal in SharedGoal.objects.filter(collaboration__status=Collaboration.Status.ACTIVE):
        periods = list(goal.measurements.values_list("period_end", flat=True))
        assert len(periods) >= 4, goal.title
        assert max(periods) <= today
        assert min(periods) >= today - dt.timedelta(days=370)


def test_agreements_obligations_and_signs_of_life(seeded):
    assert Agreement.objects.filter(status=Agreement.Status.IN_FORCE).count() >= 5
    waiting = Agreement.objects.get(status=Agreement.Status.CIRCULATING)
    assert waiting.signatories.filter(signed_at__isnull=True).count() == 1
    assert waiting.signatories.filter(signed_at__isnull=False).exists()
    obligations = with_overdue(Obligation.objects.all())
    today = timezone.localdate()
    assert obligations.filter(status=Obligation.Status.MET).count() >= 3
    assert obligations.filter(overdue=True).count() >= 3
    assert (
        obligations.filter(
            status=Obligation.Status.PENDING,
            due_date__gte=today,
            due_date__lte=today + dt.timedelta(days=14),
        ).count()
        >= 3
    )
    kinds = set(Activity.objects.values_list("kind", flat=True))
    assert {
        Activity.Kind.MEASUREMENT_REPORTED,
        Activity.Kind.OBLIGATION_MET,
        Activity.Kind.AGREEMENT_SIGNED,
    } <= kinds


def test_the_demo_staff_users_have_collaborations_to_work_on(seeded):
    riverton = Collaboration.objects.filter(lead_organisation__slug="riverton")
    assert riverton.exists(), "staff (Riverton) manages at least one collaboration"
    assert Participation.objects.filter(organisation__slug="lakeside").count() >= 2


def test_seeding_twice_changes_nothing(seeded):
    first = counts()
    assert demo.seed().startswith("0 collaborations created")
    assert counts() == first


def test_without_the_partners_demo_nothing_is_created():
    assert "skipped" in demo.seed()
    assert not Collaboration.objects.exists()


def test_the_demo_content_is_read_from_its_data_file(tmp_path):
    """demo_data.json holds the specs' fields by name and the choices as their stored values;
    the loader turns them back into the choices and refuses a field the specs do not have."""
    coast = next(spec for spec in demo.load() if spec.slug == "coastal-watershed-partnership")
    assert coast.structure is Structure.COLLABORATIVE_PARTNERSHIP
    assert coast.members[0] == ("cwc", "convenor")
    assert coast.goals[0].cadence is SharedGoal.Cadence.QUARTERLY
    assert coast.agreements[1].signatories == ("eastport", "hillcrest", "uwest")
    assert coast.obligations[0].unit is Obligation.Unit.DOLLARS
    assert coast.obligations[2].agreement == 1
    assert [spec.slug for spec in demo.load()] == [spec.slug for spec in demo.COLLABORATIONS]

    typo = tmp_path / "demo_data.json"
    typo.write_text(
        '[{"slug": "x", "title": "X", "structure": "mutual", "summary": "",'
        ' "vision": "", "members": [], "colour": "red"}]'
    )
    with pytest.raises(TypeError, match="colour"):
        demo.load(typo)
