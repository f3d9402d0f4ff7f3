"""Survey pages: the respondent's page through a personal link (works without JavaScript, and
every bad link is a clear page that writes nothing), opening a round, the results as a
commissioner and as a partner sees them, and the CSV export."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from agreements.models import Participation
from commissioner.models import SurveyAnswer, SurveyRespondent, SurveyResponse, SurveyStatement
from commissioner.survey import services
from tests import factories
from tests.commissioner.survey_helpers import answer, closed_round, collaboration_with_partners
from tests.querycount import query_budget

pytestmark = pytest.mark.django_db


@pytest.fixture
def opened(commissioner, django_capture_on_commit_callbacks):
    collaboration, partners = collaboration_with_partners(3, commissioner=commissioner)
    with django_capture_on_commit_callbacks(execute=True):
        survey_round = services.survey_round_open(
            actor=commissioner,
            collaboration=collaboration,
            closes_on=timezone.localdate() + dt.timedelta(days=14),
        )
    return survey_round, partners


def link(survey_round, participation) -> str:
    respondent = SurveyRespondent.objects.get(
        round=survey_round, organisation=participation.organisation
    )
    return reverse(
        "commissioner:survey_respond", kwargs={"token": services.survey_link_token(respondent)}
    )


def full_answers(survey_round, value="4") -> dict:
    return {
        f"statement_{pk}": value
        for pk in SurveyStatement.objects.filter(
            principle__instrument=survey_round.instrument
        ).values_list("pk", flat=True)
    }


def test_the_link_opens_the_form_without_an_account(client, opened):
    survey_round, partners = opened
    response = client.get(link(survey_round, partners[0]))
    assert response.status_code == 200
    body = response.content.decode()
    assert partners[0].organisation.name in body
    assert (
        body.count('type="radio"')
        == 6 * SurveyStatement.objects.filter(principle__instrument=survey_round.instrument).count()
    )
    assert "<legend" in body and "Trust" in body


def test_save_and_return_then_submit_then_the_link_is_spent(client, opened):
    survey_round, partners = opened
    url = link(survey_round, partners[0])
    first = SurveyStatement.objects.filter(principle__instrument=survey_round.instrument).first()
    response = client.post(url, {f"statement_{first.pk}": "2", "comment_trust": "Hm", "save": "1"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert 'value="2" class="form-check-input"' in page.replace(" checked", "") or "checked" in page
    assert "Hm" in page
    data = {**full_answers(survey_round), "comment_trust": "Good", "submit": "1"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    assert SurveyResponse.objects.get().is_submitted
    before = list(SurveyAnswer.objects.values_list("pk", "value"))
    again = client.post(url, {**data, f"statement_{first.pk}": "1"})
    assert "already been used" in again.content.decode()
    assert list(SurveyAnswer.objects.values_list("pk", "value")) == before


def test_an_answer_outside_the_scale_is_a_field_error(client, opened):
    survey_round, partners = opened
    url = link(survey_round, partners[0])
    data = full_answers(survey_round)
    name = next(iter(data))
    data[name] = "7"
    response = client.post(url, {**data, "submit": "1"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert f'href="#id_{name}"' in body
    assert not SurveyResponse.objects.exists()


def test_submitting_with_a_statement_unanswered_names_it(client, opened):
    survey_round, partners = opened
    data = full_answers(survey_round)
    name = sorted(data)[0]
    del data[name]
    response = client.post(link(survey_round, partners[0]), {**data, "submit": "1"})
    assert "before submitting" in response.content.decode()
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize(
    "case, words",
    [
        ("tampered", "does not work"),
        ("closed", "has closed"),
        ("revoked", "no longer valid"),
    ],
)
def test_bad_links_are_a_clear_page_and_write_nothing(client, opened, case, words):
    survey_round, partners = opened
    url = link(survey_round, partners[0])
    if case == "tampered":
        url = url[:-6] + ("Z" if url[-6] != "Z" else "Y") + url[-5:]
    elif case == "closed":
        survey_round.opened_on = timezone.localdate() - dt.timedelta(days=20)
        survey_round.closes_on = timezone.localdate() - dt.timedelta(days=1)
        survey_round.save()
    else:
        contact = partners[0].contact
        contact.is_active = False
        contact.save()
    for response in (
        client.get(url),
        client.post(url, {**full_answers(survey_round), "submit": "1"}),
    ):
        assert response.status_code in (404, 410)
        assert words in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_opening_a_round_from_the_page(
    commissioner_client, commissioner, django_capture_on_commit_callbacks
):
    collaboration, _partners = collaboration_with_partners(2, commissioner=commissioner)
    url = reverse("commissioner:survey_rounds", kwargs={"slug": collaboration.slug})
    closes = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        response = commissioner_client.post(url, {"closes_on": closes})
    assert response.status_code == 302
    assert len(mail.outbox) == 2
    assert collaboration.survey_rounds.count() == 1


def test_opening_is_refused_with_the_reason(commissioner_client, commissioner):
    collaboration, partners = collaboration_with_partners(2, commissioner=commissioner)
    Participation.objects.filter(pk=partners[0].pk).update(status=Participation.Status.WITHDRAWN)
    url = reverse("commissioner:survey_rounds", kwargs={"slug": collaboration.slug})
    closes = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    response = commissioner_client.post(url, {"closes_on": closes})
    assert response.status_code == 200
    assert "at least two active partners" in response.content.decode()
    too_late = (timezone.localdate() + dt.timedelta(days=400)).isoformat()
    response = commissioner_client.post(url, {"closes_on": too_late})
    assert "within a year" in response.content.decode()
    assert not collaboration.survey_rounds.exists()


@pytest.fixture
def answered(commissioner):
    collaboration, partners = collaboration_with_partners(3, commissioner=commissioner)
    today = timezone.localdate()
    survey_round = closed_round(
        collaboration,
        opened_on=today - dt.timedelta(days=30),
        closes_on=today - dt.timedelta(days=2),
    )
    answer(
        survey_round, partners[0], {"trust": 2, "purpose": 4}, comments={"trust": "=HYPERLINK(1)"}
    )
    answer(survey_round, partners[1], {"trust": 4, "purpose": 4}, comments={"trust": "Fine by B"})
    answer(survey_round, partners[2], {"trust": 5, "purpose": 3})
    return survey_round, partners


def test_the_commissioner_sees_every_score_and_the_divergent_partner(commissioner_client, answered):
    survey_round, partners = answered
    url = reverse("commissioner:survey_results", kwargs={"pk": survey_round.pk})
    with query_budget("commissioner.survey_results"):
        response = commissioner_client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    for participation in partners:
        assert participation.organisation.name in body
    assert "diverges" in body  # A: trust 2 against (4 + 5) / 2 = 4.5
    assert "Fine by B" in body
    assert 'data-survey-chart="bar"' in body and "<table" in body
    assert "<script>" not in body  # no inline script: json_script blocks only
    export = commissioner_client.get(
        reverse("commissioner:survey_export", kwargs={"pk": survey_round.pk})
    )
    text = b"".join(export.streaming_content if export.streaming else [export.content]).decode()
    assert "Trust," + partners[0].organisation.name + ",2.0,3.7,3.0,yes" in text


def test_a_partner_sees_its_own_answers_and_the_average_only(client, answered):
    survey_round, partners = answered
    client.force_login(factories.staff_user(partners[1].organisation))
    url = reverse("commissioner:survey_results", kwargs={"pk": survey_round.pk})
    body = client.get(url).content.decode()
    assert partners[1].organisation.name in body
    assert partners[0].organisation.name not in body
    assert "Fine by B" in body
    assert "HYPERLINK" not in body
    survey_round.share_answers = True
    survey_round.save()
    body = client.get(url).content.decode()
    assert partners[0].organisation.name in body


def test_outsiders_get_404(client, answered):
    survey_round, _partners = answered
    client.force_login(factories.staff_user())
    url = reverse("commissioner:survey_results", kwargs={"pk": survey_round.pk})
    assert client.get(url).status_code == 404
    export = reverse("commissioner:survey_export", kwargs={"pk": survey_round.pk})
    assert client.get(export).status_code == 404


def test_the_round_list_query_count_does_not_grow(commissioner_client, commissioner, answered):
    survey_round, _partners = answered
    url = reverse("commissioner:survey_rounds", kwargs={"slug": survey_round.collaboration.slug})
    with query_budget("commissioner.survey_rounds"):
        assert commissioner_client.get(url).status_code == 200
    today = timezone.localdate()
    for months in range(1, 4):
        closed_round(
            survey_round.collaboration,
            opened_on=today - dt.timedelta(days=40 + 30 * months),
            closes_on=today - dt.timedelta(days=35 + 30 * months),
        )
    with query_budget("commissioner.survey_rounds"):
        assert commissioner_client.get(url).status_code == 200


def test_administrators_add_an_instrument_and_cannot_edit_one_in_use(admin_client_, answered):
    survey_round, _partners = answered
    assert admin_client_.get("/admin/commissioner/surveyinstrument/add/").status_code == 200
    change = f"/admin/commissioner/surveyinstrument/{survey_round.instrument_id}/change/"
    page = admin_client_.get(change)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # in use by a round: view only


def test_setting_a_cadence_from_the_page(commissioner_client, commissioner):
    collaboration, _partners = collaboration_with_partners(2, commissioner=commissioner)
    url = reverse("commissioner:survey_schedule", kwargs={"slug": collaboration.slug})
    assert commissioner_client.get(url).status_code == 200
    response = commissioner_client.post(url, {"every_months": "6", "open_days": "21"})
    assert response.status_code == 302
    assert collaboration.survey_schedule.every_months == 6
    page = commissioner_client.get(
        reverse("commissioner:survey_rounds", kwargs={"slug": collaboration.slug})
    )
    assert "A round opens every 6 months" in page.content.decode()


def test_staff_cannot_set_a_cadence(client, answered):
    survey_round, partners = answered
    client.force_login(factories.staff_user(partners[0].organisation))
    url = reverse("commissioner:survey_schedule", kwargs={"slug": survey_round.collaboration.slug})
    assert client.get(url).status_code == 403
    assert client.post(url, {"every_months": "6", "open_days": "21"}).status_code == 403
