"""Issue 15's sweep: every write operation of the OpenAPI schema, sent by an administrator and by
a partner token, with each date at and beyond the edges of the accepted range, each number
overflowing (JSON 1e400, 20-digit ids) and each list of ids oversized. Whatever is refused is a
4xx naming what is wrong; nothing is a 5xx."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from tests.trust.apiwalk import (
    UNSAFE,
    build_body,
    choose,
    fetch_schema,
    foreign_keys,
    own_url,
    schema_operations,
)
from tests.trust.world import build_world

pytestmark = pytest.mark.django_db

DATES = ["0001-01-01", "1899-12-31", "1900-01-01", "2200-12-31", "2201-01-01", "9999-12-31"]
DATETIMES = ["0001-01-01T00:00:00Z", "1900-01-01T00:00:00-05:00", "9999-12-31T23:59:00"]
# Placeholders replaced in the JSON text: Python's json module cannot write these numbers.
HUGE = {'"@1e400"': "1e400", '"@-1e400"': "-1e400", '"@20digits"': "9" * 20}
OVERSIZED = [list(range(1, 202)), list(range(1, 100_001))]


def variants(operation, body_schema: dict, base: dict):
    """(what, body) for each out-of-range value of each field."""
    for name, prop in (body_schema.get("properties") or {}).items():
        prop = operation.resolve(prop)
        if prop.get("readOnly"):
            continue
        options = [operation.resolve(o) for o in prop.get("oneOf") or prop.get("anyOf") or []]
        prop = next((o for o in options if o.get("type") != "null"), prop)
        kind, fmt = prop.get("type"), prop.get("format")
        values = []
        if kind == "string" and fmt == "date":
            values = DATES
        elif kind == "string" and fmt == "date-time":
            values = DATETIMES
        elif kind in ("integer", "number") or fmt == "decimal":
            values = list(HUGE)
        elif kind == "array":
            values = [*OVERSIZED, ["@1e400"]]
        for value in values:
            yield f"{name}={str(value)[:20]}", {**base, name: value}


def encode(body: dict) -> str:
    text = json.dumps(body)
    for placeholder, number in HUGE.items():
        text = text.replace(placeholder, number)
    return text.replace('"@1e400"', "1e400")


@pytest.fixture
def unthrottled(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"partner": "1000000/min", "user": "1000000/min"},
    }


def test_no_write_operation_answers_5xx_to_out_of_range_input(client, unthrottled):
    world = build_world()
    operations = [
        op
        for op in schema_operations(fetch_schema(client, world.administrator))
        if op.method in UNSAFE and op.method != "delete"
    ]
    assert len(operations) >= 15, [op.label for op in operations]
    administrator = APIClient()
    administrator.force_login(world.administrator)
    partner = APIClient()
    partner.credentials(HTTP_AUTHORIZATION=f"Bearer {world.a.raw_token}")
    failures, sent = [], 0
    for operation in operations:
        _, body_schema = operation.request_content()
        url = own_url(operation, world.a)
        own = {
            name: choose(world.a, resource)["id"]
            for name, resource in foreign_keys(operation, body_schema).items()
            if resource in world.a.objects
        }
        base = build_body(operation, body_schema, own)
        for what, body in variants(operation, body_schema, base):
            for caller_name, caller in (("administrator", administrator), ("token", partner)):
                response = caller.generic(
                    operation.method.upper(),
                    url,
                    encode(body),
                    content_type="application/json",
                )
                sent += 1
                if response.status_code >= 500:
                    failures.append(
                        f"{operation.label} {what} as {caller_name}: {response.status_code} "
                        f"{response.content[:200]!r}"
                    )
    assert sent > 100
    assert not failures, "\n".join(failures)
