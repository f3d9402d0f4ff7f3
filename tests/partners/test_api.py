"""The partners API as its callers meet it: /me/, the scoped organisation list and detail, its
filters, search and ordering, bad input as 400s naming the field, and writes."""

import pytest
from rest_framework.test import APIClient

from partners.models import Organisation
from tests import factories
from tests.conftest import token_client
from tests.querycount import query_budget

pytestmark = pytest.mark.django_db

LIST = "/api/v1/organisations/"


def detail(organisation) -> str:
    return f"{LIST}{organisation.pk}/"


def session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def world(db):
    """A and its partner share a collaboration; B and its partner share another."""
    a = factories.OrganisationFactory(name="Alpha Municipality", slug="alpha")
    a_partner = factories.OrganisationFactory(name="Alpha Partner Board", slug="alpha-partner")
    b = factories.OrganisationFactory(name="Bravo Municipality", slug="bravo")
    b_partner = factories.OrganisationFactory(name="Bravo Partner Board", slug="bravo-partner")
    for lead, partner in ((a, a_partner), (b, b_partner)):
        collaboration = factories.CollaborationFactory(lead_organisation=lead)
        factories.ParticipationFactory(collaboration=collaboration, organisation=lead)
        factories.ParticipationFactory(collaboration=collaboration, organisation=partner)
    return {"a": a, "a_partner": a_partner, "b": b, "b_partner": b_partner}


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


# /me/ ----------------------------------------------------------------------------------------


def test_me_for_a_partner_token(organisation):
    token, raw = factories.api_token(organisation, write=False, name="Reporting")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/me/").json() == {
        "type": "partner_token",
        "username": None,
        "role": "partner",
        "organisation": {
            "id": organisation.pk,
            "name": organisation.name,
            "slug": organisation.slug,
        },
        "token": {
            "name": "Reporting",
            "prefix": token.prefix,
            "read_only": True,
            "scope": "read-only",
            "expires_at": None,
        },
    }


def test_me_for_a_staff_user(staff, organisation):
    data = session(staff).get("/api/v1/me/").json()
    assert data["type"] == "user"
    assert data["username"] == staff.username
    assert data["role"] == "staff"
    assert data["organisation"] == {
        "id": organisation.pk,
        "name": organisation.name,
        "slug": organisation.slug,
    }
    assert data["token"] is None


def test_me_for_a_user_without_an_organisation(commissioner):
    data = session(commissioner).get("/api/v1/me/").json()
    assert (data["role"], data["organisation"]) == ("commissioner", None)


# Scope ---------------------------------------------------------------------------------------


def test_a_partner_token_lists_itself_and_its_collaborators_only(world):
    client = token_client(world["a"], write=False)
    assert names(client.get(LIST)) == ["Alpha Municipality", "Alpha Partner Board"]
    assert client.get(LIST).json()["count"] == 2


def test_a_partner_token_gets_404_for_an_organisation_it_shares_nothing_with(world):
    client = token_client(world["a"])
    for other in (world["b"], world["b_partner"]):
        response = client.get(detail(other))
        assert response.status_code == 404
        assert "Bravo" not in response.content.decode()
    assert client.get(detail(world["a_partner"])).status_code == 200


def test_a_shared_collaboration_makes_the_organisation_visible(world):
    client = token_client(world["a"])
    assert client.get(detail(world["b"])).status_code == 404
    shared = factories.CollaborationFactory(lead_organisation=world["b"])
    factories.ParticipationFactory(collaboration=shared, organisation=world["a"])
    factories.ParticipationFactory(collaboration=shared, organisation=world["b"])
    assert client.get(detail(world["b"])).status_code == 200
    assert client.get(detail(world["b_partner"])).status_code == 404


def test_filters_and_search_never_reach_outside_the_scope(world):
    client = token_client(world["a"])
    assert names(client.get(LIST, {"search": "Bravo"})) == []
    assert names(client.get(LIST, {"kind": "municipality"})) == [
        "Alpha Municipality",
        "Alpha Partner Board",
    ]


