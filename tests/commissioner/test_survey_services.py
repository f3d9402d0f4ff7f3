"""Writes of the partnership health survey: the default instrument, opening a round (and its
refusals), personal links and what they refuse, saving, submitting, and the one reminder."""

import datetime as dt

import pytest
from django.core import mail, signing
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from agreements.models import Participation
from commissioner.models import (
    SurveyAnswer,
    SurveyInstrument,
    SurveyRespondent,
    SurveyResponse,
    SurveyStatement,
)
from commissioner.survey import services
from commissioner.survey.services import DONT_KNOW, LinkProblem
from core.errors import DomainError
from tests import factories
from tests.commissioner.survey_helpers import collaboration_with_partners

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 10, 5)


@pytest.fixture
def opened(commissioner, django_capture_on_commit_callbacks):
    collaboration, partners = collaboration_with_partners(3)
    with django_capture_on_commit_callbacks(execute=True):
        survey_round = services.survey_round_open(
            actor=commissioner,
            collaboration=collaboration,
            closes_on=TODAY + dt.timedelta(days=21),
            today=TODAY,
        )
    return survey_round, partners


def statements(survey_round):
    return list(
        SurveyStatement.objects.filter(principle__instrument=survey_round.instrument).order_by(
            "principle__position", "position"
        )
    )


def token_of(survey_round, participation):
    respondent = SurveyRespondent.objects.get(
        round=survey_round, organisation=participation.organisation
    )
    return respondent, services.survey_link_token(respondent)


def test_the_default_instrument_has_six_principles_of_three_to_five_statements(db):
    instrument = services.instrument_default()
    assert services.instrument_default() == instrument  # idempotent
    assert SurveyInstrument.objects.count() == 1
    principles = list(instrument.principles.order_by("position"))
    assert [p.code for p in principles] == [
        "need",
        "purpose",
        "commitment",
        "trust",
        "arrangements",
        "learning",
    ]
    assert all(3 <= p.statements.count() <= 5 for p in principles)


def test_a_new_version_is_what_new_rounds_use_and_old_rounds_keep_theirs(opened, commissioner):
    survey_round, _ = opened
    v2 = SurveyInstrument.objects.create(code=survey_round.instrument.code, version=2, title="v2")
    assert services.instrument_default() == v2
    survey_round.refresh_from_db()
    assert survey_round.instrument.version == 1


def test_opening_invites_each_partners_named_contact(opened):
    survey_round, partners = opened
    assert len(mail.outbox) == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.contact.email for p in partners)
    _respondent, token = token_of(survey_round, partners[0])
    message = next(m for m in mail.outbox if m.to == [partners[0].contact.email])
    assert f"/commissioner/survey/respond/{token}/" in message.body
    assert survey_round.closes_on.isoformat() in message.body


def test_a_partner_without_named_contact_gets_its_primary_contacts(commissioner):
    collaboration, partners = collaboration_with_partners(2)
    Participation.objects.filter(pk=partners[1].pk).update(contact=None)
    other = factories.ContactFactory(organisation=partners[1].organisation, is_primary=False)
    survey_round = services.survey_round_open(
        actor=commissioner,
        collaboration=collaboration,
        closes_on=TODAY + dt.timedelta(days=5),
        today=TODAY,
    )
    invited = set(survey_round.respondents.values_list("contact_id", flat=True))
    assert partners[1].contact_id in invited  # its primary contact
    assert other.pk not in invited


@pytest.mark.parametrize(
    "closes_on, message",
    [
        (TODAY, "after today"),
        (TODAY - dt.timedelta(days=1), "after today"),
        (TODAY + dt.timedelta(days=367), "within a year"),
    ],
)
def test_the_closing_date_is_bounded(commissioner, closes_on, message):
    collaboration, _ = collaboration_with_partners(2)
    with pytest.raises(DomainError, match=message) as error:
        services.survey_round_open(
            actor=commissioner, collaboration=collaboration, closes_on=closes_on, today=TODAY
        )
    assert error.value.field == "closes_on"


