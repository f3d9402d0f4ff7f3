"""A failing component never turns into a traceback or lost work: the database going away gives a
503 page or JSON body, and a dead Redis leaves pages and the API working."""

import contextlib
import logging

import psycopg2
import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from collabhub.celery import app as celery_app
from core.api import CallerRateThrottle
from tests.trust.apiwalk import fetch_schema, schema_operations
from tests.trust.conftest import DEAD_CACHES, DEAD_REDIS
from tests.trust.html import csp_problems
from tests.trust.pages import page_urls

# A request that makes more queries than this is swept at its first ones only.
MAX_FAULT_POSITIONS = 25


@contextlib.contextmanager
def database_fails_after(queries: int, error=OperationalError):
    """Every query after the first `queries` of the block fails as a dropped connection does
    (Django's own hook around query execution, so it works on every backend)."""
    attempted = []

    def fail(execute, sql, params, many, context):
        attempted.append(sql)
        if len(attempted) > queries:
            raise error("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail):
        yield attempted


@contextlib.contextmanager
def database_unreachable():
    """The real thing on PostgreSQL: the server terminates this connection (as a restart or
    failover does) and the address stops answering, so reconnecting fails too."""
    if connection.vendor != "postgresql":
        with database_fails_after(0):
            yield
        return
    connection.ensure_connection()
    pid = connection.connection.get_backend_pid()
    params = connection.get_connection_params()
    killer = psycopg2.connect(**{**params, "options": ""})
    killer.autocommit = True
    with killer.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    killer.close()
    saved = dict(connection.settings_dict)
    connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    # The health check that runs at the start of each request must not quietly reconnect.
    connection.health_check_done = True
    try:
        yield
    finally:
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
        connection.close()


def assert_unavailable_page(response):
    body = response.content.decode()
    assert response.status_code == 503, body[:500]
    assert response["Retry-After"] == "30"
    assert "temporarily unavailable" in body
    assert "Traceback" not in body and "OperationalError" not in body
    assert not csp_problems(response)


def assert_unavailable_json(response):
    assert response.status_code == 503, response.content[:500]
    assert "json" in response["Content-Type"]
    assert "temporarily unavailable" in response.json()["detail"]


@pytest.mark.django_db(transaction=True)
class TestDatabaseUnreachable:
    """The test client must not re-raise what the server handled: raise_request_exception=False,
    as a real server behaves."""

    def test_page_of_a_signed_in_user_is_a_503_page(self, world, caplog):
        client = Client(raise_request_exception=False)
        client.force_login(world.a.staff)
        with database_unreachable():
            response = client.get("/")
        assert_unavailable_page(response)
        assert "Database unavailable" in caplog.text

    def test_api_call_with_a_token_is_a_503_json_error(self, world):
        client = APIClient(raise_request_exception=False)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.a.raw_token}")
        with database_unreachable():
            response = client.get("/api/schema/?format=json")
        assert_unavailable_json(response)

    def test_api_call_with_a_session_is_a_503_json_error(self, world):
        client = APIClient(raise_request_exception=False)
        client.force_login(world.a.staff)
        with database_unreachable():
            response = client.get("/api/schema/?format=json")
        assert_unavailable_json(response)

    def test_login_form_is_a_503_page(self, world):
        client = Client(raise_request_exception=False)
        with database_unreachable():
            response = client.post(
                "/accounts/login/", {"username": "alpha-staff", "password": "whatever"}
            )
        assert_unavailable_page(response)

    def test_health_check_answers_503_json(self, db):
        client = Client(raise_request_exception=False)
        with database_unreachable():
            response = client.get("/healthz")
        assert_unavailable_json(response)


def fault_sweep(get, url: str, expect) -> list[str]:
    """Request `url` once to count its queries, then once per query with the connection
    dropping at that query: every one must end in the clean 503, none in a 500."""
    with CaptureQueriesContext(connection) as queries:
        get(url)
    failures = []
    for position in range(min(len(queries), MAX_FAULT_POSITIONS)):
        with database_fails_after(position) as attempted:
            response = get(url)
        if len(attempted) <= position:
            continue  # this request made fewer queries (e.g. a token's last use not rewritten)
        try:
            expect(response)
        except AssertionError:
            failures.append(f"{url}: query {position + 1} failing -> {response.status_code}")
    return failures


