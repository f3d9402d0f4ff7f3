"""The survey's demo story: two completed rounds and one open in one collaboration, one partner
diverging on trust in the latest completed round; a second seed changes nothing."""

from types import SimpleNamespace

import pytest
from django.utils import timezone

from commissioner.models import SurveyResponse, SurveyRound
from commissioner.survey import demo, selectors
from commissioner.survey.signals import read_survey, survey_reasons
from tests import factories
from tests.commissioner.survey_helpers import collaboration_with_partners, day_of

pytestmark = pytest.mark.django_db


def test_the_demo_story(commissioner):
    collaboration, partners = collaboration_with_partners(4, commissioner=commissioner)
    summary = demo.seed()
    assert "3 survey rounds" in summary
    today = timezone.localdate()
    rounds = list(SurveyRound.objects.filter(collaboration=collaboration).order_by("opened_on"))
    assert [r.closes_on < today for r in rounds] == [True, True, False]
    assert SurveyResponse.objects.filter(round=rounds[2], submitted_at__isnull=False).count() == 1
    assert SurveyResponse.objects.filter(round=rounds[2], submitted_at__isnull=True).count() == 1

    results = selectors.round_results(survey_round=rounds[1], actor=commissioner)
    trust = next(p for p in results.principles if p.code == "trust")
    assert len(trust.divergent_names) == 1
    diverging_name = trust.divergent_names[0]
    assert diverging_name in summary
    earlier = selectors.round_results(survey_round=rounds[0], actor=commissioner)
    assert next(p for p in earlier.principles if p.code == "trust").divergent_names == []

    diverging = next(p for p in partners if p.organisation.name == diverging_name)
    row = SimpleNamespace(
        pk=diverging.pk,
        collaboration_id=collaboration.pk,
        organisation_id=diverging.organisation_id,
    )
    figures = read_survey([row], day_of(today))[diverging.pk]
    assert "trust" in figures["divergent_principles"]
    assert any(reason.startswith("rated trust") for reason in survey_reasons(figures))

    assert demo.seed() == "demo survey already loaded"
    assert SurveyRound.objects.filter(collaboration=collaboration).count() == 3


def test_no_collaboration_no_survey(db):
    factories.CollaborationFactory()
    assert "no survey" in demo.seed()
    assert not SurveyRound.objects.exists()