def test_a_round_needs_two_active_partners(commissioner):
    collaboration, partners = collaboration_with_partners(2)
    Participation.objects.filter(pk=partners[1].pk).update(
        status=Participation.Status.WITHDRAWN, left_on=TODAY
    )
    with pytest.raises(DomainError, match="at least two active partners") as error:
        services.survey_round_open(
            actor=commissioner,
            collaboration=collaboration,
            closes_on=TODAY + dt.timedelta(days=10),
            today=TODAY,
        )
    assert "has 1" in error.value.message
    assert not collaboration.survey_rounds.exists()


def test_only_commissioners_open_rounds(staff):
    collaboration, _ = collaboration_with_partners(2)
    with pytest.raises(PermissionDenied):
        services.survey_round_open(
            actor=staff, collaboration=collaboration, closes_on=TODAY + dt.timedelta(days=3)
        )


def test_a_link_saves_and_returns_then_submits_once(opened):
    survey_round, partners = opened
    respondent, token = token_of(survey_round, partners[0])
    assert services.survey_link_resolve(token, today=TODAY) == respondent
    asked = statements(survey_round)
    services.survey_response_save(
        respondent=respondent, answers={asked[0].pk: 4}, comments={"trust": " Fine "}, today=TODAY
    )
    draft = SurveyResponse.objects.get(respondent=respondent)
    assert draft.submitted_at is None and draft.comments == {"trust": "Fine"}
    # Returning: the link still works, and the draft is replaced by what is sent next.
    assert services.survey_link_resolve(token, today=TODAY) == respondent
    answers = {s.pk: 3 for s in asked}
    answers[asked[1].pk] = DONT_KNOW
    services.survey_response_save(respondent=respondent, answers=answers, submit=True, today=TODAY)
    response = SurveyResponse.objects.get(respondent=respondent)
    assert response.is_submitted
    assert response.answers.count() == len(asked)
    assert response.answers.get(statement=asked[1]).dont_know
    with pytest.raises(LinkProblem) as problem:
        services.survey_link_resolve(token, today=TODAY)
    assert problem.value.kind == LinkProblem.SUBMITTED
    before = list(SurveyAnswer.objects.values_list("pk", "value"))
    with pytest.raises(DomainError, match="already been submitted"):
        services.survey_response_save(respondent=respondent, answers=answers, today=TODAY)
    assert list(SurveyAnswer.objects.values_list("pk", "value")) == before


def test_submitting_needs_every_statement_answered(opened):
    survey_round, partners = opened
    respondent, _ = token_of(survey_round, partners[0])
    asked = statements(survey_round)
    with pytest.raises(DomainError) as error:
        services.survey_response_save(
            respondent=respondent, answers={s.pk: 2 for s in asked[:-1]}, submit=True, today=TODAY
        )
    assert error.value.field == f"statement_{asked[-1].pk}"
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize("value", [0, 6, -1, 7, True, "4", 2.5])
def test_an_answer_outside_one_to_five_is_a_field_error(opened, value):
    survey_round, partners = opened
    respondent, _ = token_of(survey_round, partners[0])
    statement = statements(survey_round)[2]
    with pytest.raises(DomainError) as error:
        services.survey_response_save(
            respondent=respondent, answers={statement.pk: value}, today=TODAY
        )
    assert error.value.field == f"statement_{statement.pk}"
    assert not SurveyResponse.objects.exists()


def test_a_statement_of_another_instrument_is_refused(opened):
    survey_round, partners = opened
    respondent, _ = token_of(survey_round, partners[0])
    with pytest.raises(DomainError):
        services.survey_response_save(respondent=respondent, answers={999999: 3}, today=TODAY)


