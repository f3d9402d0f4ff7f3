"""The relationship map: edges from the shared active collaborations (one aggregation), filters,
the cap and what it leaves out, flags and drifting partners marked, the cache per filter and data
version, the pages (commissioner only, a bad filter is a message, never a 500), their pinned
query counts and the drawing's numbers in every language."""

import re

import pytest
from django.core.cache import cache

from agreements.models import Collaboration, Participation, Structure
from commissioner import network
from commissioner.models import State
from commissioner.network import NetworkFilter, ego_network, portfolio_network
from partners.models import Organisation
from tests import factories
from tests.querycount import query_budget

pytestmark = pytest.mark.django_db


@pytest.fixture
def triangle(db):
    """Avon, Birch and Cedar all in "roads"; Avon and Birch also in "water"; Cedar withdrew from
    "parks" (with Avon); Dale and Avon share a concluded collaboration only."""
    avon = factories.OrganisationFactory(
        name="Avon", kind=Organisation.Kind.MUNICIPALITY, jurisdiction="North"
    )
    birch = factories.OrganisationFactory(
        name="Birch", kind=Organisation.Kind.FIRST_NATION, jurisdiction="North"
    )
    cedar = factories.OrganisationFactory(
        name="Cedar", kind=Organisation.Kind.MUNICIPALITY, jurisdiction="South"
    )
    dale = factories.OrganisationFactory(
        name="Dale", kind=Organisation.Kind.NON_PROFIT, jurisdiction="South"
    )
    roads = factories.CollaborationFactory(title="Roads", structure=Structure.CONSORTIUM)
    water = factories.CollaborationFactory(
        title="Water", structure=Structure.COLLABORATIVE_PARTNERSHIP
    )
    parks = factories.CollaborationFactory(title="Parks")
    old = factories.CollaborationFactory(title="Old", status=Collaboration.Status.CONCLUDED)
    for organisation in (avon, birch, cedar):
        factories.ParticipationFactory(collaboration=roads, organisation=organisation)
    for organisation in (avon, birch):
        factories.ParticipationFactory(collaboration=water, organisation=organisation)
    factories.ParticipationFactory(collaboration=parks, organisation=avon)
    factories.ParticipationFactory(
        collaboration=parks, organisation=cedar, status=Participation.Status.WITHDRAWN
    )
    for organisation in (avon, dale):
        factories.ParticipationFactory(collaboration=old, organisation=organisation)
    return {"avon": avon, "birch": birch, "cedar": cedar, "dale": dale, "roads": roads}


def edges(graph) -> dict[tuple[str, str], int]:
    return {
        tuple(sorted((edge.source.name, edge.target.name))): edge.weight for edge in graph.edges
    }


def test_edges_count_the_active_collaborations_two_organisations_share(triangle):
    graph = portfolio_network(network_filter=NetworkFilter())
    assert edges(graph) == {("Avon", "Birch"): 2, ("Avon", "Cedar"): 1, ("Birch", "Cedar"): 1}
    assert sorted(node.name for node in graph.nodes) == ["Avon", "Birch", "Cedar"]
    avon = next(node for node in graph.nodes if node.name == "Avon")
    assert avon.participations == 3 and avon.partners == 2  # roads, water, parks
    assert graph.organisations == 3 and graph.pairs == 4 and graph.left_out_organisations == 0
    # Every node is inside the drawing.
    assert all(0 < node.x < graph.width and 0 < node.y < graph.height for node in graph.nodes)


def test_the_filters_choose_organisations_and_collaborations(triangle):
    concluded = portfolio_network(network_filter=NetworkFilter(status="concluded"))
    assert edges(concluded) == {("Avon", "Dale"): 1}
    anything = portfolio_network(network_filter=NetworkFilter(status=""))
    assert edges(anything)[("Avon", "Dale")] == 1 and edges(anything)[("Avon", "Birch")] == 2
    partnership = portfolio_network(
        network_filter=NetworkFilter(structure=Structure.COLLABORATIVE_PARTNERSHIP)
    )
    assert edges(partnership) == {("Avon", "Birch"): 1}
    municipalities = portfolio_network(network_filter=NetworkFilter(kind="municipality"))
    assert edges(municipalities) == {("Avon", "Cedar"): 1}
    north = portfolio_network(network_filter=NetworkFilter(region="North"))
    assert edges(north) == {("Avon", "Birch"): 2}


def test_the_portfolio_map_draws_the_busiest_and_says_what_it_leaves_out(triangle, monkeypatch):
    monkeypatch.setattr(network, "PORTFOLIO_CAP", 2)
    graph = portfolio_network(network_filter=NetworkFilter())
    assert sorted(node.name for node in graph.nodes) == ["Avon", "Birch"]  # 3 and 2 active
    assert edges(graph) == {("Avon", "Birch"): 2}
    assert graph.organisations == 3 and graph.left_out_organisations == 1
    assert graph.pairs == 4 and graph.left_out_pairs == 2


def test_flagged_and_drifting_partners_are_marked(triangle):
    birch_roads = Participation.objects.get(
        organisation=triangle["birch"], collaboration=triangle["roads"]
    )
    cedar_roads = Participation.objects.get(
        organisation=triangle["cedar"], collaboration=triangle["roads"]
    )
    factories.FlagFactory(participation=birch_roads)
    factories.EngagementSnapshotFactory(
        participation=cedar_roads, band="engaged", state=State.DRIFTING, score=75
    )
    nodes = {node.name: node for node in portfolio_network(network_filter=NetworkFilter()).nodes}
    assert (nodes["Birch"].flags, nodes["Birch"].drifting) == (1, 0)
    assert (nodes["Cedar"].flags, nodes["Cedar"].drifting) == (0, 1)
    assert nodes["Birch"].watch == "1 open flag" and nodes["Cedar"].watch == "1 drifting"
    assert nodes["Avon"].watch == ""
    assert "1 open flag" in nodes["Birch"].description


