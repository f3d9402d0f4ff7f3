"""Builders for the partnership health survey tests: a collaboration whose partners each have a
named contact, and rounds answered with exactly the figures a test says."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from agreements.models import Collaboration
from commissioner.models import (
    SurveyAnswer,
    SurveyRespondent,
    SurveyResponse,
    SurveyRound,
    SurveyStatement,
)
from commissioner.survey.services import DONT_KNOW, instrument_default
from tests import factories


def collaboration_with_partners(count: int = 3, **kwargs):
    """An active collaboration and `count` active partners, each with an active named contact
    (an e-mail address of its own). Returns (collaboration, [participation, ...])."""
    collaboration = factories.CollaborationFactory(status=Collaboration.Status.ACTIVE, **kwargs)
    participations = []
    for number in range(count):
        organisation = factories.OrganisationFactory(
            name=f"Partner {chr(65 + number)} ({collaboration.slug})"
        )
        contact = factories.ContactFactory(organisation=organisation, is_primary=True)
        participations.append(
            factories.ParticipationFactory(
                collaboration=collaboration, organisation=organisation, contact=contact
            )
        )
    return collaboration, participations


def closed_round(collaboration, *, opened_on: dt.date, closes_on: dt.date) -> SurveyRound:
    return SurveyRound.objects.create(
        collaboration=collaboration,
        instrument=instrument_default(),
        opened_on=opened_on,
        closes_on=closes_on,
    )


def invite(survey_round, participation) -> SurveyRespondent:
    contact = participation.contact
    respondent, _ = SurveyRespondent.objects.get_or_create(
        round=survey_round,
        organisation=participation.organisation,
        contact=contact,
        defaults={"email": contact.email if contact else "", "link_nonce": "n0nce"},
    )
    return respondent


def answer(
    survey_round,
    participation,
    values: dict[str, object],
    *,
    submitted_at: dt.datetime | None = None,
    comments: dict[str, str] | None = None,
    contact=None,
) -> SurveyResponse:
    """A submitted response of `participation`'s organisation: `values` maps a principle code to
    one answer for all its statements, or a list with one answer per statement (1-5, DONT_KNOW);
    principles not named are answered "don't know"."""
    if contact is not None:
        respondent, _ = SurveyRespondent.objects.get_or_create(
            round=survey_round,
            organisation=participation.organisation,
            contact=contact,
            defaults={"email": contact.email, "link_nonce": "n0nce"},
        )
    else:
        respondent = invite(survey_round, participation)
    response = SurveyResponse.objects.create(
        round=survey_round,
        organisation=participation.organisation,
        respondent=respondent,
        comments=comments or {},
        submitted_at=submitted_at
        or timezone.make_aware(dt.datetime.combine(survey_round.opened_on, dt.time(12))),
    )
    answers = []
    statements = SurveyStatement.objects.filter(
        principle__instrument_id=survey_round.instrument_id
    ).select_related("principle")
    for statement in statements.order_by("principle__position", "position"):
        given = values.get(statement.principle.code, DONT_KNOW)
        if isinstance(given, list):
            given = given[statement.position - 1]
        answers.append(
            SurveyAnswer(
                response=response,
                statement=statement,
                value=None if given == DONT_KNOW else given,
                dont_know=given == DONT_KNOW,
            )
        )
    SurveyAnswer.objects.bulk_create(answers)
    return response


def day_of(date: dt.date):
    """What the scan passes read_survey: the scan date and the end of it (the start of the next
    day, local time)."""
    from types import SimpleNamespace

    end = timezone.make_aware(dt.datetime.combine(date + dt.timedelta(days=1), dt.time.min))
    return SimpleNamespace(date=date, end=end)
