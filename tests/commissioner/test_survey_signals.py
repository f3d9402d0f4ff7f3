"""The survey's figures for the early warning (commissioner.survey.signals): read_survey as known
at the end of the scan date, with figures computed by hand, and the reasons it yields."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from commissioner.survey.services import DONT_KNOW
from commissioner.survey.signals import read_survey, survey_reasons
from tests.commissioner.survey_helpers import (
    answer,
    closed_round,
    collaboration_with_partners,
    day_of,
    invite,
)

pytestmark = pytest.mark.django_db

SCAN = dt.date(2026, 3, 31)
DK = DONT_KNOW


def noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def rows_of(participations):
    return [
        SimpleNamespace(
            pk=p.pk, collaboration_id=p.collaboration_id, organisation_id=p.organisation_id
        )
        for p in participations
    ]


@pytest.fixture
def story():
    """Partners A, B, C, D. January round: A and D answer (C invited, silent; B not invited).
    March round (closes 20 March): A, B and C answer, D is invited and does not (it submits on
    2 April, after the scan day: data the scan of 31 March cannot know)."""
    collaboration, (a, b, c, d) = collaboration_with_partners(4)
    january = closed_round(
        collaboration, opened_on=dt.date(2026, 1, 5), closes_on=dt.date(2026, 1, 31)
    )
    answer(january, a, {"trust": 4, "commitment": 4})
    answer(january, d, {"trust": 3, "commitment": [2, 2, 3, 3]})
    invite(january, c)
    march = closed_round(
        collaboration, opened_on=dt.date(2026, 3, 2), closes_on=dt.date(2026, 3, 20)
    )
    # A: trust 2.0, commitment 3.0, purpose 5.0, need 4.0
    answer(march, a, {"trust": 2, "commitment": 3, "purpose": 5, "need": 4})
    # B: trust 4.0, commitment 4.0, purpose (4+4+3+3)/4 = 3.5, need 4.0
    answer(march, b, {"trust": 4, "commitment": 4, "purpose": [4, 4, 3, 3], "need": 4})
    # C: trust (5+4+4)/3 = 13/3 ("don't know" counts for nothing), commitment 4.5, purpose 3.5
    answer(
        march,
        c,
        {"trust": [5, 4, 4, DK], "commitment": [4, 5, 4, 5], "purpose": [3, 4, 3, 4], "need": 4},
        submitted_at=noon(dt.date(2026, 3, 20)),
    )
    invite(march, d)
    answer(march, d, {"trust": 1}, submitted_at=noon(dt.date(2026, 4, 2)))
    return SimpleNamespace(
        collaboration=collaboration, a=a, b=b, c=c, d=d, january=january, march=march
    )


def test_figures_by_hand(story):
    figures = read_survey(rows_of([story.a, story.b, story.c, story.d]), day_of(SCAN))
    a = figures[story.a.pk]
    assert a["last_round_closed_on"] == dt.date(2026, 3, 20)
    assert a["answered_last_round"] is True
    assert a["trust"] == 2.0
    # The others: B 4.0 and C 13/3 -> 25/6 = 4.1666...
    assert a["others_trust"] == 4.17
    assert a["commitment"] == 3.0
    # B 4.0 and C 4.5
    assert a["others_commitment"] == 4.25
    # purpose: 5.0 against (3.5 + 3.5) / 2 = 3.5, exactly 1.5 apart: divergent (the boundary);
    # trust 2.0 against 4.17; commitment 1.25 apart and need 0 apart are not. Instrument order.
    assert a["divergent_principles"] == ["purpose", "trust"]

    b = figures[story.b.pk]
    # B 4.0 against (2 + 13/3) / 2 = 19/6: 0.83 apart
    assert (b["trust"], b["others_trust"]) == (4.0, 3.17)
    assert b["divergent_principles"] == []

    c = figures[story.c.pk]
    assert (c["trust"], c["others_trust"]) == (4.33, 3.0)
    assert c["commitment"] == 4.5
    assert c["divergent_principles"] == []


def test_a_partner_that_did_not_answer_the_last_round_is_read_from_the_one_it_answered(story):
    figures = read_survey(rows_of([story.d]), day_of(SCAN))[story.d.pk]
    assert figures["last_round_closed_on"] == dt.date(2026, 3, 20)
    # Its March response came in on 2 April: after the scan day, so unknown to it.
    assert figures["answered_last_round"] is False
    assert figures["answered_round_closed_on"] == dt.date(2026, 1, 31)
    assert figures["trust"] == 3.0
    assert figures["others_trust"] == 4.0  # A alone answered in January
    assert figures["commitment"] == 2.5
    assert figures["others_commitment"] == 4.0
    assert figures["divergent_principles"] == ["commitment"]


def test_as_of_the_scan_date(story):
    # The day before the March round closes: it is not closed yet, January is the last round.
    before_close = read_survey(rows_of([story.a, story.c]), day_of(dt.date(2026, 3, 19)))
    assert before_close[story.a.pk]["last_round_closed_on"] == dt.date(2026, 1, 31)
    assert before_close[story.a.pk]["trust"] == 4.0
    assert before_close[story.c.pk]["answered_last_round"] is False
    assert before_close[story.c.pk]["trust"] is None
    # On the closing date itself the round counts, and C's answer of that day with it.
    on_close = read_survey(rows_of([story.c]), day_of(dt.date(2026, 3, 20)))[story.c.pk]
    assert on_close["answered_last_round"] is True
    # Once D's late answer is known (after 2 April), D answered the March round.
    later = read_survey(rows_of([story.d]), day_of(dt.date(2026, 4, 2)))[story.d.pk]
    assert later["answered_last_round"] is True
    assert later["trust"] == 1.0


def test_no_round_no_figures(story):
    figures = read_survey(rows_of([story.a]), day_of(dt.date(2026, 1, 30)))[story.a.pk]
    assert figures["last_round_closed_on"] is None
    assert figures["answered_last_round"] is None
    assert figures["trust"] is None
    assert figures["divergent_principles"] == []
    assert survey_reasons(figures) == []
    assert read_survey([], day_of(SCAN)) == {}


def test_a_partner_not_invited_to_a_round_did_not_miss_it(story):
    # B was not invited in January: before March closes it has no round at all.
    figures = read_survey(rows_of([story.b]), day_of(dt.date(2026, 3, 19)))[story.b.pk]
    assert figures["last_round_closed_on"] is None
    assert figures["answered_last_round"] is None


def test_a_fixed_number_of_queries_whatever_the_rows(story):
    day = day_of(SCAN)
    with CaptureQueriesContext(connection) as one:
        read_survey(rows_of([story.a]), day)
    other, more = collaboration_with_partners(5)
    round_ = closed_round(other, opened_on=dt.date(2026, 2, 1), closes_on=dt.date(2026, 2, 20))
    for number, participation in enumerate(more):
        answer(round_, participation, {"trust": 1 + number})
    rows = rows_of([story.a, story.b, story.c, story.d, *more])
    with CaptureQueriesContext(connection) as many:
        figures = read_survey(rows, day)
    assert len(many.captured_queries) == len(one.captured_queries) <= 5
    assert figures[more[0].pk]["divergent_principles"] == ["trust"]  # 1 against 3.5


def test_reasons(story):
    figures = read_survey(rows_of([story.a, story.b, story.d]), day_of(SCAN))
    with translation.override("en"):
        assert survey_reasons(figures[story.a.pk]) == [
            "rated trust 2.0 of 5 where the others rated 4.2",
            "saw purpose differently from the others (5.0 of 5 against 3.5)",
        ]
        assert survey_reasons(figures[story.d.pk]) == [
            "did not answer the March round",
            "rated commitment 2.5 of 5 where the others rated 4.0",
        ]
        assert survey_reasons(figures[story.b.pk]) == []


def test_reasons_are_translated(story):
    figures = read_survey(rows_of([story.d]), day_of(SCAN))[story.d.pk]
    with translation.override("fr"):
        reasons = survey_reasons(figures)
    assert "mars" in reasons[0].lower()


def test_reads_the_scans_own_rows_and_day(story):
    """The scan's ParticipationRow and Day (commissioner.engagement) are what it will pass."""
    from commissioner.engagement import Day, ParticipationRow

    row = ParticipationRow(
        pk=story.a.pk,
        collaboration_id=story.collaboration.pk,
        organisation_id=story.a.organisation_id,
        joined_on=story.a.joined_on,
    )
    figures = read_survey([row], Day.of(SCAN))[story.a.pk]
    assert figures == read_survey(rows_of([story.a]), day_of(SCAN))[story.a.pk]
    assert figures["trust"] == 2.0


