"""The survey API: instruments, rounds scoped to the caller's collaborations (404 otherwise),
results as the caller may see them, and the caller's own response (JSON only)."""

import datetime as dt

import pytest
from django.utils import timezone

from commissioner.models import SurveyResponse, SurveyStatement
from commissioner.survey.services import instrument_default
from tests import factories
from tests.commissioner.survey_helpers import answer, closed_round, collaboration_with_partners
from tests.conftest import token_client
from tests.querycount import query_budget

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    today = timezone.localdate()
    collaboration, partners = collaboration_with_partners(3)
    past = closed_round(
        collaboration,
        opened_on=today - dt.timedelta(days=60),
        closes_on=today - dt.timedelta(days=30),
    )
    answer(past, partners[0], {"trust": 2}, comments={"trust": "A is unhappy"})
    answer(past, partners[1], {"trust": 4})
    answer(past, partners[2], {"trust": 4})
    current = closed_round(
        collaboration,
        opened_on=today - dt.timedelta(days=2),
        closes_on=today + dt.timedelta(days=9),
    )
    other, _outsiders = collaboration_with_partners(2)
    foreign = closed_round(
        other, opened_on=today - dt.timedelta(days=2), closes_on=today + dt.timedelta(days=9)
    )
    return {
        "partners": partners,
        "past": past,
        "current": current,
        "foreign": foreign,
        "api": token_client(partners[1].organisation),
    }


def statements():
    return list(
        SurveyStatement.objects.filter(principle__instrument=instrument_default()).values_list(
            "pk", flat=True
        )
    )


def test_instruments_are_readable(world):
    data = world["api"].get("/api/v1/survey-instruments/").json()
    assert data["count"] == 1
    principles = data["results"][0]["principles"]
    assert len(principles) == 6
    assert all(3 <= len(p["statements"]) <= 5 for p in principles)


def test_rounds_are_scoped(world):
    api = world["api"]
    ids = [row["id"] for row in api.get("/api/v1/survey-rounds/").json()["results"]]
    assert sorted(ids) == sorted([world["past"].pk, world["current"].pk])
    for route in ("", "results/", "my-response/"):
        assert api.get(f"/api/v1/survey-rounds/{world['foreign'].pk}/{route}").status_code == 404
    put = api.put(
        f"/api/v1/survey-rounds/{world['foreign'].pk}/my-response/", {"answers": []}, format="json"
    )
    assert put.status_code == 404
    row = api.get(f"/api/v1/survey-rounds/{world['current'].pk}/").json()
    assert row["survey_status"] == "open"
    past = api.get(f"/api/v1/survey-rounds/{world['past'].pk}/").json()
    assert (past["survey_status"], past["invited_count"], past["submitted_count"]) == (
        "closed",
        3,
        3,
    )


def test_a_partner_reads_the_aggregate_and_its_own_scores(world):
    data = world["api"].get(f"/api/v1/survey-rounds/{world['past'].pk}/results/").json()
    assert data["survey_view"] == "partner"
    trust = next(p for p in data["principles"] if p["code"] == "trust")
    assert trust["mean"] == round((2 + 4 + 4) / 3, 1)
    assert [s["organisation"] for s in trust["scores"]] == [world["partners"][1].organisation_id]
    assert trust["divergent_organisations"] == []  # A diverges, but A is not the caller's
    assert trust["comments"] == []


def test_the_commissioner_reads_every_score(world, commissioner, client):
    client.force_login(commissioner)
    data = client.get(f"/api/v1/survey-rounds/{world['past'].pk}/results/").json()
    trust = next(p for p in data["principles"] if p["code"] == "trust")
    assert len(trust["scores"]) == 3
    assert trust["divergent_organisations"] == [world["partners"][0].organisation.name]
    assert trust["comments"][0]["comment"] == "A is unhappy"