def test_staff_and_commissioners_see_every_organisation(world, staff, commissioner):
    for user in (staff, commissioner):
        assert {"Bravo Municipality", "Alpha Municipality"} <= set(
            names(session(user).get(LIST, {"page_size": 200}))
        )


def test_the_detail_carries_active_contacts(world):
    factories.ContactFactory(organisation=world["a"], name="Amara Okafor", is_primary=True)
    factories.ContactFactory(organisation=world["a"], name="Gone Person", is_active=False)
    data = token_client(world["a"]).get(detail(world["a"])).json()
    assert [c["name"] for c in data["contacts"]] == ["Amara Okafor"]
    assert data["kind_display"] == "Municipality"


# Filters, search, ordering -------------------------------------------------------------------


@pytest.fixture
def directory(staff):
    factories.OrganisationFactory(
        name="Wolf Lake First Nation",
        short_name="WLFN",
        kind=Organisation.Kind.FIRST_NATION,
        jurisdiction="Treaty 9",
    )
    factories.OrganisationFactory(
        name="Old Board", short_name="OB", kind=Organisation.Kind.OTHER, is_active=False
    )
    factories.OrganisationFactory(
        name="Valley Food Bank", short_name="VFB", kind=Organisation.Kind.NON_PROFIT
    )
    return session(staff)


def test_filter_by_kind(directory):
    assert names(directory.get(LIST, {"kind": "first_nation"})) == ["Wolf Lake First Nation"]


def test_filter_by_jurisdiction(directory):
    assert names(directory.get(LIST, {"jurisdiction": "treaty"})) == ["Wolf Lake First Nation"]


def test_filter_by_active(directory):
    assert names(directory.get(LIST, {"is_active": "false"})) == ["Old Board"]
    assert "Old Board" not in names(directory.get(LIST, {"is_active": "true"}))


def test_search_name_and_short_name(directory):
    assert names(directory.get(LIST, {"search": "food"})) == ["Valley Food Bank"]
    assert names(directory.get(LIST, {"search": "WLFN"})) == ["Wolf Lake First Nation"]


@pytest.mark.parametrize(
    ("ordering", "first"),
    [("name", "Municipality"), ("-name", "Wolf Lake First Nation"), ("kind", "Old Board")],
)
def test_ordering(directory, ordering, first):
    # kind sorts by stored value: first_nation < municipality < non_profit < other... but the
    # staff fixture's own organisation is a municipality, so compare the extremes only.
    rows = names(directory.get(LIST, {"ordering": ordering}))
    if ordering == "kind":
        assert rows[0] == "Wolf Lake First Nation" and rows[-1] == first
    else:
        assert rows[0].startswith(first)


def test_ordering_by_creation(directory):
    rows = names(directory.get(LIST, {"ordering": "-created_at"}))
    assert rows[0] == "Valley Food Bank"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "planet"}, "kind"),
        ({"is_active": "maybe"}, "is_active"),
        ({"ordering": "secret_field"}, "ordering"),
        ({"ordering": "name,-digest"}, "ordering"),
        ({"jurisdiction": "x" * 500}, "jurisdiction"),
    ],
)
def test_bad_query_parameters_are_a_400_naming_them(directory, params, field):
    response = directory.get(LIST, params)
    assert response.status_code == 400
    assert field in response.json()


def test_pagination(directory):
    factories.OrganisationFactory.create_batch(4)
    data = directory.get(LIST, {"page_size": 2}).json()
    assert data["count"] == 8
    assert len(data["results"]) == 2
    assert data["next"] and data["previous"] is None


def test_a_non_numeric_id_is_a_404(directory):
    assert directory.get(f"{LIST}abc/").status_code == 404


# Writes --------------------------------------------------------------------------------------


