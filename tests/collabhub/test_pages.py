"""The foundation as a user meets it: login, logout, password change, errors, security headers."""

import re

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_pages_require_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_has_labelled_fields_and_heading(client):
    response = client.get(reverse("login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<label class="form-label" for="id_username">' in html
    assert '<label class="form-label" for="id_password">' in html
    assert "<h1" in html
    assert 'href="#main"' in html  # skip link


def test_bad_login_shows_a_clear_error(client):
    UserFactory(username="alice")
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_good_login_lands_on_home_page(client):
    UserFactory(username="alice", first_name="Alice")
    response = client.post(
        reverse("login"), {"username": "alice", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Welcome, Alice" in response.content.decode()


def test_logout_is_a_post_and_ends_the_session(staff_client):
    response = staff_client.post(reverse("logout"))
    assert response.status_code == 302
    assert staff_client.get("/").status_code == 302


def test_password_change(client):
    user = UserFactory(username="bob")
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-better-passphrase-41",
            "new_password2": "a-much-better-passphrase-41",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-much-better-passphrase-41")


def test_password_change_mismatch_is_a_form_error(client):
    client.force_login(UserFactory())
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "abc-def-ghi-1", "new_password2": "x"},
    )
    assert response.status_code == 200
    assert "two password fields didn" in response.content.decode()


def test_unknown_url_is_a_friendly_404(staff_client):
    response = staff_client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_every_page_has_a_strict_csp_and_no_inline_script(staff_client):
    response = staff_client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    html = response.content.decode()
    scripts = re.findall(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", html, re.S)
    assert scripts, "expected the vendored scripts"
    for attrs, body in scripts:
        assert "src=" in attrs and not body.strip(), f"inline script found: {attrs} {body[:80]}"
    assert " style=" not in html


def test_pages_load_nothing_from_outside(staff_client):
    html = staff_client.get("/").content.decode()
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not url.startswith(("http://", "https://", "//")), url


def test_health_check_is_public(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_api_without_credentials_is_401_json(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code in (200, 401)
    response = client.get("/api/v1/me/")
    assert response.status_code in (401, 404)


def test_api_docs_are_served_from_our_own_static_files(staff_client):
    response = staff_client.get(reverse("api-docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not url.startswith(("http://", "https://", "//")), url
