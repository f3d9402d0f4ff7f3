"""Walks every operation of the OpenAPI schema as organisation A's token against the world of
`tests.trust.world` and reports every way B's data reached A or A's calls changed B's data. The
writes with foreign keys in their bodies are probed by every caller of A's side: its token, and
in a browser's session (CSRF checked) its staff, who manage its collaboration, and its partner's
staff; an operation none of them could take as far as validation fails the walk.

Nothing here knows the routes: they come from /api/schema/, and path parameters are filled from
the resource their path segment or name denotes (`/api/v1/obligations/{id}/mark-met/` ->
`obligations`). A route that cannot be filled is a problem the meta-test reports, never a skip.
Every route is also called by someone who may reach it (the administrator, or B's own token), so
a 404 to A proves scoping rather than a route that answers 404 to everyone."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction
from django.urls import Resolver404, resolve
from django.utils import timezone
from rest_framework.test import APIClient

from agreements.models import Measurement
from commissioner.models import Attendance

from .world import Side, World, resource_for

METHODS = ("get", "post", "put", "patch", "delete")
UNSAFE = {"post", "put", "patch", "delete"}

# docs/permissions.md: partner tokens see no flags or interventions at all. Their lists may
# answer 403/404/405 or an empty page; their objects answer 404 even for A's own.
PARTNER_HIDDEN = {"flags", "interventions"}
# The policy says nothing about a token reading these (administration data, or logs that are
# not resources of their own): A's own objects may answer 200, 403 or 404; B's are still 404.
PARTNER_UNSPECIFIED = {"users", "tokens", "policies", "activities"}
# Published reference data every caller reads, whoever's side it was built for (both sides hold
# the same row): B's object answers A, and appears in A's lists, by design.
SHARED_RESOURCES = {
    "instruments": "the survey's questionnaires are published: every partner answers the same "
    "statements (docs/engagement.md, 'Partnership health survey')",
}
# Rows of A's partner organisation that A's token must not read (its own snapshots only; staff
# lists are for that organisation's staff).
PARTNER_PRIVATE_ROWS = {"snapshots", "users", "tokens"}
# What a staff user may read of other organisations stops short of these (docs/permissions.md).
PRIVATE_TO_STAFF = {"snapshots", "flags", "interventions"}
# Query parameters that are not filters.
NON_FILTER_PARAMS = {"page", "page_size", "search", "ordering", "format", "limit", "offset"}
# Numeric query parameters that name no row, and why (the meta-test fails on any other numeric
# parameter the walk cannot fill with one of B's ids).
NUMERIC_NON_ID_PARAMS = {
    "page": "pagination: a page number",
    "page_size": "pagination: rows per page",
    "limit": "pagination",
    "offset": "pagination",
}
# Filters whose name is not the resource they select, and how to find a side's value for them.
FILTER_TARGETS = {
    "awaiting_signature_from": ("organisations", lambda side: side.organisation.pk),
    "signatory_organisation": ("organisations", lambda side: side.organisation.pk),
    "commissioner": ("commissioners", lambda side: side.commissioner.pk),
}


def filter_value(name: str, side: Side) -> int | None:
    """The id of `side`'s row that the filter `name` selects, or None when unknown."""
    if name in FILTER_TARGETS:
        return FILTER_TARGETS[name][1](side)
    target = resource_for(name)
    if target is None or target not in side.objects:
        return None
    return side.objects[target].pk


def unmapped_numeric_params(operation: Operation) -> list[str]:
    """Numeric query parameters of an operation the walk cannot fill with an id, and that are
    not allow-listed in NUMERIC_NON_ID_PARAMS."""
    missing = []
    for parameter in operation.query_params:
        kind = (parameter.get("schema") or {}).get("type")
        name = parameter["name"]
        if kind not in ("integer", "number") or name in NUMERIC_NON_ID_PARAMS:
            continue
        if name in FILTER_TARGETS or resource_for(name) is not None:
            continue
        missing.append(name)
    return missing


PARAM = re.compile(r"{([^}]+)}")