@pytest.mark.django_db
class TestDatabaseFailsMidRequest:
    """The connection drops at each query of a request in turn (the session, the user, the
    token, the view's own queries, the session save): always a 503, never a 500."""

    def test_every_page(self, world):
        client = Client(raise_request_exception=False)
        client.force_login(world.administrator)
        failures = []
        for url in page_urls(world.a):
            failures += fault_sweep(client.get, url, assert_unavailable_page)
        assert not failures, "\n".join(failures)

    def test_a_closed_connection_reused_is_a_503_too(self, world):
        """After a drop, code that goes on with the dead connection gets InterfaceError."""
        page = Client(raise_request_exception=False)
        page.force_login(world.a.staff)
        api = APIClient(raise_request_exception=False)
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {world.a.raw_token}")
        with database_fails_after(0, InterfaceError):
            assert_unavailable_page(page.get("/"))
        with database_fails_after(0, InterfaceError):
            assert_unavailable_json(api.get("/api/schema/?format=json"))

    def test_health_check(self, db):
        client = Client(raise_request_exception=False)
        assert not fault_sweep(client.get, "/healthz", assert_unavailable_json)

    def test_every_api_list(self, client, world):
        operations = schema_operations(fetch_schema(client, world.administrator))
        api = APIClient(raise_request_exception=False)
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {world.a.raw_token}")
        failures = []
        for url in ["/api/schema/?format=json"] + [
            op.path for op in operations if op.method == "get" and not op.params
        ]:
            failures += fault_sweep(api.get, url, assert_unavailable_json)
        assert not failures, "\n".join(failures)


@contextlib.contextmanager
def database_fails_at(position: int):
    """Like database_fails_after(position), noting whether the failing query ran inside an
    open transaction (the write's) or after it committed."""
    seen = {"queries": 0, "in_transaction": None, "sql": ""}

    def fail(execute, sql, params, many, context):
        seen["queries"] += 1
        if seen["queries"] > position:
            seen["in_transaction"] = connection.in_atomic_block
            seen["sql"] = sql
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail):
        yield seen


@pytest.mark.django_db(transaction=True)
class TestDatabaseFailsDuringAWrite:
    """Writes, API and browser: the connection drops at each query of the request in turn
    (authentication, the lookups, the write itself, what follows it). Every time a 503, never a
    500; and nothing written: it is all or nothing. Real commits (transaction=True), so "nothing
    written" is what a later reader would see.

    That includes the API reading the written row back to answer (AgreementsViewSet.respond): it
    runs in the write's transaction, so a 503 never tells the client to retry work that was
    saved (a retry would then be refused as already reported or signed)."""

    def sweep(self, post, state, expect) -> list[str]:
        before = state()
        failures, inside = [], 0
        for position in range(60):
            with database_fails_at(position) as seen:
                response = post()
            if seen["in_transaction"] is None:
                break  # the request made fewer queries: it went through (the control below)
            inside += seen["in_transaction"]
            try:
                expect(response)
            except AssertionError:
                failures.append(f"query {position + 1} failing -> {response.status_code}")
            if state() != before:
                failures.append(
                    f"query {position + 1} failing ({seen['sql'][:60]}..., "
                    f"{'inside' if seen['in_transaction'] else 'outside'} a transaction): "
                    f"answered {response.status_code} but written anyway, so the write is not "
                    "all or nothing"
                )
                break
        if not inside:
            failures.append("no query failed inside a transaction: the write is not atomic")
        # The control: without a fault the same request writes.
        post()
        assert state() != before, "the write itself changes nothing: the sweep proved nothing"
        return failures

    def test_an_api_measurement(self, world):
        api = APIClient(raise_request_exception=False)
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {world.a.raw_token}")
        goal = world.a.objects["goals"]
        body = {"goal": goal.pk, "value": "42.00", "period_end": "2026-01-31"}

        def post():
            return api.post("/api/v1/measurements/", body, format="json")

        def state():
            return sorted(goal.measurements.values_list("pk", "value"))

        failures = self.sweep(post, state, assert_unavailable_json)
        assert not failures, "\n".join(failures)

    def test_an_api_signature(self, world):
        api = APIClient(raise_request_exception=False)
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {world.a.raw_token}")
        agreement = world.a.objects["agreements"]
        signatory = world.a.objects["signatories"]

        def post():
            return api.post(f"/api/v1/agreements/{agreement.pk}/sign/", {}, format="json")

        def state():
            return list(
                type(signatory).objects.filter(pk=signatory.pk).values_list("signed_at", flat=True)
            )

        failures = self.sweep(post, state, assert_unavailable_json)
        assert not failures, "\n".join(failures)

    def test_marking_an_obligation_met_in_the_browser(self, world):
        client = Client(raise_request_exception=False)
        client.force_login(world.a.staff)
        obligation = world.a.objects["obligations"]
        url = (
            f"/collaborations/{world.a.objects['collaborations'].slug}"
            f"/obligations/{obligation.pk}/met/"
        )

        def post():
            return client.post(url, {"evidence": "EFT 2026-0117"})

        def state():
            return list(
                type(obligation).objects.filter(pk=obligation.pk).values_list("status", "met_at")
            )

        failures = self.sweep(post, state, assert_unavailable_page)
        assert not failures, "\n".join(failures)

    def test_adding_a_goal_in_the_browser(self, world):
        client = Client(raise_request_exception=False)
        client.force_login(world.a.staff)
        collaboration = world.a.objects["collaborations"]
        data = {
            "title_en": "Fault-tolerant goal",
            "indicator_en": "Riders",
            "unit": "riders",
            "baseline": "0",
            "target": "100",
            "cadence": "quarterly",
        }

        def post():
            return client.post(f"/collaborations/{collaboration.slug}/goals/new/", data)

        def state():
            return sorted(collaboration.goals.values_list("pk", "title"))

        failures = self.sweep(post, state, assert_unavailable_page)
        assert not failures, "\n".join(failures)