def test_staff_create_an_organisation(staff):
    response = session(staff).post(
        LIST,
        {"name": "Town of Brookfield", "kind": "municipality", "short_name": "Brookfield"},
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["slug"] == "brookfield"
    assert Organisation.objects.get(pk=data["id"]).history.first().history_user == staff


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Municipality 0000", "kind": "municipality"}, "name"),
        ({"name": "New", "kind": "planet"}, "kind"),
        ({"name": "New", "kind": "other", "website": "nope"}, "website"),
        ({"name": "New", "kind": "other", "slug": "new"}, "slug"),
        ({"name": "New", "kind": "other", "slug": "has spaces"}, "slug"),
        ({"name": "New", "kind": "other", "parent": 999999}, "parent"),
        ({"kind": "other"}, "name"),
    ],
)
def test_bad_writes_are_400s_naming_the_field(staff, body, field):
    factories.OrganisationFactory(name="Municipality 0000", slug="m-0000")
    response = session(staff).post(LIST, body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()


def test_an_inactive_parent_cannot_be_chosen(staff):
    inactive = factories.OrganisationFactory(is_active=False)
    response = session(staff).post(
        LIST, {"name": "New", "kind": "other", "parent": inactive.pk}, format="json"
    )
    assert response.status_code == 400
    assert "parent" in response.json()


def test_a_parent_cycle_is_a_400(staff, organisation):
    child = factories.OrganisationFactory(parent=organisation)
    response = session(staff).patch(detail(organisation), {"parent": child.pk}, format="json")
    assert response.status_code == 400
    assert "cycle" in response.json()["parent"][0]


def test_staff_change_their_own_organisation(staff, organisation):
    response = session(staff).patch(
        detail(organisation), {"jurisdiction": "Treaty 9"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["jurisdiction"] == "Treaty 9"


def test_staff_cannot_change_another_organisation(other_staff, organisation):
    response = session(other_staff).patch(detail(organisation), {"name": "Mine"}, format="json")
    assert response.status_code == 403
    organisation.refresh_from_db()
    assert organisation.name != "Mine"


def test_commissioners_cannot_create_organisations(commissioner):
    response = session(commissioner).post(LIST, {"name": "X", "kind": "other"}, format="json")
    assert response.status_code == 403


def test_partner_tokens_cannot_write_organisations(world):
    client = token_client(world["a"], write=True)
    assert client.post(LIST, {"name": "X", "kind": "other"}, format="json").status_code == 403
    own = client.patch(detail(world["a"]), {"name": "Changed"}, format="json")
    assert own.status_code == 403
    assert (
        client.patch(detail(world["a_partner"]), {"name": "Changed"}, format="json").status_code
        == 403
    )
    # Outside its scope it does not even learn that the organisation exists.
    assert client.patch(detail(world["b"]), {"name": "Changed"}, format="json").status_code == 404
    assert client.delete(detail(world["a"])).status_code == 405
    assert not Organisation.objects.filter(name="Changed").exists()


# Query counts --------------------------------------------------------------------------------


def _list_with_contacts(client, count):
    for organisation in factories.OrganisationFactory.create_batch(count):
        factories.ContactFactory.create_batch(2, organisation=organisation)
    with query_budget("partners.api_organisation_list"):
        response = client.get(LIST, {"page_size": 200})
    assert response.status_code == 200
    return response


def test_the_list_query_count_does_not_grow_with_rows(staff):
    client = session(staff)
    first = _list_with_contacts(client, 3).json()["count"]
    second = _list_with_contacts(client, 12).json()["count"]
    assert second == first + 12


def test_the_partner_list_query_count_does_not_grow_with_rows(world):
    client = token_client(world["a"])
    client.get("/api/v1/me/")  # the token's first use writes last_used_at; measure after it
    collaboration = world["a"].participations.get().collaboration

    def listed(count):
        for organisation in factories.OrganisationFactory.create_batch(count):
            factories.ParticipationFactory(collaboration=collaboration, organisation=organisation)
            factories.ContactFactory(organisation=organisation)
        with query_budget("partners.api_organisation_list_partner"):
            response = client.get(LIST, {"page_size": 200})
        return response.json()["count"]

    first = listed(2)
    assert listed(12) == first + 12