@dataclass
class Operation:
    method: str
    path: str
    spec: dict
    schema: dict

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def params(self) -> list[str]:
        return PARAM.findall(self.path)

    @property
    def query_params(self) -> list[dict]:
        return [p for p in self.spec.get("parameters", []) if p.get("in") == "query"]

    def request_content(self) -> tuple[str | None, dict]:
        """The first media type the operation accepts, and its resolved body schema."""
        content = (self.spec.get("requestBody") or {}).get("content") or {}
        for media_type in ("application/json", "multipart/form-data", *content):
            if media_type in content:
                return media_type, self.resolve(content[media_type].get("schema") or {})
        return None, {}

    def resolve(self, node: dict) -> dict:
        while isinstance(node, dict) and "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            node = self.schema["components"]["schemas"][name]
        if isinstance(node, dict) and "allOf" in node and len(node["allOf"]) == 1:
            return self.resolve(node["allOf"][0])
        return node

    def param_resources(self) -> dict[str, str | None]:
        """Each path parameter and the resource it names: `{id}`/`{pk}`/`{slug}` take the segment
        before them, `{collaboration_pk}` its own name."""
        resources = {}
        segments = self.path.strip("/").split("/")
        for index, segment in enumerate(segments):
            for name in PARAM.findall(segment):
                if name in {"id", "pk", "slug"} and index > 0:
                    resources[name] = resource_for(segments[index - 1])
                else:
                    resources[name] = resource_for(name)
        return resources

    def fill(self, values: dict[str, dict[str, object]]) -> str:
        """The URL with each parameter replaced; `values` maps parameter name to
        {"id": ..., "slug": ...} of the object chosen for it."""

        def substitute(match):
            name = match.group(1)
            chosen = values[name]
            return str(chosen["slug"] if name.endswith("slug") else chosen["id"])

        return PARAM.sub(substitute, self.path)

    def view_class(self, url: str):
        try:
            match = resolve(url)
        except Resolver404:
            return None
        return getattr(match.func, "cls", None) or getattr(match.func, "view_class", None)


def schema_operations(schema: dict) -> list[Operation]:
    operations = []
    for path, item in sorted(schema.get("paths", {}).items()):
        for method in METHODS:
            if method in item:
                operations.append(Operation(method, path, item[method], schema))
    return operations