@pytest.mark.django_db
class TestRedisDown:
    """Redis is the cache (API throttling) and the Celery broker; with it gone, the site works.
    Both point at a port nothing listens on."""

    @pytest.fixture(autouse=True)
    def dead_redis(self):
        # The broker too, so that nothing these tests reach can use a live Redis by another way.
        # (None of them enqueues a task: "Scan now" with the broker down is tested in
        # tests/commissioner/test_tasks.py::test_scan_now_with_the_broker_down_still_answers.)
        eager, broker = celery_app.conf.task_always_eager, celery_app.conf.broker_url
        celery_app.conf.task_always_eager, celery_app.conf.broker_url = False, DEAD_REDIS
        # override_settings, not the settings fixture: the dead cache must be gone before the
        # suite's autouse fixture clears the cache after the test.
        with override_settings(CACHES=DEAD_CACHES):
            yield
        celery_app.conf.task_always_eager, celery_app.conf.broker_url = eager, broker
        CallerRateThrottle.cache_down_until = 0.0

    def test_pages_answer(self, world):
        client = Client()
        client.force_login(world.administrator)
        failures = []
        for url in page_urls(world.a):
            response = client.get(url)
            if response.status_code >= 500:
                failures.append(f"{url} -> {response.status_code}")
        assert not failures, "\n".join(failures)

    def test_login_works(self, world):
        client = Client()
        response = client.post(
            "/accounts/login/", {"username": "alpha-staff", "password": "correct-horse-battery"}
        )
        assert response.status_code == 302
        assert client.get("/").status_code == 200

    def test_api_reads_answer_and_the_throttle_fails_open_with_a_logged_error(
        self, client, world, caplog
    ):
        operations = schema_operations(fetch_schema(client, world.administrator))
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {world.a.raw_token}")
        with caplog.at_level(logging.ERROR, logger="core.api"):
            failures = []
            for operation in operations:
                if operation.method == "get" and not operation.params:
                    response = api.get(operation.path)
                    if response.status_code >= 500:
                        failures.append(f"{operation.label} -> {response.status_code}")
            response = api.get("/api/schema/")
        assert not failures, "\n".join(failures)
        assert response.status_code == 200
        assert "API throttling off" in caplog.text