def test_the_graph_is_cached_per_filter_and_data_version(triangle, monkeypatch):
    built = []
    original = network._portfolio_graph
    monkeypatch.setattr(network, "_portfolio_graph", lambda f: built.append(f) or original(f))
    portfolio_network(network_filter=NetworkFilter())
    portfolio_network(network_filter=NetworkFilter())
    assert len(built) == 1
    portfolio_network(network_filter=NetworkFilter(region="North"))
    assert len(built) == 2
    # A recorded change (a new participation) is a new data version: the map is built again.
    factories.ParticipationFactory(collaboration=triangle["roads"], organisation=triangle["dale"])
    graph = portfolio_network(network_filter=NetworkFilter())
    assert len(built) == 3 and "Dale" in {node.name for node in graph.nodes}


def test_an_organisations_map_lists_every_partner_and_through_what(triangle, monkeypatch):
    monkeypatch.setattr(network, "EGO_CAP", 1)
    graph = ego_network(organisation=triangle["avon"], network_filter=NetworkFilter())
    partners = {
        node.name: [titles["title_en"] for titles, _url in node.collaborations]
        for node in graph.partners
    }
    assert partners == {"Birch": ["Roads", "Water"], "Cedar": ["Roads"]}
    # The drawing: Avon and the one partner it shares most with; the table has both.
    assert [node.name for node in graph.nodes] == ["Avon", "Birch"]
    assert graph.focus.name == "Avon" and graph.left_out_organisations == 1
    assert edges(graph) == {("Avon", "Birch"): 2}


@pytest.fixture
def commissioner_client(client, commissioner):
    client.force_login(commissioner)
    return client


def test_the_map_page_has_an_svg_and_its_table(triangle, commissioner_client):
    response = commissioner_client.get("/commissioner/network/")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<svg class="network-map"' in body and 'aria-labelledby="network-caption"' in body
    avon_map = f"/commissioner/network/organisations/{triangle['avon'].slug}/"
    assert f'href="{avon_map}" aria-label="Avon (Municipality): 3 active collaborations"' in body
    assert re.search(r"<td>Avon</td><td>Birch</td><td[^>]*>2</td>", body)
    assert "Every organisation in these collaborations is drawn (3)" in body


def test_numbers_in_the_drawing_are_never_localised(triangle, commissioner_client):
    body = commissioner_client.get(
        "/commissioner/network/", HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    coordinates = re.findall(r'\b(?:cx|cy|x1|y2|r|stroke-width)="([^"]*)"', body)
    assert coordinates and all("," not in value for value in coordinates)


def test_an_organisations_map_page(triangle, commissioner_client):
    response = commissioner_client.get(
        f"/commissioner/network/organisations/{triangle['avon'].slug}/", {"status": "active"}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "Who works with Avon" in body
    assert f'href="/collaborations/{triangle["roads"].slug}/"' in body
    # Links to the partners' maps keep the filter.
    assert f"/commissioner/network/organisations/{triangle['birch'].slug}/?status=active" in body


def test_an_organisations_map_counts_partners_and_collaborations_each_in_its_plural(
    triangle, commissioner_client
):
    def summary(name: str) -> str:
        body = commissioner_client.get(
            f"/commissioner/network/organisations/{triangle[name].slug}/"
        ).content.decode()
        found = re.search(r'<p id="network-summary" role="status">(.*?)</p>', body, re.S)
        assert found, body
        return re.sub(r"\s+", " ", found.group(1)).strip()

    assert summary("cedar").startswith(
        "2 partners through 1 active collaboration matching the filters."
    )
    assert summary("avon").startswith(
        "2 partners through 3 active collaborations matching the filters."
    )


def test_a_filter_it_does_not_understand_is_a_message(triangle, commissioner_client):
    response = commissioner_client.get("/commissioner/network/", {"kind": "dragon", "status": "x"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Some filters were not understood" in body
    assert "Avon" in body  # the rest of the map as if unfiltered


def test_only_commissioners_and_administrators_see_the_map(triangle, client, staff):
    client.force_login(staff)
    assert client.get("/commissioner/network/").status_code == 403
    assert (
        client.get(f"/commissioner/network/organisations/{triangle['avon'].slug}/").status_code
        == 403
    )


def test_an_unknown_organisation_is_a_404(commissioner_client):
    assert commissioner_client.get("/commissioner/network/organisations/nobody/").status_code == 404


def test_the_map_pages_query_counts_are_pinned(triangle, commissioner_client):
    avon = f"/commissioner/network/organisations/{triangle['avon'].slug}/"
    for more in (0, 6):
        for number in range(more):
            organisation = factories.OrganisationFactory(name=f"More {number}")
            factories.ParticipationFactory(
                collaboration=triangle["roads"], organisation=organisation
            )
            factories.FlagFactory(
                participation=factories.ParticipationFactory(organisation=organisation)
            )
        cache.clear()
        with query_budget("commissioner.network_first"):
            assert commissioner_client.get("/commissioner/network/").status_code == 200
        with query_budget("commissioner.network"):
            assert commissioner_client.get("/commissioner/network/").status_code == 200
        with query_budget("commissioner.network_organisation_first"):
            assert commissioner_client.get(avon).status_code == 200
        with query_budget("commissioner.network_organisation"):
            assert commissioner_client.get(avon).status_code == 200


def test_the_map_answers_with_the_cache_down(triangle, commissioner_client, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    response = commissioner_client.get("/commissioner/network/")
    assert response.status_code == 200 and "Avon" in response.content.decode()
    assert "the cache is unavailable" in caplog.text
