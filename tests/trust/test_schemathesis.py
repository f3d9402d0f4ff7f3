"""Property-based fuzzing of the whole API with schemathesis, in-process through Django's WSGI
handler: for generated valid and invalid input, no operation answers 500, every status code and
content type answered is documented for the operation, every response body matches its
documented schema, and authentication is never ignored.

The error responses (400, 401, 403, 404, 429) are documented for every operation by
core.api.DocumentedErrors, so status_code_conformance can hold the API to its schema.

Bounded for CI: SCHEMATHESIS_MAX_EXAMPLES (default 12) examples per operation, generation mode
and caller; derandomised, so a run is reproducible and a failure can be replayed. Failures are
collected per operation and mode (schemathesis raises a FailureGroup, a BaseExceptionGroup and
not an Exception), so one bad operation never hides the others."""

import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)

from tests.trust.apiwalk import Operation, choose
from tests.trust.conftest import bearer

pytestmark = pytest.mark.django_db(transaction=True)

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "12"))
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
CHECKS = [*CONFORMANCE, ignored_auth]
# What a failing example raises: schemathesis' FailureGroup is a BaseExceptionGroup, which
# `except Exception` does not catch.
FAILURES = (Exception, BaseExceptionGroup)
CSRF = "trustcsrftoken0123456789abcdefgh"  # any 32 characters: a valid unmasked CSRF secret


@pytest.fixture
def api_schema(world, unthrottled):
    return schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json",
        WSGIHandler(),
        headers={"Authorization": f"Bearer {world.a.raw_token}"},
    )


def own_path_parameters(world, operation) -> dict:
    """Path parameters naming A's own objects, so generated bodies reach the real code paths
    (a random id mostly stops at a 404)."""
    walked = Operation(operation.method.lower(), operation.path, {}, {})
    values = {}
    for name, resource in walked.param_resources().items():
        if resource is not None:
            chosen = choose(world.a, resource)
            values[name] = chosen["slug"] if name.endswith("slug") else chosen["id"]
    return values


HYPOTHESIS = {
    "deadline": None,
    "database": None,
    "derandomize": True,
    "phases": [Phase.explicit, Phase.generate],
    "suppress_health_check": list(HealthCheck),
}


def fuzz(api_schema, world, *, headers, cookies=None, checks=CHECKS) -> tuple[list[str], int]:
    """Every operation in both generation modes; failures are collected so one bad operation
    does not hide the others."""
    failures, calls = [], []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert operations, "the API schema has no operations: nothing was fuzzed"

    def runner(operation, mode):
        own = own_path_parameters(world, operation)

        @given(case=operation.as_strategy(generation_mode=mode), use_own=st.booleans())
        @hypothesis_settings(max_examples=MAX_EXAMPLES, **HYPOTHESIS)
        def run(case, use_own):
            if use_own and own:
                case.path_parameters = {**(case.path_parameters or {}), **own}
            calls.append(1)
            response = case.call(headers=headers, cookies=cookies)
            case.validate_response(response, checks=checks, headers=headers)

        return run

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                runner(operation, mode)()
            except FAILURES as exc:
                failures.append(f"{operation.label} ({mode.value}): {describe(exc)}")
    return failures, len(calls)


def describe(exc: BaseException) -> str:
    """Every failure of a group, not just the group's summary line."""
    if isinstance(exc, BaseExceptionGroup):
        return "\n".join(describe(inner) for inner in exc.exceptions)
    return f"{type(exc).__name__}: {exc}"


def report(failures: list[str], calls: int) -> str:
    return f"{len(failures)} failing operations in {calls} calls:\n\n" + "\n\n".join(failures)


def test_api_as_a_partner_token(api_schema, world):
    failures, calls = fuzz(
        api_schema, world, headers={"Authorization": f"Bearer {world.a.raw_token}"}
    )
    if failures:
        pytest.fail(report(failures, calls), pytrace=False)


def fuzz_in_a_session(api_schema, world, user):
    client = Client()
    client.force_login(user)
    cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF}
    failures, calls = fuzz(
        api_schema,
        world,
        headers={"X-CSRFToken": CSRF},
        cookies=cookies,
        # ignored_auth probes by removing the Authorization header, which a session has none of.
        checks=CONFORMANCE,
    )
    if failures:
        pytest.fail(report(failures, calls), pytrace=False)


def test_api_as_a_signed_in_administrator(api_schema, world):
    fuzz_in_a_session(api_schema, world, world.administrator)


def test_api_as_a_signed_in_staff_user(api_schema, world):
    """Organisation A's staff, who manage A's collaboration: the writes a partner token may not
    make (agreements, uploads, obligations) are fuzzed with a caller allowed to make them."""
    fuzz_in_a_session(api_schema, world, world.a.staff)


def test_api_without_credentials_answers_401(api_schema, world):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert operations, "the API schema has no operations: nothing was fuzzed"

    def runner(operation):
        @given(case=operation.as_strategy())
        @hypothesis_settings(max_examples=3, **HYPOTHESIS)
        def run(case):
            response = case.call()
            assert response.status_code == 401, (response.status_code, response.text[:200])

        return run

    failures = []
    for operation in operations:
        try:
            runner(operation)()
        except FAILURES as exc:
            failures.append(f"{operation.label}: {describe(exc)}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "path", ["/api/v1/meetings/", "/api/v1/collaborations/", "/api/v1/organisations/"]
)
def test_a_null_character_in_search_is_a_400_naming_search(world, path):
    """DRF's SearchFilter refuses it with a bare list; the body names the query parameter, as
    every 400 names its bad fields."""
    response = bearer(world.a.raw_token).get(f"{path}?search=a%00b")
    assert response.status_code == 400
    assert response.json() == {"search": ["Null characters are not allowed."]}
