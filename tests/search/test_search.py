"""Global search: what each actor finds (scoped as its lists are), ranking, input that must not
break it, the page and its box on every page, its pinned query count, and (on PostgreSQL) that
every kind is answered from its GIN index."""

import pytest
from django.db import connection

from agreements.models import Participation
from commissioner.search.selectors import KINDS, search_for, search_words
from core.actors import PartnerPrincipal
from tests import factories
from tests.querycount import query_budget

pytestmark = pytest.mark.django_db


def found(groups, kind):
    return [str(hit.title) for group in groups if group.kind == kind for hit in group.hits]


@pytest.fixture
def lakeside(db):
    """Lakeside shares a water collaboration with Wolf Lake; Hillview's collaboration is
    elsewhere, with Hillview's own agreement, goal and contact."""
    lakeside = factories.OrganisationFactory(name="Town of Lakeside", short_name="LKS")
    wolf = factories.OrganisationFactory(name="Wolf Lake First Nation", jurisdiction="Lakeland")
    hillview = factories.OrganisationFactory(name="Hillview Lakeshore Council")
    water = factories.CollaborationFactory(
        title="Lakeside Water Board", summary="Shared drinking water", lead_organisation=lakeside
    )
    roads = factories.CollaborationFactory(
        title="Hillview Roads Lakeshore", summary="Winter roads", lead_organisation=hillview
    )
    factories.ParticipationFactory(collaboration=water, organisation=lakeside)
    factories.ParticipationFactory(collaboration=water, organisation=wolf)
    factories.ParticipationFactory(collaboration=roads, organisation=hillview)
    factories.AgreementFactory(collaboration=water, title="Lakeside water MOU")
    factories.AgreementFactory(collaboration=roads, title="Lakeshore roads contract")
    factories.SharedGoalFactory(collaboration=water, title="Lake water quality")
    factories.SharedGoalFactory(collaboration=roads, title="Lakeshore roads cleared")
    factories.ContactFactory(organisation=wolf, name="Lakisha Moon", title="Water lead")
    factories.ContactFactory(organisation=wolf, name="Lakota Former", is_active=False)
    factories.ContactFactory(organisation=hillview, name="Lakeisha Hill")
    return lakeside


def test_every_word_is_a_prefix_and_every_kind_is_searched(lakeside, staff):
    groups = search_for(actor=staff, text="lak")
    assert [group.kind for group in groups] == list(KINDS)
    assert set(found(groups, "organisations")) == {
        "Town of Lakeside",
        "Wolf Lake First Nation",
        "Hillview Lakeshore Council",
    }
    # Staff read every organisation's contacts, inactive ones too (the organisation page does).
    assert set(found(groups, "contacts")) == {"Lakisha Moon", "Lakota Former", "Lakeisha Hill"}
    assert set(found(groups, "collaborations")) == {
        "Lakeside Water Board",
        "Hillview Roads Lakeshore",
    }
    assert set(found(groups, "agreements")) == {"Lakeside water MOU", "Lakeshore roads contract"}
    assert set(found(groups, "goals")) == {"Lake water quality", "Lakeshore roads cleared"}
    # Every word must match: "lak wat" is Lakeside's water, not Hillview's roads.
    narrowed = search_for(actor=staff, text="lak wat")
    assert found(narrowed, "collaborations") == ["Lakeside Water Board"]
    assert found(narrowed, "goals") == ["Lake water quality"]
    assert found(narrowed, "contacts") == ["Lakisha Moon"]  # by her title


def test_a_name_ranks_above_a_summary(lakeside, staff):
    factories.CollaborationFactory(title="Regional transit", summary="Water taxis on the lake")
    titles = found(search_for(actor=staff, text="water"), "collaborations")
    assert titles == ["Lakeside Water Board", "Regional transit"]


def test_a_partner_token_finds_only_what_its_api_shows(lakeside):
    token, _raw = factories.api_token(lakeside)
    partner = PartnerPrincipal(token)
    groups = search_for(actor=partner, text="lak")
    # Its own organisation and those it shares a collaboration with; not Hillview.
    assert set(found(groups, "organisations")) == {"Town of Lakeside", "Wolf Lake First Nation"}
    # Active contacts of those organisations only.
    assert found(groups, "contacts") == ["Lakisha Moon"]
    assert found(groups, "collaborations") == ["Lakeside Water Board"]
    assert found(groups, "agreements") == ["Lakeside water MOU"]
    assert found(groups, "goals") == ["Lake water quality"]


