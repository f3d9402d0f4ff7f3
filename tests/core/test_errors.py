"""Unknown URLs and unexpected errors: API clients get JSON with a `detail`, people get the
friendly pages — never Django's HTML to a program, never JSON to a browser."""

import logging

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

FRIENDLY_404 = "We could not find that page."
FRIENDLY_500 = "Something went wrong on our side"


@pytest.mark.parametrize(
    "url",
    ["/api/v1/nope/", "/api/v1/organisations/abc/", "/api/v2/organisations/", "/api/nothing"],
)
def test_an_unknown_api_url_is_a_json_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_a_client_asking_for_json_gets_a_json_404_anywhere(staff_client):
    response = staff_client.get("/no/such/page/", HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_browser_gets_the_friendly_404_page(staff_client):
    response = staff_client.get(
        "/no/such/page/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8"
    )
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert FRIENDLY_404 in response.content.decode()


@pytest.mark.urls("tests.core.urls_failing")
def test_an_unexpected_api_error_is_a_json_500():
    response = Client(raise_request_exception=False).get("/api/v1/test-failure/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    detail = response.json()["detail"]
    assert "server error" in detail
    assert "unexpected failure" not in detail  # nothing of the exception leaks


@pytest.mark.urls("tests.core.urls_failing")
def test_an_unexpected_page_error_is_the_friendly_500_page(staff):
    client = Client(raise_request_exception=False)
    client.force_login(staff)
    response = client.get("/test-failure/", HTTP_ACCEPT="text/html")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert FRIENDLY_500 in response.content.decode()


def test_a_refused_request_logs_one_line_not_a_traceback(staff_client, caplog):
    """Staff opening the commissioner's dashboard are refused (403): the log says so in one
    line, with the path and the reason, and no traceback."""
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = staff_client.get("/commissioner/")
    assert response.status_code == 403
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    formatter = logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"])
    line = formatter.format(record)
    assert "\n" not in line and "Traceback" not in line
    assert "Forbidden" in line and "/commissioner/" in line
    assert "commissioners may open this page" in line
