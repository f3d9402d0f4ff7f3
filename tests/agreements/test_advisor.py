"""The structure advisor (five questions -> one of the six structures, with reasons and role
rules, skippable) and the plain-language explainer of each structure, linked wherever a
structure is named."""

import itertools

import pytest

from agreements.advisor import NO, QUESTIONS, UNSURE, YES, clean_answers, suggest
from agreements.models import Structure
from agreements.structures import STRUCTURES
from tests.agreements.test_views import html, text
from tests.querycount import query_budget

ALL_UNSURE = {q.name: UNSURE for q in QUESTIONS}


def answers(**given):
    return {**ALL_UNSURE, **given}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"funder_delivers": YES}, Structure.PRIME_CONTRACTOR),
        ({"funder_delivers": YES, "natural_lead": YES}, Structure.PRIME_CONTRACTOR),
        ({"natural_lead": YES, "funder_delivers": NO}, Structure.CONSORTIUM),
        ({"natural_lead": NO}, Structure.COLLABORATIVE_PARTNERSHIP),
        ({"pooled_equals": YES, "natural_lead": NO}, Structure.MUTUAL),
        ({"open_public": YES}, Structure.CROWDSOURCING),
        ({"open_public": YES, "natural_lead": YES}, Structure.CROWDSOURCING),
        ({"quality_standard": YES}, Structure.QUALITY_NETWORK),
        ({"quality_standard": YES, "natural_lead": YES}, Structure.QUALITY_NETWORK),
        ({}, Structure.COLLABORATIVE_PARTNERSHIP),
        ({q.name: NO for q in QUESTIONS}, Structure.COLLABORATIVE_PARTNERSHIP),
    ],
)
def test_each_kind_of_answer_points_to_its_structure(given, expected):
    assert suggest(answers(**given)).structure == expected


def test_every_structure_can_be_suggested():
    suggested = set()
    values = (YES, NO, UNSURE)
    for combination in itertools.product(values, repeat=len(QUESTIONS)):
        given = dict(zip([q.name for q in QUESTIONS], combination, strict=True))
        suggested.add(suggest(given).structure)
    assert suggested == set(Structure.values)


def test_the_suggestion_gives_its_reasons_and_its_role_rules():
    suggestion = suggest(answers(funder_delivers=YES))
    assert suggestion.rules is STRUCTURES[Structure.PRIME_CONTRACTOR]
    assert len(suggestion.reasons) == 1
    assert "commissioning bodies" in suggestion.reasons[0]
    mutual = suggest(answers(pooled_equals=YES, natural_lead=NO))
    assert any("no lead role" in r for r in mutual.reasons)
    default = suggest(ALL_UNSURE)
    assert "most flexible" in default.reasons[0]


def test_answers_other_than_yes_no_unsure_count_as_unsure():
    cleaned = clean_answers({"funder_delivers": "maybe", "natural_lead": YES})
    assert cleaned["funder_delivers"] == UNSURE
    assert cleaned["natural_lead"] == YES
    assert cleaned["open_public"] == UNSURE


# Pages ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_new_collaboration_page_offers_the_advisor_and_it_can_be_skipped(client, lead_staff):
    client.force_login(lead_staff)
    body = html(client.get("/collaborations/new/"))
    assert 'href="/collaborations/new/structure/"' in body
    advisor = html(client.get("/collaborations/new/structure/"))
    assert "Skip the questions" in text(advisor)
    assert 'href="/collaborations/new/"' in advisor
    assert "Suggested:" not in advisor  # nothing answered yet


@pytest.mark.django_db
def test_answers_give_a_suggestion_that_preselects_the_structure(client, lead_staff):
    client.force_login(lead_staff)
    with query_budget("agreements.structure_advisor"):
        response = client.get(
            "/collaborations/new/structure/",
            {"funder_delivers": YES, "natural_lead": NO, "open_public": "junk"},
        )
    body = text(html(response))
    assert "Suggested: Prime contractor" in body
    assert "Exactly one prime contractor and at least one commissioning body" in body
    assert "Roles: Commissioning body, Prime contractor, Subcontractor." in body
    assert 'href="/collaborations/new/?structure=prime_contractor"' in response.content.decode()
    form = html(client.get("/collaborations/new/", {"structure": "prime_contractor"}))
    assert '<option value="prime_contractor" selected>' in form
    ignored = html(client.get("/collaborations/new/", {"structure": "<script>"}))
    assert "selected>Choose" in ignored or 'value="" selected' in ignored


@pytest.mark.django_db
def test_the_advisor_is_for_those_who_may_set_up_a_collaboration(client, lead_staff):
    assert client.get("/collaborations/new/structure/").status_code == 302  # sign in first
    client.force_login(lead_staff)
    assert client.post("/collaborations/new/structure/").status_code == 405  # it writes nothing


@pytest.mark.django_db
@pytest.mark.parametrize("structure", Structure.values)
def test_each_structure_has_an_explainer_page(client, lead_staff, structure):
    client.force_login(lead_staff)
    address = f"/collaborations/structures/{structure.replace('_', '-')}/"
    with query_budget("agreements.structure_explainer"):
        body = text(html(client.get(address)))
    assert str(STRUCTURES[structure].summary) in body
    assert "It fits when" in body and "Watch for" in body
    index = html(client.get("/collaborations/structures/"))
    assert f'href="{address}"' in index


@pytest.mark.django_db
def test_the_structure_is_linked_to_its_explainer_where_it_is_named(
    client, collaboration, lead_staff
):
    client.force_login(lead_staff)
    detail = html(client.get(f"/collaborations/{collaboration.slug}/"))
    assert detail.count('href="/collaborations/structures/consortium/"') >= 2
    listing = html(client.get("/collaborations/"))
    assert 'href="/collaborations/structures/consortium/">Consortium</a>' in listing


@pytest.mark.django_db
def test_structures_is_not_a_collaboration_slug(lead, commissioner_user):
    from agreements import services

    collaboration = services.collaboration_create(
        actor=commissioner_user,
        title="Structures",
        structure=Structure.CONSORTIUM,
        lead_organisation=lead,
    )
    assert collaboration.slug != "structures"