def test_a_withdrawn_partner_still_finds_its_collaboration(lakeside):
    """The same rule as the API: a participation of any status puts a collaboration in scope."""
    Participation.objects.filter(organisation=lakeside).update(status="withdrawn")
    token, _raw = factories.api_token(lakeside)
    assert found(search_for(actor=PartnerPrincipal(token), text="lakeside"), "collaborations") == [
        "Lakeside Water Board"
    ]


@pytest.mark.parametrize(
    "text", ["l", "", "   ", "!!", "':*", "lake & | ! ( ) :* <-> ''", "\x00lake", "a" * 5000]
)
def test_odd_input_never_breaks_the_search(lakeside, staff, text):
    groups = search_for(actor=staff, text=text)
    assert all(group.total >= 0 for group in groups)
    if text.startswith("lake &") or text == "\x00lake":
        assert "Town of Lakeside" in found(groups, "organisations")


def test_words_keep_letters_and_digits_only():
    assert search_words("Québec-Nord, 2026: l'eau!") == ["québec", "nord", "2026", "l", "eau"]
    assert len(search_words("a " * 50)) == 8


def test_the_total_counts_every_match_beyond_the_page(staff):
    for number in range(12):
        factories.OrganisationFactory(name=f"Maple Ridge {number}")
    (organisations,) = search_for(actor=staff, text="maple", kinds=("organisations",))
    assert organisations.total == 12 and len(organisations.hits) == 8 and organisations.more == 4


def test_the_page_lists_results_grouped_with_links(lakeside, staff_client):
    response = staff_client.get("/search/", {"q": "lake wat"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="search-collaborations"' in body and "Lakeside Water Board" in body
    assert f'href="/collaborations/{lakeside.led_collaborations.get().slug}/"' in body
    assert "Hillview Roads" not in body


def test_a_search_too_short_says_so(staff_client):
    response = staff_client.get("/search/", {"q": "a"})
    assert response.status_code == 200
    assert "Type at least 2 letters" in response.content.decode()


def test_every_page_has_the_search_box(staff_client):
    for url in ("/", "/organisations/", "/collaborations/"):
        body = staff_client.get(url).content.decode()
        assert 'action="/search/"' in body and 'id="global-search-q"' in body


def test_signed_out_visitors_are_sent_to_log_in(client):
    response = client.get("/search/", {"q": "lake"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_search_page_query_count_is_pinned(lakeside, staff_client):
    with query_budget("search.page"):
        assert staff_client.get("/search/", {"q": "lak"}).status_code == 200
    for number in range(10):
        organisation = factories.OrganisationFactory(name=f"Lakehead {number}")
        factories.ContactFactory(organisation=organisation, name=f"Lake Contact {number}")
        collaboration = factories.CollaborationFactory(title=f"Lake project {number}")
        factories.AgreementFactory(collaboration=collaboration, title=f"Lake agreement {number}")
        factories.SharedGoalFactory(collaboration=collaboration, title=f"Lake goal {number}")
    with query_budget("search.page"):
        assert staff_client.get("/search/", {"q": "lak"}).status_code == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="GIN indexes are PostgreSQL's")
def test_every_kind_is_answered_from_its_index(lakeside, staff):
    """The documents searched are the stored, indexed columns (commissioner/migrations/0019):
    with sequential scans off, each kind's plan uses its index."""
    from django.db import connection as db

    from commissioner.search import selectors

    indexes = {
        "organisations": "organisation_search",
        "contacts": "contact_search",
        "collaborations": "collaboration_search",
        "agreements": "agreement_search",
        "goals": "goal_search",
    }
    with db.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for source in selectors.SOURCES:
            scoped = source.scope(actor=staff).order_by()
            plan = selectors._postgres_matches(source, scoped, ["lake"]).values("pk").explain()
            assert indexes[source.kind] in plan, plan


def test_the_stored_document_follows_every_write(lakeside, staff):
    """The document is stored, so it has to follow the row: a renamed collaboration is found by
    its new title and no longer by its old one, whichever way it was written (a saved instance,
    a queryset update), and a summary written in French only is searched too."""
    from agreements.models import Collaboration

    water = Collaboration.objects.get(title="Lakeside Water Board")
    water.title = "Lakeside Aqueduct Council"
    water.save(update_fields=["title"])
    assert found(search_for(actor=staff, text="aqueduct"), "collaborations") == [
        "Lakeside Aqueduct Council"
    ]
    assert found(search_for(actor=staff, text="board"), "collaborations") == []
    Collaboration.objects.filter(pk=water.pk).update(summary_fr="Eau potable partagée")
    assert found(search_for(actor=staff, text="potable"), "collaborations") == [
        "Lakeside Aqueduct Council"
    ]