def test_a_partner_answers_saves_and_submits(world):
    api, url = world["api"], f"/api/v1/survey-rounds/{world['current'].pk}/my-response/"
    assert api.get(url).json()["response_status"] == "not_started"
    ids = statements()
    body = {
        "answers": [{"statement": ids[0], "value": 3}],
        "comments": [{"principle": "trust", "comment": "So far so good"}],
    }
    response = api.put(url, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["response_status"] == "draft"
    body = {
        "answers": [{"statement": pk, "value": 4} for pk in ids[:-1]]
        + [{"statement": ids[-1], "dont_know": True}],
        "submit": True,
    }
    response = api.put(url, body, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["response_status"] == "submitted"
    assert data["answers"][-1] == {"statement": ids[-1], "value": None, "dont_know": True}
    again = api.put(url, body, format="json")
    assert again.status_code == 400
    assert "already been submitted" in str(again.json())
    assert SurveyResponse.objects.filter(round=world["current"]).count() == 1


@pytest.mark.parametrize(
    "answer_body, field",
    [
        ({"value": 7}, "value"),
        ({"value": 0}, "value"),
        ({"value": 3, "dont_know": True}, "value"),
        ({}, "value"),
    ],
)
def test_bad_answers_are_field_errors(world, answer_body, field):
    url = f"/api/v1/survey-rounds/{world['current'].pk}/my-response/"
    body = {"answers": [{"statement": statements()[0], **answer_body}]}
    response = world["api"].put(url, body, format="json")
    assert response.status_code == 400
    # Each bad answer is named by its position in the list, then by field.
    assert field in response.json()["answers"]["0"]
    assert not SurveyResponse.objects.filter(round=world["current"]).exists()


def test_an_unknown_statement_and_a_closed_round_are_refused(world):
    url = f"/api/v1/survey-rounds/{world['current'].pk}/my-response/"
    response = world["api"].put(url, {"answers": [{"statement": 10**9, "value": 3}]}, format="json")
    assert response.status_code == 400 and "answers" in response.json()
    closed = f"/api/v1/survey-rounds/{world['past'].pk}/my-response/"
    response = world["api"].put(closed, {"answers": []}, format="json")
    assert response.status_code == 400 and "closed" in str(response.json())


def test_json_only_and_read_only_tokens_cannot_answer(world):
    url = f"/api/v1/survey-rounds/{world['current'].pk}/my-response/"
    form = world["api"].put(url, {"submit": "true"}, format="multipart")
    assert form.status_code == 415
    read_only = token_client(world["partners"][1].organisation, write=False)
    assert read_only.put(url, {"answers": []}, format="json").status_code == 403
    assert not SurveyResponse.objects.filter(round=world["current"]).exists()


def test_list_query_counts_do_not_grow(world, commissioner, client):
    client.force_login(commissioner)
    with query_budget("commissioner.api_survey_rounds_list"):
        assert client.get("/api/v1/survey-rounds/").status_code == 200
    with query_budget("commissioner.api_survey_instruments_list"):
        assert client.get("/api/v1/survey-instruments/").status_code == 200
    today = timezone.localdate()
    for _ in range(4):
        collaboration, _partners = collaboration_with_partners(2)
        closed_round(
            collaboration,
            opened_on=today - dt.timedelta(days=20),
            closes_on=today - dt.timedelta(days=1),
        )
    factories.OrganisationFactory()
    with query_budget("commissioner.api_survey_rounds_list"):
        assert client.get("/api/v1/survey-rounds/").status_code == 200
    with query_budget("commissioner.api_survey_instruments_list"):
        assert client.get("/api/v1/survey-instruments/").status_code == 200


def test_while_a_round_is_open_a_partner_sees_only_its_own_answers(world, commissioner, client):
    current = world["current"]
    answer(current, world["partners"][0], {"trust": 1})
    answer(current, world["partners"][1], {"trust": 5})
    url = f"/api/v1/survey-rounds/{current.pk}/results/"
    data = world["api"].get(url).json()
    trust = next(p for p in data["principles"] if p["code"] == "trust")
    assert data["provisional"] is True
    assert (trust["mean"], trust["spread"], trust["divergent_organisations"]) == (None, None, [])
    assert [s["score"] for s in trust["scores"]] == [5.0]
    assert len(data["trend"]) == 1  # the completed round only
    client.force_login(commissioner)
    live = client.get(url).json()
    trust = next(p for p in live["principles"] if p["code"] == "trust")
    assert live["provisional"] is False
    assert trust["mean"] == 3.0
    assert len(live["trend"]) == 2