def fetch_schema(client, administrator) -> dict:
    """The schema as /api/schema/ serves it to a signed-in administrator."""
    client.force_login(administrator)
    response = client.get("/api/schema/", {"format": "json"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content[:500]
    client.logout()
    return json.loads(response.content)


def unmapped(operation: Operation) -> list[str]:
    """Path parameters of an operation whose resource the world does not know."""
    return [name for name, resource in operation.param_resources().items() if resource is None]


def choose(side: Side, resource: str, *, partner: bool = False) -> dict[str, object]:
    objects = side.partner_objects if partner else side.objects
    obj = objects.get(resource) or side.objects[resource]
    return {"id": obj.pk, "slug": getattr(obj, "slug", None)}


def own_url(operation: Operation, side: Side) -> str:
    """The operation's URL with the side's own objects (1 for a parameter the world does not
    know, where any id will do)."""
    values = {}
    for name, resource in operation.param_resources().items():
        values[name] = choose(side, resource) if resource else {"id": 1, "slug": "x"}
    return operation.fill(values)


def plausible(operation: Operation, schema: dict, name: str = ""):
    """A value of the right type for a body field; enough to get past type validation."""
    schema = operation.resolve(schema)
    for combinator in ("oneOf", "anyOf", "allOf"):
        if combinator in schema:
            options = [operation.resolve(s) for s in schema[combinator]]
            options = [s for s in options if s.get("type") != "null"] or options
            return plausible(operation, options[0], name)
    if "enum" in schema:
        values = [v for v in schema["enum"] if v not in (None, "")]
        return values[0] if values else None
    kind = schema.get("type")
    fmt = schema.get("format")
    if kind == "string":
        if fmt == "date":
            return timezone.localdate().isoformat()
        if fmt == "date-time":
            return timezone.now().isoformat()
        if fmt == "email":
            return "trust@example.org"
        if fmt == "uri":
            return "https://example.org/"
        if fmt == "decimal":
            return "1.00"
        if fmt == "binary":
            return None
        return f"Trust test {name}".strip()[: schema.get("maxLength", 200)]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return None


def foreign_keys(operation: Operation, body_schema: dict) -> dict[str, str]:
    """Writable body fields that hold the id of another resource: field name -> resource."""
    found = {}
    for name, prop in (body_schema.get("properties") or {}).items():
        prop = operation.resolve(prop)
        if prop.get("readOnly"):
            continue
        resource = resource_for(name)
        kind = prop.get("type")
        if kind == "array":
            kind = operation.resolve(prop.get("items") or {}).get("type")
        if resource and kind in ("integer", None):
            found[name] = resource
    return found


def build_body(operation: Operation, body_schema: dict, fk_values: dict[str, int]) -> dict:
    """Required fields with plausible values, and every foreign key set from `fk_values`."""
    body = {}
    required = set(body_schema.get("required") or [])
    for name, prop in (body_schema.get("properties") or {}).items():
        resolved = operation.resolve(prop)
        if resolved.get("readOnly"):
            continue
        if name in fk_values:
            body[name] = [fk_values[name]] if resolved.get("type") == "array" else fk_values[name]
        elif name in required:
            value = plausible(operation, resolved, name)
            if value is not None:
                body[name] = value
    return body


def send(client, method: str, url: str, media_type: str | None = None, body: dict | None = None):
    call = getattr(client, method)
    if method not in UNSAFE:
        return call(url)
    if media_type == "multipart/form-data":
        return call(url, data=body or {}, format="multipart")
    if media_type == "application/x-www-form-urlencoded":
        return call(url, data=body or {})
    return call(url, data=body or {}, format="json")


def payload(response):
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def result_ids(data) -> list[int] | None:
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        return [row.get("id") for row in data["results"] if isinstance(row, dict)]
    if isinstance(data, list):
        return [row.get("id") for row in data if isinstance(row, dict)]
    return None


def named_fields(data) -> set[str]:
    """Every key of a (nested) error body."""
    names = set()
    if isinstance(data, dict):
        for key, value in data.items():
            names.add(key)
            names |= named_fields(value)
    elif isinstance(data, list):
        for item in data:
            names |= named_fields(item)
    return names


CSRF = "trustcsrftoken0123456789abcdefgh"  # any 32 characters: a valid unmasked CSRF secret


def session_client(user) -> APIClient:
    """A browser's session on the API: signed in, CSRF checked as in production, the token sent
    as the browser's JavaScript would (cookie and X-CSRFToken header)."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    client.cookies["csrftoken"] = CSRF
    client.credentials(HTTP_X_CSRFTOKEN=CSRF)
    return client


@contextmanager
def rolled_back():
    """Whatever the block writes is undone: each probe starts from the same world."""
    savepoint = transaction.savepoint()
    try:
        yield
    finally:
        transaction.savepoint_rollback(savepoint)


@dataclass
class Caller:
    """Someone of A's side who writes through the API."""

    name: str
    client: object
    # The resources of B's this caller may read (docs/permissions.md): naming one of them in a
    # body may be refused with a 403 ("may not make this change"); anything else of B's is
    # outside the caller's scope, a 400 naming the field.
    reads_of_b: frozenset[str]
    # The caller's own rows, for the foreign keys a probe does not point at B.
    own: dict[str, object]


# Resources a staff user reads whatever their organisation (the shared directory and every
# collaboration with its children), as opposed to snapshots, flags, interventions, tokens, staff.
STAFF_READ_ALL = frozenset(
    {
        "organisations",
        "contacts",
        "collaborations",
        "participations",
        "goals",
        "measurements",
        "agreements",
        "signatories",
        "obligations",
        "meetings",
        "attendances",
    }
)
# Foreign keys that may name any organisation's row of the shared directory, by policy
# (docs/permissions.md), with the reason: for these a probe with B's row must still change
# nothing of B's, but may be accepted.
CROSS_ORGANISATION_ALLOWED = {
    ("organisations", "parent"): "the directory is shared: any staff user registers an "
    "organisation, and its own staff may place it under any other",
    ("participations", "organisation"): "a manager invites any organisation of the directory "
    "into the collaboration",
}
# Write operations no caller bound to an organisation may use at all (so none of their probes can
# reach validation), with the reason. The walk fails on any other operation whose every probe was
# refused before validation, and on an entry here whose probes did reach it (a stale entry).
NO_ORGANISATION_CALLER = {
    "POST /api/v1/interventions/": "interventions are for administrators and commissioners, who "
    "act on every organisation's flags (docs/permissions.md): no caller bound to an "
    "organisation may create one, so no foreign key of another organisation's can be refused",
}
REFUSED_BEFORE_VALIDATION = {401, 403, 404, 405}


def operation_resource(operation: Operation) -> str | None:
    """The resource an operation belongs to: the first segment after the API's base path."""
    segments = [s for s in operation.path.strip("/").split("/") if s not in ("api", "v1")]
    return resource_for(segments[0]) if segments else None


@dataclass
class Walk:
    """The isolation walk of one schema for one world; `failures` says what went wrong.

    `exercised` names the operations the walk proved it tested: an object route whose B URL the
    administrator can reach (so A's 404 comes from scoping, not from a route that answers 404
    to everyone), a list A's token reads, a write whose foreign keys some caller's probes took
    as far as validation."""

    world: World
    client: object  # an APIClient with A's read-write token
    operations: list[Operation]
    failures: list[str] = field(default_factory=list)
    exercised: set[str] = field(default_factory=set)
    requests: int = 0
    callers: list[Caller] = field(default_factory=list)
    administrator: object = None
    # One line per caller and write with foreign keys: the control's answer, then B's probes'.
    probes: list[str] = field(default_factory=list)

    def __post_init__(self):
        if self.administrator is None:
            self.administrator = session_client(self.world.administrator)
        self.b_token = APIClient()
        self.b_token.credentials(HTTP_AUTHORIZATION=f"Bearer {self.world.b.raw_token}")
        if not self.callers:
            a = self.world.a
            self.callers = [
                Caller("A's token", self.client, frozenset(), dict(a.objects)),
                Caller(
                    "A's staff (manager)",
                    session_client(a.staff),
                    STAFF_READ_ALL,
                    dict(a.objects),
                ),
                Caller(
                    "A's partner's staff",
                    session_client(a.partner_staff),
                    STAFF_READ_ALL,
                    {**a.objects, **a.partner_objects},
                ),
            ]

    @property
    def a(self) -> Side:
        return self.world.a

    @property
    def b(self) -> Side:
        return self.world.b

    def fail(self, operation: Operation, url: str, message: str, response=None) -> None:
        detail = ""
        if response is not None:
            detail = f" -> {response.status_code} {response.content[:300]!r}"
        self.failures.append(f"{operation.label} [{url}]: {message}{detail}")

    def call(self, operation, url, body=None, media_type=None, client=None, caller=None):
        """One request of A's token (or of `caller`), checked for what it must never show."""
        self.requests += 1
        client = caller.client if caller is not None else (client or self.client)
        response = send(client, operation.method, url, media_type, body)
        content = response.content
        if caller is None or not caller.reads_of_b:
            # A's token reads nothing of B's. (A search for B's text may echo it back in
            # `next`/`previous` links.)
            if self.b.marker not in url and self.b.marker.encode() in content:
                self.fail(operation, url, f"the response contains B's data ({self.b.marker})")
            hidden = (self.a.flag_marker, self.a.partner_private_marker)
        else:
            # Staff read B's collaborations, never its private rows or any flag.
            hidden = self.a.markers_hidden_from_staff(self.b)
        for marker in hidden:
            if marker.encode() in content:
                self.fail(operation, url, f"the response shows {marker} to one of A's callers")
        if response.status_code >= 500:
            self.fail(operation, url, "server error", response)
        return response

    def run(self) -> Walk:
        body_writes = []
        for operation in self.operations:
            if unmapped(operation):
                self.fail(operation, operation.path, f"unmapped parameters {unmapped(operation)}")
                continue
            if operation.params:
                self.object_route(operation)
            else:
                self.collection_route(operation)
            if operation.method in {"post", "put", "patch"} and operation.request_content()[0]:
                body_writes.append(operation)
        # Every write with foreign keys, for every caller of A's side (rolled back each time).
        for operation in body_writes:
            self.foreign_key_probes(operation)
        # Writes with A's own objects come last: they may change A's world.
        for operation in body_writes:
            self.cannot_act_for_partner(operation)
            self.partner_staff_cannot_act_for_a(operation)
        return self

    # Routes with path parameters ----------------------------------------------------------

    def object_route(self, operation: Operation) -> None:
        resources = operation.param_resources()
        names = list(resources)
        media_type, _ = operation.request_content()
        before = self.b.fingerprint() if operation.method in UNSAFE else None

        # B's objects all the way down, then A's parents with B's object last.
        variants = [{n: choose(self.b, resources[n]) for n in names}]
        if len(names) > 1:
            mixed = {n: choose(self.a, resources[n]) for n in names[:-1]}
            mixed[names[-1]] = choose(self.b, resources[names[-1]])
            variants.append(mixed)
        shared = resources[names[-1]] in SHARED_RESOURCES
        for values in variants:
            url = operation.fill(values)
            response = self.call(operation, url, {}, media_type)
            if response.status_code != 404 and not shared:
                self.fail(operation, url, "B's object must answer 404 to A's token", response)
        if before is not None and self.b.fingerprint() != before:
            self.fail(operation, operation.path, "A's token changed B's data")
        self.reachable_by_the_administrator(operation, operation.fill(variants[0]), media_type)

        leaf = resources[names[-1]]
        if operation.method == "get":
            self.own_object_control(operation, resources, leaf)
            if leaf in PARTNER_PRIVATE_ROWS and leaf in self.a.partner_objects:
                values = {n: choose(self.a, resources[n]) for n in names}
                values[names[-1]] = choose(self.a, leaf, partner=True)
                url = operation.fill(values)
                response = self.call(operation, url)
                if response.status_code != 404:
                    self.fail(
                        operation, url, f"A's token read its partner's private {leaf}", response
                    )
        elif leaf in self.a.partner_objects and operation.method in UNSAFE:
            self.partner_object_is_not_actionable(operation, resources, leaf, media_type)

    def reachable_by_the_administrator(self, operation, url, media_type) -> None:
        """The control of the 404s above: the same URL, B's objects, answers the administrator
        (who may see everything) or B's own token (who may act on B's rows) with something other
        than 404/405, so the route exists and the objects are there. Writes are rolled back."""
        answers = []
        for client in (self.administrator, self.b_token):
            with rolled_back():
                response = send(client, operation.method, url, media_type, {})
            answers.append(response.status_code)
            if response.status_code not in (404, 405) and response.status_code < 500:
                self.exercised.add(operation.label)
                return
        self.fail(
            operation,
            url,
            f"the route answers neither the administrator nor B's own token for B's objects "
            f"({answers}), so its 404 to A's token proves nothing",
        )

    def own_object_control(self, operation, resources, leaf) -> None:
        """A's own object through the same route: proves the 404 above came from scoping, not
        from a route that cannot be reached."""
        url = operation.fill({n: choose(self.a, r) for n, r in resources.items()})
        response = self.call(operation, url)
        if leaf in PARTNER_HIDDEN:
            expected = {403, 404}
        elif leaf in PARTNER_UNSPECIFIED:
            expected = {200, 403, 404}
        else:
            expected = {200}
        if response.status_code not in expected:
            self.fail(operation, url, f"A's own {leaf} should answer {sorted(expected)}", response)
        # A nested list (`/collaborations/{id}/goals/`) holds A's rows only.
        last_segment = operation.path.rstrip("/").rsplit("/", 1)[-1]
        nested = None if PARAM.search(last_segment) else resource_for(last_segment)
        ids = result_ids(payload(response))
        if nested and ids:
            self.check_ids(operation, url, nested, ids)

    def partner_object_is_not_actionable(self, operation, resources, leaf, media_type) -> None:
        """A's token sees its partner's obligation, signatory, attendance... but acting on them
        is for the partner alone (docs/permissions.md)."""
        values = {n: choose(self.a, r) for n, r in resources.items()}
        values[list(resources)[-1]] = choose(self.a, leaf, partner=True)
        url = operation.fill(values)
        before = self.a.fingerprint()
        response = self.call(operation, url, {}, media_type)
        if response.status_code < 400:
            self.fail(operation, url, f"A's token acted on its partner's {leaf}", response)
        if self.a.fingerprint() != before:
            self.fail(operation, url, f"A's token changed its partner's {leaf}")

    # Routes without path parameters --------------------------------------------------------

    def collection_route(self, operation: Operation) -> None:
        resource = resource_for(operation.path.rstrip("/").rsplit("/", 1)[-1])
        if operation.method == "get":
            self.list_is_scoped(operation, resource)
        elif operation.method == "post":
            self.create_rejects_foreign_keys(operation, resource)
        else:
            before = self.b.fingerprint()
            media_type, _ = operation.request_content()
            self.call(operation, operation.path, {}, media_type)
            if self.b.fingerprint() != before:
                self.fail(operation, operation.path, "A's token changed B's data")
            self.reachable_by_the_administrator(operation, operation.path, media_type)

    def list_is_scoped(self, operation: Operation, resource: str | None) -> None:
        url = operation.path
        response = self.call(operation, url, None)
        data = payload(response)
        ids = result_ids(data)
        if resource in PARTNER_HIDDEN or (
            resource in PARTNER_UNSPECIFIED and response.status_code in (403, 404, 405)
        ):
            shown = response.status_code == 200 and ids and resource in PARTNER_HIDDEN
            if shown or response.status_code not in (200, 403, 404, 405):
                self.fail(operation, url, f"{resource} must be hidden from partners", response)
            # Hidden from the token: the administrator's list proves the route works.
            self.reachable_by_the_administrator(operation, url, None)
            return
        if response.status_code != 200:
            self.fail(operation, url, "A's token should be able to list", response)
            return
        self.exercised.add(operation.label)
        if ids is None:
            return  # not a list (e.g. /me/): the marker check in call() is what applies
        if resource is None:
            self.fail(operation, url, "a list whose resource the world does not know")
            return
        self.check_ids(operation, url, resource, ids)
        partner_row = self.a.partner_objects.get(resource)
        if resource in PARTNER_PRIVATE_ROWS and partner_row is not None and partner_row.pk in ids:
            self.fail(operation, url, f"A's list shows its partner's private {resource}")
        if resource not in PARTNER_UNSPECIFIED and self.a.objects[resource].pk not in ids:
            self.fail(operation, url, f"A's own {resource} is missing from its list", response)
        self.count_is_scoped(operation, url, resource)
        self.filters_are_scoped(operation, url, resource)

    def check_ids(self, operation, url, resource, ids) -> None:
        if resource in SHARED_RESOURCES:
            return
        leaked = set(ids) & self.b.all_ids(resource)
        if leaked:
            self.fail(operation, url, f"B's {resource} {sorted(leaked)} in A's list")

    def count_is_scoped(self, operation, url, resource) -> None:
        response = self.call(operation, f"{url}?page_size=200")
        data = payload(response)
        if (
            response.status_code == 200
            and isinstance(data, dict)
            and "count" in data
            and data["count"] <= 200
            and data["count"] != len(data.get("results", []))
        ):
            self.fail(
                operation,
                url,
                f"count {data['count']} but {len(data['results'])} rows: the count is not "
                "taken from the scoped list",
            )

    def filters_are_scoped(self, operation, url, resource) -> None:
        """Each filter set to B's id gives no row (or a 400); set to A's own id it gives A's rows,
        so a filter that matches nothing at all cannot pass for a scoped one."""
        for parameter in operation.query_params:
            name = parameter["name"]
            if name in NON_FILTER_PARAMS:
                continue
            b_value, a_value = filter_value(name, self.b), filter_value(name, self.a)
            if b_value is None:
                continue  # not an id (the meta-test lists numeric ones it cannot fill)
            query = f"{url}?{name}={b_value}"
            response = self.call(operation, query)
            if response.status_code != 400:
                ids = result_ids(payload(response))
                if response.status_code != 200 or ids is None:
                    self.fail(
                        operation, query, "filter by B's id should answer 200 or 400", response
                    )
                elif ids:
                    self.fail(operation, query, "filtering by B's id returned rows", response)
            own_query = f"{url}?{name}={a_value}"
            own = self.call(operation, own_query)
            if own.status_code != 200 or not result_ids(payload(own)):
                self.fail(
                    operation,
                    own_query,
                    "filtering by A's own id should list A's rows (the filter must work for the "
                    "check above to mean anything)",
                    own,
                )
        view = operation.view_class(url)
        if getattr(view, "search_fields", None):
            query = f"{url}?search={self.b.marker}"
            response = self.call(operation, query)
            data = payload(response) or {}
            if response.status_code != 200 or result_ids(data):
                self.fail(operation, query, "searching for B's text found something", response)
        ordering_fields = getattr(view, "ordering_fields", None) or []
        if ordering_fields == "__all__":
            ordering_fields = ["id"]
        for name in ordering_fields:
            for order in (name, f"-{name}"):
                query = f"{url}?ordering={order}&page_size=200"
                response = self.call(operation, query)
                ids = result_ids(payload(response))
                if response.status_code != 200 or ids is None:
                    self.fail(operation, query, "ordering should answer 200", response)
                else:
                    self.check_ids(operation, query, resource, ids)

    def create_rejects_foreign_keys(self, operation: Operation, resource: str | None) -> None:
        """A's token: each foreign key in turn points at B's object while the others point at
        A's own. (foreign_key_probes() does the same for every caller, rolled back.)"""
        media_type, body_schema = operation.request_content()
        fks = foreign_keys(operation, body_schema)
        if not fks:
            before = self.b.fingerprint()
            self.call(operation, operation.path, build_body(operation, body_schema, {}), media_type)
            if self.b.fingerprint() != before:
                self.fail(operation, operation.path, "A's token changed B's data")
            self.reachable_by_the_administrator(operation, operation.path, media_type)
            return
        own = {name: self.a.objects[target].pk for name, target in fks.items()}
        for name, target in fks.items():
            values = {**own, name: self.b.objects[target].pk}
            body = build_body(operation, body_schema, values)
            before = self.b.fingerprint()
            response = self.call(operation, operation.path, body, media_type)
            if response.status_code < 300:
                self.fail(
                    operation,
                    operation.path,
                    f"accepted B's {target} in `{name}`: {body}",
                    response,
                )
            elif response.status_code == 400 and name not in named_fields(payload(response)):
                self.fail(
                    operation,
                    operation.path,
                    f"B's {target} in `{name}` refused without naming `{name}`: {body}",
                    response,
                )
            elif response.status_code not in (400, 403, 404, 405):
                self.fail(operation, operation.path, "unexpected refusal", response)
            if self.b.fingerprint() != before:
                self.fail(operation, operation.path, f"B's {target} in `{name}` changed B's data")

    # Foreign keys in bodies, for every caller ----------------------------------------------

    def foreign_key_probes(self, operation: Operation) -> None:
        """Every caller of A's side (its token, its staff who manage its collaboration, its
        partner's staff) sends the write with its own rows (the control), then with each foreign
        key in turn pointing at B's row. With B's row: never a write of B's, never accepted
        (unless CROSS_ORGANISATION_ALLOWED), a 400 naming the field, or a 403 when the caller may
        read B's row but not act on it. An operation every caller was refused before validation
        (401/403/404/405 for the control) tested nothing: that fails the walk."""
        media_type, body_schema = operation.request_content()
        fks = foreign_keys(operation, body_schema)
        if not fks:
            return
        resource = operation_resource(operation)
        url = operation.fill({n: choose(self.a, r) for n, r in operation.param_resources().items()})
        validated = []
        for caller in self.callers:
            own = {
                name: (caller.own.get(target) or self.a.objects[target]).pk
                for name, target in fks.items()
            }
            with rolled_back():
                control = self.call(
                    operation,
                    url,
                    build_body(operation, body_schema, own),
                    media_type,
                    caller=caller,
                )
            refused = control.status_code in REFUSED_BEFORE_VALIDATION
            if not refused:
                validated.append(f"{caller.name} ({control.status_code})")
            control_fields = named_fields(payload(control)) if control.status_code == 400 else set()
            answers = []
            for name, target in fks.items():
                body = build_body(operation, body_schema, {**own, name: self.b.objects[target].pk})
                before = self.b.fingerprint()
                with rolled_back():
                    response = self.call(operation, url, body, media_type, caller=caller)
                    changed = self.b.fingerprint() != before
                where = f"{caller.name}, B's {target} in `{name}`"
                answers.append(f"{name}={response.status_code}")
                if changed:
                    self.fail(operation, url, f"{where} changed B's data: {body}", response)
                if refused or (resource, name) in CROSS_ORGANISATION_ALLOWED:
                    if refused and response.status_code < 300:
                        self.fail(operation, url, f"{where}: accepted {body}", response)
                    continue
                status = response.status_code
                fields = named_fields(payload(response)) if status == 400 else set()
                if status < 300:
                    self.fail(
                        operation, url, f"{where}: accepted B's {target} in `{name}`", response
                    )
                elif status == 400 and name not in fields and not fields <= control_fields:
                    self.fail(
                        operation, url, f"{where}: a 400 that does not name `{name}`", response
                    )
                elif status == 403 and target not in caller.reads_of_b:
                    self.fail(
                        operation,
                        url,
                        f"{where}: 403, but the caller cannot even see it: a 400 naming "
                        f"`{name}` is due",
                        response,
                    )
                elif status not in (400, 403):
                    self.fail(operation, url, f"{where}: unexpected answer", response)
            self.probes.append(
                f"{operation.label} | {caller.name} | own {control.status_code} | B: "
                + ", ".join(answers)
            )
        label = operation.label
        if validated:
            if label in NO_ORGANISATION_CALLER:
                self.fail(
                    operation,
                    url,
                    f"NO_ORGANISATION_CALLER lists it, but {validated} reached validation: "
                    "remove the entry",
                )
            else:
                self.exercised.add(label)
        elif label in NO_ORGANISATION_CALLER:
            self.exercised.add(label)
        else:
            self.fail(
                operation,
                url,
                "every caller was refused before validation (401/403/404/405): its foreign keys "
                "were never checked. Give the world a caller who may write here, or list the "
                "operation in NO_ORGANISATION_CALLER with the reason",
            )

    # Acting for another organisation -------------------------------------------------------

    def cannot_act_for_partner(self, operation: Operation) -> None:
        """Every organisation-like field in the body names A's partner and every other foreign
        key A's own object: whatever the answer, nothing of the partner's may change, and a
        created object belongs to A."""
        media_type, body_schema = operation.request_content()
        fks = foreign_keys(operation, body_schema)
        if not any(target == "organisations" for target in fks.values()) and not any(
            target in self.a.partner_objects for target in fks.values()
        ):
            return
        values = {}
        for name, target in fks.items():
            partner_obj = self.a.partner_objects.get(target)
            values[name] = (partner_obj or self.a.objects[target]).pk
        body = build_body(operation, body_schema, values)
        resources = operation.param_resources()
        url = operation.fill({n: choose(self.a, r) for n, r in resources.items()})
        partner_before = self.partner_state()
        response = self.call(operation, url, body, media_type)
        if self.partner_state() != partner_before:
            self.fail(operation, url, f"A's token acted for its partner with {body}", response)
        data = payload(response)
        if response.status_code < 300 and isinstance(data, dict):
            for name, target in fks.items():
                if target == "organisations" and data.get(name) == self.a.partner.pk:
                    self.fail(operation, url, f"created for the partner via `{name}`", response)

    def partner_staff_cannot_act_for_a(self, operation: Operation) -> None:
        """The same from the other side, in a browser session: A's partner's staff name A's
        organisation in every organisation field (rolled back); nothing of A's may change.
        (A's own staff manage the collaboration, and may record the partner's signature or
        report for it: docs/permissions.md.)"""
        media_type, body_schema = operation.request_content()
        fks = foreign_keys(operation, body_schema)
        if not any(target == "organisations" for target in fks.values()):
            return
        caller = self.callers[-1]
        values = {}
        for name, target in fks.items():
            if target == "organisations":
                values[name] = self.a.organisation.pk
            else:
                values[name] = (caller.own.get(target) or self.a.objects[target]).pk
        body = build_body(operation, body_schema, values)
        url = operation.fill({n: choose(self.a, r) for n, r in operation.param_resources().items()})
        before = organisation_state(self.a.organisation)
        with rolled_back():
            response = self.call(operation, url, body, media_type, caller=caller)
            changed = organisation_state(self.a.organisation) != before
        if changed:
            self.fail(operation, url, f"{caller.name} acted for A with {body}", response)

    def partner_state(self) -> dict:
        """Everything of A's partner organisation that A's token could try to change."""
        state = {}
        for resource, obj in self.a.partner_objects.items():
            fresh = type(obj)._default_manager.filter(pk=obj.pk).values().first()
            state[resource] = fresh
        state.update(organisation_state(self.a.partner))
        return state


def organisation_state(organisation) -> dict:
    """What an organisation does in collaborations: its measurements, obligations, signatures,
    contacts, participations and attendance."""
    return {
        # Withdrawn ones too: a withdrawal or a correction of B's is a change of B's data.
        "measurements": sorted(
            Measurement.all_objects.filter(reported_by_organisation=organisation).values_list(
                "pk", "value", "period_end", "withdrawn_at", "correction_reason"
            )
        ),
        "obligations": sorted(organisation.obligations.values_list("pk", "status")),
        "signatures": sorted(
            organisation.signatures.values_list("pk", "signed_at", "signed_by_token")
        ),
        "contacts": sorted(organisation.contacts.values_list("pk", "name", "is_primary")),
        "participations": sorted(
            organisation.participations.values_list("pk", "status", "role", "left_on")
        ),
        "attendances": sorted(
            Attendance.objects.filter(participation__organisation=organisation).values_list(
                "pk", "status", "confirmed_by_partner"
            )
        ),
    }
