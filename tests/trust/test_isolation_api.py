"""Broken object-level authorisation (OWASP API #1): every operation of the OpenAPI schema, called
with organisation A's token against organisation B's objects, answers 404 and leaks nothing.

The routes come from /api/schema/, so a route added later is walked without touching this file;
the meta-test fails when a new route's parameters name a resource tests/trust/world.py does not
build (add the object there, or an alias to RESOURCE_ALIASES)."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from partners.models import ApiToken
from partners.services import api_token_revoke
from tests.trust.apiwalk import (
    METHODS,
    NUMERIC_NON_ID_PARAMS,
    PRIVATE_TO_STAFF,
    UNSAFE,
    Walk,
    choose,
    fetch_schema,
    own_url,
    schema_operations,
    send,
    unmapped,
    unmapped_numeric_params,
)
from tests.trust.conftest import bearer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unthrottled")]

SCHEMA_ITEM_KEYS = {"parameters", "summary", "description", "servers"}


@pytest.fixture
def schema(client, world):
    return fetch_schema(client, world.administrator)


@pytest.fixture
def operations(schema):
    return schema_operations(schema)


def test_every_schema_route_is_covered_by_the_isolation_walk(schema, operations):
    assert operations, "the API schema has no operations: the isolation walk checked nothing"
    problems = []
    for path, item in schema["paths"].items():
        for key in item:
            if key not in METHODS and key not in SCHEMA_ITEM_KEYS:
                problems.append(f"{key.upper()} {path}: a method the walk does not call")
    for operation in operations:
        if unmapped(operation):
            problems.append(
                f"{operation.label}: parameters {unmapped(operation)} name no resource of "
                "tests/trust/world.py (add an object or an alias to RESOURCE_ALIASES)"
            )
        if unmapped_numeric_params(operation):
            problems.append(
                f"{operation.label}: numeric query parameters "
                f"{unmapped_numeric_params(operation)} the walk cannot fill with B's id (map them "
                "in apiwalk.FILTER_TARGETS, or allow-list them in NUMERIC_NON_ID_PARAMS with the "
                "reason)"
            )
    assert not problems, "\n".join(problems)


def test_the_meta_test_fails_on_an_unmapped_numeric_filter(operations):
    """The meta-test above can fail: a numeric filter the walk cannot map is reported, one
    allow-listed with a reason is not."""
    lists = [op for op in operations if op.method == "get" and not op.params]
    operation = lists[0]
    planted = {
        **operation.spec,
        "parameters": [
            *operation.spec.get("parameters", []),
            {"name": "budget_holder", "in": "query", "schema": {"type": "number"}},
            {"name": "page", "in": "query", "schema": {"type": "integer"}},
        ],
    }
    probe = type(operation)(operation.method, operation.path, planted, operation.schema)
    assert unmapped_numeric_params(probe) == ["budget_holder"]
    assert "page" in NUMERIC_NON_ID_PARAMS


def test_organisation_a_never_reaches_organisation_b(world, alpha_api, operations):
    walk = Walk(world=world, client=alpha_api, operations=operations).run()
    if walk.failures:
        pytest.fail(
            f"{len(walk.failures)} isolation failures in {walk.requests} requests:\n"
            + "\n".join(walk.failures),
            pytrace=False,
        )
    # Every operation was tested for real: its B URL reaches the administrator (so A's 404 is
    # scoping), its list was read, or its foreign keys reached validation for some caller.
    missing = sorted({op.label for op in operations} - walk.exercised)
    assert not missing, f"operations the walk could not exercise: {missing}"


def test_a_read_only_token_writes_nothing(world, operations):
    read_only = bearer(world.a.read_only_raw_token)
    failures = []
    for operation in operations:
        if operation.method not in UNSAFE or unmapped(operation):
            continue
        url = own_url(operation, world.a)
        before = world.a.fingerprint()
        response = send(read_only, operation.method, url, operation.request_content()[0], {})
        if response.status_code != 403:
            failures.append(f"{operation.label} [{url}] -> {response.status_code}")
        if world.a.fingerprint() != before:
            failures.append(f"{operation.label} [{url}] changed data with a read-only token")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("credential", ["none", "garbage", "malformed", "revoked", "expired"])
def test_every_operation_refuses_a_caller_without_valid_credentials(
    world, operations, credential, api_client
):
    if credential == "garbage":
        api_client.credentials(HTTP_AUTHORIZATION="Bearer chb_deadbeef_notavalidsecretatall")
    elif credential == "malformed":
        api_client.credentials(HTTP_AUTHORIZATION="Bearer")
    elif credential == "revoked":
        api_token_revoke(token=world.a.token)
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.a.raw_token}")
    elif credential == "expired":
        ApiToken.objects.filter(pk=world.a.token.pk).update(
            expires_at=timezone.now() - dt.timedelta(minutes=1)
        )
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.a.raw_token}")
    before = world.a.fingerprint(), world.b.fingerprint()
    failures = []
    for operation in operations:
        url = own_url(operation, world.a)
        response = send(api_client, operation.method, url, operation.request_content()[0], {})
        if response.status_code != 401 or "detail" not in response.json():
            failures.append(f"{operation.label} [{url}] -> {response.status_code}")
        elif not response.has_header("WWW-Authenticate"):
            failures.append(f"{operation.label}: 401 without WWW-Authenticate")
    assert not failures, "\n".join(failures)
    assert (world.a.fingerprint(), world.b.fingerprint()) == before


def test_staff_sessions_never_read_other_organisations_private_rows(world, operations):
    """Staff read every collaboration, but only their own organisation's engagement snapshots,
    and no flags or interventions (docs/permissions.md)."""
    staff = APIClient()
    staff.force_login(world.a.staff)
    failures = []
    for operation in operations:
        if operation.method != "get" or unmapped(operation):
            continue
        resources = operation.param_resources()
        urls = [own_url(operation, world.a)]
        if resources:
            urls.append(operation.fill({n: choose(world.b, r) for n, r in resources.items()}))
        for url in urls:
            response = staff.get(url)
            body = response.content.decode(errors="replace")
            if response.status_code >= 500:
                failures.append(f"{operation.label} [{url}] -> {response.status_code}")
            shown = [m for m in world.a.markers_hidden_from_staff(world.b) if m in body]
            if shown:
                failures.append(
                    f"{operation.label} [{url}]: shows {shown} (another organisation's "
                    "snapshots, or flags and interventions, their own included)"
                )
        leaf = list(resources.values())[-1] if resources else None
        if leaf in PRIVATE_TO_STAFF and response.status_code != 404:
            failures.append(f"{operation.label} [{urls[-1]}]: B's {leaf} -> {response.status_code}")
    assert not failures, "\n".join(failures)
