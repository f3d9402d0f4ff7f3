"""Oversized and malformed request bodies are refused cleanly (413/400 with a JSON error for the
API, a short page for the browser), before any code parses them; never a 500.

The limits live in settings: DATA_UPLOAD_MAX_MEMORY_SIZE for JSON and form bodies, and
MAX_REQUEST_BYTES (a 20 MB document plus its form) for multipart uploads. The two echo views at
the bottom stand in for any API endpoint and any browser form that reads its body."""

import json

import pytest
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import path
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from collabhub import urls as project_urls
from core.api import JSONParser
from tests.trust.conftest import bearer
from tests.trust.html import csp_problems

pytestmark = pytest.mark.django_db


class EchoView(APIView):
    """Stands in for any API operation: JSON, and multipart as the upload operations take."""

    permission_classes = [AllowAny]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def post(self, request):
        data = request.data
        return Response({"fields": len(data) if hasattr(data, "__len__") else None})


@login_not_required
def echo_page(request):
    return HttpResponse(f"{len(request.POST)} fields, {len(request.FILES)} files")


urlpatterns = [
    path("api/v1/echo/", EchoView.as_view()),
    path("echo/", echo_page),
    *project_urls.urlpatterns,
]


@pytest.fixture(autouse=True)
def echo_urls(settings):
    settings.ROOT_URLCONF = __name__


def json_body(size: int) -> str:
    """A JSON object whose encoding is exactly `size` bytes."""
    overhead = len(json.dumps({"pad": ""}))
    return json.dumps({"pad": "x" * (size - overhead)})


def test_a_json_body_over_the_limit_is_a_413_json_error(api_client):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = api_client.post(
        "/api/v1/echo/", json_body(limit + 1), content_type="application/json"
    )
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


def test_a_json_body_at_the_limit_is_accepted(api_client):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = api_client.post("/api/v1/echo/", json_body(limit), content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {"fields": 1}


def test_an_oversized_body_is_refused_before_authentication(world):
    """Refused from its declared length: not even the token is looked up for it (no query at
    all), where the same call within the limit authenticates the token (queries)."""
    client = bearer(world.a.raw_token)
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    with CaptureQueriesContext(connection) as within:
        accepted = client.post("/api/v1/echo/", json_body(limit), content_type="application/json")
    assert accepted.status_code == 200
    assert len(within) > 0, "the control made no query: the check below would prove nothing"

    with CaptureQueriesContext(connection) as over:
        response = client.post(
            "/api/v1/echo/", json_body(limit + 1), content_type="application/json"
        )
    assert response.status_code == 413
    assert [query["sql"] for query in over] == []


def test_a_form_body_over_the_limit_is_a_413_page(client):
    response = client.post(
        "/accounts/login/",
        "username=" + "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    html = response.content.decode()
    assert "<h1>Request too large</h1>" in html
    assert "Traceback" not in html
    assert not csp_problems(response)


def test_a_multipart_upload_over_the_request_limit_is_refused(client):
    blob = b"%PDF-1.7\n" + b"0" * (settings.MAX_REQUEST_BYTES + 1)
    response = client.post("/echo/", {"document": _file("big.pdf", blob)})
    assert response.status_code == 413


def test_a_multipart_upload_within_the_limit_reaches_the_view(client):
    blob = b"%PDF-1.7\n" + b"0" * (5 * 1024 * 1024)
    response = client.post("/echo/", {"document": _file("ok.pdf", blob), "title": "x"})
    assert response.status_code == 200
    assert response.content == b"1 fields, 1 files"


def test_a_multipart_api_upload_over_the_limit_is_a_413_json_error(api_client):
    blob = b"0" * (settings.MAX_REQUEST_BYTES + 1)
    response = api_client.post(
        "/api/v1/echo/", {"document": _file("big.pdf", blob)}, format="multipart"
    )
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


def test_large_plain_fields_in_a_multipart_body_are_refused(api_client):
    """Under the multipart limit, but its text fields exceed DATA_UPLOAD_MAX_MEMORY_SIZE."""
    response = api_client.post(
        "/api/v1/echo/",
        {"notes": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)},
        format="multipart",
    )
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


def test_too_many_fields_is_a_400_json_error(api_client):
    fields = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = api_client.post(
        "/api/v1/echo/", fields, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "detail" in response.json()


def test_too_many_fields_in_a_form_is_a_400_page(client):
    fields = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = client.post("/echo/", fields, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


@pytest.mark.parametrize("length", ["not-a-number", "-5", ""])
def test_a_nonsense_content_length_is_not_a_500(api_client, length):
    response = api_client.post(
        "/api/v1/echo/", "{}", content_type="application/json", CONTENT_LENGTH=length
    )
    assert response.status_code < 500


@pytest.mark.parametrize(
    "body",
    [b"{", b"\xff\xfe\x00", b'{"a": ' * 10000, b"[]", b"null", b'"text"', b"1e999999"],
)
def test_malformed_json_is_a_400_not_a_500(api_client, body):
    response = api_client.post("/api/v1/echo/", body, content_type="application/json")
    assert response.status_code in (200, 400), response.content[:300]


def _file(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")
