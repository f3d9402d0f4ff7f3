"""What the OpenAPI schema promises generated clients, checked against the schema /api/schema/
serves and against the API's answers: one JSON body type per operation (an upload's own
operation takes multipart/form-data only), enums as named components with values, id filters
with their minimum, `ordering` as the values it accepts, and empty filters refused."""

import pytest
from rest_framework.test import APIClient

from tests import factories
from tests.conftest import token_client

pytestmark = pytest.mark.django_db

UPLOADS = {
    ("put", "/api/v1/agreements/{id}/document/"),
    ("put", "/api/v1/obligations/{id}/evidence-file/"),
}


@pytest.fixture
def schema():
    client = APIClient()
    client.force_login(factories.AdministratorFactory())
    response = client.get("/api/schema/", {"format": "json"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield method, path, operation


def test_every_operation_takes_one_body_type(schema):
    bodies = {}
    for method, path, operation in operations(schema):
        if "requestBody" in operation:
            bodies[(method, path)] = list(operation["requestBody"]["content"])
    assert bodies, "no operation takes a body"
    for key, types in bodies.items():
        expected = ["multipart/form-data"] if key in UPLOADS else ["application/json"]
        assert types == expected, key
    assert set(bodies) >= UPLOADS


def test_enums_are_named_components_with_values(schema):
    components = schema["components"]["schemas"]
    enums = {name: c for name, c in components.items() if name.endswith("Enum")}
    for name in (
        "AttendanceStatusEnum",
        "InterventionKindEnum",
        "AgreementStatusEnum",
        "ObligationStatusEnum",
        "CollaborationStatusEnum",
    ):
        assert enums[name]["enum"], name
    assert set(enums["AttendanceStatusEnum"]["enum"]) == {"present", "apologies", "absent"}
    for name, component in components.items():
        assert (
            component.get("type") != "object"
            or "properties" in component
            or ("additionalProperties" in component)
        ), f"{name} is an empty object"

    def inline_enums(node, where):
        if isinstance(node, dict):
            if "allOf" in node and any("enum" in part for part in node["allOf"]):
                yield where
            for key, value in node.items():
                yield from inline_enums(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from inline_enums(value, f"{where}[{index}]")

    assert not list(inline_enums(components, "components")), "an enum is written inline"


def test_id_filters_ordering_and_paging_state_their_bounds(schema):
    parameters = {
        p["name"]: p["schema"] for p in schema["paths"]["/api/v1/obligations/"]["get"]["parameters"]
    }
    assert parameters["collaboration"]["type"] == "integer"
    assert parameters["collaboration"]["minimum"] == 1
    assert "-due_date" in parameters["ordering"]["enum"]
    assert parameters["page_size"] == {"type": "integer", "minimum": 1, "maximum": 200}
    sign = schema["paths"]["/api/v1/agreements/{id}/sign/"]["post"]
    assert "409" in sign["responses"]
    assert sign["parameters"][0]["schema"]["type"] == "integer"


def test_what_the_schema_refuses_the_api_refuses(db):
    api = token_client(factories.OrganisationFactory())
    for query, name in (
        ("due_after=", "due_after"),
        ("collaboration=", "collaboration"),
        ("collaboration=0", "collaboration"),
        ("ordering=colour", "ordering"),
        ("page_size=0", "page_size"),
        ("page_size=201", "page_size"),
        ("page_size=ten", "page_size"),
    ):
        response = api.get(f"/api/v1/obligations/?{query}")
        assert response.status_code == 400, query
        assert name in response.json(), (query, response.json())
    assert api.get("/api/v1/obligations/?page_size=200&ordering=-due_date").status_code == 200
    # Any ISO 8601 offset is compared in UTC (PostgreSQL itself reads offsets up to 15:59 only).
    assert api.get("/api/v1/meetings/?held_after=2020-01-01T00:00:00-23:59").status_code == 200
    response = api.get("/api/v1/meetings/?held_after=9999-12-31T23:59:59-23:59")
    assert response.status_code == 400 and "held_after" in response.json()


def test_a_lead_organisation_is_nullable_only_where_null_is_accepted(schema):
    """Creating: null means "my own organisation" for staff. Changing: a collaboration always
    has a lead, so null is refused, and the schema does not offer it."""
    components = schema["components"]["schemas"]
    assert components["CollaborationWriteRequest"]["properties"]["lead_organisation"]["nullable"]
    patched = components["PatchedCollaborationUpdateRequest"]["properties"]["lead_organisation"]
    assert not patched.get("nullable")