def test_the_database_refuses_an_answer_off_the_scale(opened):
    survey_round, partners = opened
    respondent, _ = token_of(survey_round, partners[0])
    response = services.survey_response_save(respondent=respondent, answers={}, today=TODAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyAnswer.objects.create(
            response=response, statement=statements(survey_round)[0], value=6
        )


def test_the_database_keeps_one_response_per_respondent(opened):
    survey_round, partners = opened
    respondent, _ = token_of(survey_round, partners[0])
    services.survey_response_save(respondent=respondent, answers={}, today=TODAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyResponse.objects.create(
            round=survey_round, organisation=respondent.organisation, respondent=respondent
        )


@pytest.mark.parametrize("tamper", ["flip", "garbage", "other salt"])
def test_a_tampered_link_is_refused(opened, tamper):
    survey_round, partners = opened
    respondent, token = token_of(survey_round, partners[0])
    if tamper == "flip":
        token = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    elif tamper == "garbage":
        token = "not-a-link"
    else:
        token = signing.dumps({"r": respondent.pk, "n": respondent.link_nonce}, salt="other")
    with pytest.raises(LinkProblem) as problem:
        services.survey_link_resolve(token, today=TODAY)
    assert problem.value.kind == LinkProblem.INVALID


def test_a_link_expires_when_the_round_closes(opened):
    survey_round, partners = opened
    respondent, token = token_of(survey_round, partners[0])
    assert services.survey_link_resolve(token, today=survey_round.closes_on)
    with pytest.raises(LinkProblem) as problem:
        services.survey_link_resolve(token, today=survey_round.closes_on + dt.timedelta(days=1))
    assert problem.value.kind == LinkProblem.CLOSED
    with pytest.raises(DomainError, match="closed"):
        services.survey_response_save(
            respondent=respondent,
            answers={},
            today=survey_round.closes_on + dt.timedelta(days=1),
        )
    assert not SurveyResponse.objects.exists()


def test_a_contact_who_left_has_the_link_revoked(opened):
    survey_round, partners = opened
    _respondent, token = token_of(survey_round, partners[0])
    contact = partners[0].contact
    contact.is_active = False
    contact.save()
    with pytest.raises(LinkProblem) as problem:
        services.survey_link_resolve(token, today=TODAY)
    assert problem.value.kind == LinkProblem.REVOKED


def test_a_replaced_nonce_revokes_the_old_link(opened):
    survey_round, partners = opened
    respondent, token = token_of(survey_round, partners[0])
    SurveyRespondent.objects.filter(pk=respondent.pk).update(link_nonce="new")
    with pytest.raises(LinkProblem) as problem:
        services.survey_link_resolve(token, today=TODAY)
    assert problem.value.kind == LinkProblem.INVALID


def test_one_reminder_to_non_respondents_before_closing(opened, django_capture_on_commit_callbacks):
    survey_round, partners = opened
    respondent, _ = token_of(survey_round, partners[0])
    services.survey_response_save(
        respondent=respondent,
        answers={s.pk: 4 for s in statements(survey_round)},
        submit=True,
        today=TODAY,
    )
    # Partner C's contact left: its link is revoked, so no reminder either.
    partners[2].contact.is_active = False
    partners[2].contact.save()
    mail.outbox.clear()
    too_early = survey_round.closes_on - dt.timedelta(days=services.REMINDER_DAYS_BEFORE_CLOSE + 1)
    assert services.survey_reminders_send(today=too_early) == 0
    in_time = survey_round.closes_on - dt.timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.survey_reminders_send(today=in_time) == 1
    assert [m.to for m in mail.outbox] == [[partners[1].contact.email]]
    assert "Reminder" in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        assert services.survey_reminders_send(today=in_time) == 0
    assert len(mail.outbox) == 1


def test_the_api_respondent_is_the_callers_organisation(opened):
    survey_round, partners = opened
    token, _raw = factories.api_token(partners[0].organisation, write=True)
    from core.actors import PartnerPrincipal

    actor = PartnerPrincipal(token)
    respondent = services.survey_api_respondent(actor=actor, survey_round=survey_round)
    assert respondent.contact is None
    assert respondent.organisation == partners[0].organisation
    assert services.survey_api_respondent(actor=actor, survey_round=survey_round) == respondent
    outsider, _ = factories.api_token(write=True)
    with pytest.raises(PermissionDenied):
        services.survey_api_respondent(actor=PartnerPrincipal(outsider), survey_round=survey_round)
    read_only, _ = factories.api_token(partners[0].organisation, write=False)
    with pytest.raises(PermissionDenied):
        services.survey_api_respondent(actor=PartnerPrincipal(read_only), survey_round=survey_round)


def test_the_reminder_runs_daily_from_the_beat_schedule(opened, django_capture_on_commit_callbacks):
    from django.conf import settings

    from collabhub.celery import app
    from commissioner.tasks import send_survey_reminders_task

    name = "commissioner.tasks.send_survey_reminders_task"
    assert name in {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert name in app.tasks
    survey_round, _partners = opened
    survey_round.closes_on = timezone.localdate() + dt.timedelta(days=2)
    survey_round.opened_on = timezone.localdate() - dt.timedelta(days=10)
    survey_round.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_survey_reminders_task() == 3
    assert len(mail.outbox) == 3


# A cadence --------------------------------------------------------------------------------------


def test_add_months_keeps_the_day_or_the_months_last():
    assert services.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert services.add_months(dt.date(2026, 8, 15), 6) == dt.date(2027, 2, 15)


def test_a_cadence_opens_rounds_when_due_once(commissioner, django_capture_on_commit_callbacks):
    from commissioner.models import SurveyRound

    collaboration, _partners = collaboration_with_partners(2)
    schedule = services.survey_schedule_set(
        actor=commissioner,
        collaboration=collaboration,
        every_months=6,
        open_days=20,
        first_opens_on=TODAY + dt.timedelta(days=3),
        today=TODAY,
    )
    assert services.survey_rounds_open_due(today=TODAY) == 0
    opening_day = TODAY + dt.timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.survey_rounds_open_due(today=opening_day) == 1
    assert services.survey_rounds_open_due(today=opening_day) == 0  # idempotent
    survey_round = SurveyRound.objects.get(collaboration=collaboration)
    assert survey_round.closes_on == opening_day + dt.timedelta(days=20)
    assert survey_round.opened_by == commissioner
    assert len(mail.outbox) == 2
    schedule.refresh_from_db()
    assert schedule.next_opens_on == services.add_months(opening_day, 6)


def test_a_cadence_waits_for_the_open_round_and_moves_on(commissioner):
    from commissioner.models import SurveyRound

    collaboration, partners = collaboration_with_partners(2)
    services.survey_round_open(
        actor=commissioner,
        collaboration=collaboration,
        closes_on=TODAY + dt.timedelta(days=30),
        today=TODAY,
    )
    schedule = services.survey_schedule_set(
        actor=commissioner,
        collaboration=collaboration,
        every_months=3,
        first_opens_on=TODAY,
        today=TODAY,
    )
    assert services.survey_rounds_open_due(today=TODAY) == 0
    assert SurveyRound.objects.filter(collaboration=collaboration).count() == 1
    schedule.refresh_from_db()
    assert schedule.next_opens_on == services.add_months(TODAY, 3)
    # Too few partners when it is due: nothing opens, the date still moves on.
    Participation.objects.filter(pk=partners[1].pk).update(status=Participation.Status.WITHDRAWN)
    later = schedule.next_opens_on
    assert services.survey_rounds_open_due(today=later) == 0
    schedule.refresh_from_db()
    assert schedule.next_opens_on == services.add_months(later, 3)


def test_a_cadence_is_the_commissioners_and_bounded(commissioner, staff):
    collaboration, _ = collaboration_with_partners(2)
    with pytest.raises(PermissionDenied):
        services.survey_schedule_set(actor=staff, collaboration=collaboration, every_months=6)
    with pytest.raises(DomainError) as error:
        services.survey_schedule_set(
            actor=commissioner, collaboration=collaboration, every_months=30
        )
    assert error.value.field == "every_months"
    with pytest.raises(DomainError):
        services.survey_schedule_set(
            actor=commissioner,
            collaboration=collaboration,
            every_months=6,
            first_opens_on=TODAY - dt.timedelta(days=1),
            today=TODAY,
        )
    services.survey_schedule_set(actor=commissioner, collaboration=collaboration, every_months=6)
    assert (
        services.survey_schedule_set(
            actor=commissioner, collaboration=collaboration, every_months=None
        )
        is None
    )
    assert not hasattr(type(collaboration).objects.get(pk=collaboration.pk), "survey_schedule")