def test_the_scan_takes_the_survey_into_the_score_with_reasons(story):
    """Issue 19, into the early warning: not answering, a low or divergent trust or commitment,
    and another divergent principle cost the policy's points, each with its reason."""
    from commissioner.models import EngagementPolicy, EngagementSnapshot
    from commissioner.services import engagement_scan

    def scores():
        engagement_scan(scan_date=SCAN, send_digests=False)
        return {s.participation_id: s for s in EngagementSnapshot.objects.filter(scan_date=SCAN)}

    EngagementPolicy.objects.create(
        collaboration=None,
        points_survey_unanswered=0,
        points_survey_trust=0,
        points_survey_divergent=0,
    )
    without = scores()
    EngagementPolicy.objects.all().delete()
    with_survey = scores()
    lost = {pk: without[pk].score - with_survey[pk].score for pk in with_survey}
    # A: trust 2.0 (low, and apart from the others) 10, purpose apart 5. D: did not answer
    # March 5, commitment apart in January 10. B and C: nothing.
    assert lost == {story.a.pk: 15, story.b.pk: 0, story.c.pk: 0, story.d.pk: 15}
    a = with_survey[story.a.pk]
    assert "rated trust 2.0 of 5 where the others rated 4.2" in a.reasons
    assert any(reason.startswith("saw purpose differently") for reason in a.reasons)
    assert a.trend["survey"]["trust"] == 2.0
    assert "did not answer the March round" in with_survey[story.d.pk].reasons
    assert not any("rated" in reason for reason in with_survey[story.b.pk].reasons)
