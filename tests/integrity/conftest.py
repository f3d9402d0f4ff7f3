"""The concurrency suite's tools: a live server (threaded, on the real database engine), callers
that reach it over HTTP — a partner's token, a manager's browser session — and `race`, which
fires requests at it from many threads at once."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from tests import factories

CSRF = "c" * 32  # an unmasked CSRF secret: cookie and header carry the same value
POOL = 10


@dataclass
class Answer:
    status: int
    body: object
    headers: dict


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Caller:
    """Someone calling the live server: headers sent with every request."""

    def __init__(self, base_url: str, headers: dict[str, str]):
        self.base_url = base_url
        self.headers = headers

    def call(self, method: str, path: str, body=None, headers=None) -> Answer:
        data = None if body is None else json.dumps(body).encode()
        # The live server's own http:// URL: no other scheme can reach here.
        request = urllib.request.Request(  # noqa: S310
            self.base_url + path,
            data=data,
            method=method.upper(),
            headers={
                "Accept": "application/json",
                "Content-Type": "application/json",
                **self.headers,
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                raw, status, got = response.read(), response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            raw, status, got = error.read(), error.code, dict(error.headers)
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw[:300]
        return Answer(status, parsed, got)

    def form(self, path, fields: dict) -> Answer:
        """A browser's form POST (urlencoded, with the CSRF token as a field)."""
        request = urllib.request.Request(  # noqa: S310
            self.base_url + path,
            data=urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": CSRF}).encode(),
            method="POST",
            headers={**self.headers, "Content-Type": "application/x-www-form-urlencoded"},
        )
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=60) as response:
                return Answer(response.status, response.read(), dict(response.headers))
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read(), dict(error.headers))

    def post(self, path, body=None, **kwargs):
        return self.call("POST", path, body if body is not None else {}, **kwargs)

    def patch(self, path, body, **kwargs):
        return self.call("PATCH", path, body, **kwargs)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)


def race(*calls) -> list[Answer]:
    """Run the calls (no-argument callables) at the same moment, one thread each; their
    answers in the same order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def repeat(count: int, call) -> list[Answer]:
    return race(*[call] * count)


@pytest.fixture
def server(live_server, settings):
    """The live server, with throttling out of the way (tested on its own)."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"partner": "1000000/min", "user": "1000000/min"},
    }
    if connection.vendor != "postgresql":
        pytest.skip("the concurrency suite runs against PostgreSQL (DATABASE_URL)")
    return live_server


def bearer_caller(server, organisation) -> Caller:
    _, raw = factories.api_token(organisation)
    return Caller(server.url, {"Authorization": f"Bearer {raw}"})


def session_caller(server, user) -> Caller:
    """A browser's session: signed in, CSRF token in cookie and header."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return Caller(
        server.url,
        {
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}; "
            f"{settings.CSRF_COOKIE_NAME}={CSRF}",
            "X-CSRFToken": CSRF,
            "Referer": server.url + "/",
        },
    )


def statuses(answers: list[Answer]) -> list[int]:
    return sorted(answer.status for answer in answers)
