"""The foundation as a user meets it: login, logout, password change, errors, security headers."""

import re
from html.parser import HTMLParser

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


@pytest.mark.parametrize("url", ["/api/v1/me/", "/api/v1/organisations/"])
def test_api_without_credentials_is_401_json(client, url):
    response = client.get(url, HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_api_docs_are_served_from_our_own_static_files(staff_client):
    response = staff_client.get(reverse("api-docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not url.startswith(("http://", "https://", "//")), url


class _Elements(HTMLParser):
    """Every element's attributes and text, by id; the <input> elements; the lang of <html>."""

    def __init__(self):
        super().__init__()
        self.text_by_id: dict[str, str] = {}
        self.inputs: dict[str, dict[str, str]] = {}
        self.alerts: list[str] = []
        self.lang = None
        self._open: list[tuple[str, str | None, bool]] = []  # (tag, id, is alert)

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag == "input":
            self.inputs[attrs.get("name", "")] = attrs
            return
        if tag in {"meta", "link", "br", "img"}:
            return
        element_id = attrs.get("id")
        if element_id:
            self.text_by_id[element_id] = ""
        self._open.append((tag, element_id, attrs.get("role") == "alert"))
        if attrs.get("role") == "alert":
            self.alerts.append("")

    def handle_endtag(self, tag):
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data):
        for _tag, element_id, is_alert in self._open:
            if element_id:
                self.text_by_id[element_id] += data
            if is_alert:
                self.alerts[-1] += data


def parse(response) -> _Elements:
    parser = _Elements()
    parser.feed(response.content.decode())
    return parser


def described_by(page: _Elements, field: str) -> str:
    """The text a screen reader announces as the description of a field."""
    ids = page.inputs[field].get("aria-describedby", "").split()
    assert ids, f"{field} has no aria-describedby"
    for element_id in ids:
        assert element_id in page.text_by_id, f"{field} points at a missing id {element_id!r}"
    return " ".join(page.text_by_id[element_id] for element_id in ids)


def test_an_empty_login_says_which_fields_are_missing(client):
    response = client.post(reverse("login"), {"username": "", "password": ""})
    assert response.status_code == 200
    page = parse(response)
    # A summary announced on arrival, naming each field...
    assert len(page.alerts) == 1
    summary = " ".join(page.alerts[0].split())
    assert "Username: This field is required." in summary
    assert "Password: This field is required." in summary
    # ...and each field marked invalid and described by its own message.
    for field in ("username", "password"):
        assert page.inputs[field].get("aria-invalid") == "true"
        assert "This field is required." in described_by(page, field)


def test_a_missing_password_is_reported_on_the_password_field_only(client):
    response = client.post(reverse("login"), {"username": "alice", "password": ""})
    page = parse(response)
    assert "This field is required." in described_by(page, "password")
    assert "aria-invalid" not in page.inputs["username"]
    assert page.inputs["username"]["value"] == "alice"


def test_a_bad_login_describes_both_fields_with_the_error(client):
    UserFactory(username="alice")
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    page = parse(response)
    assert "Please enter a correct username and password" in page.alerts[0]
    for field in ("username", "password"):
        assert "Please enter a correct username" in described_by(page, field)


def test_a_french_browser_gets_the_english_text_labelled_english(client):
    # No French catalogue exists yet: lang="fr" over English text would mislead screen readers.
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.9,en;q=0.5")
    assert parse(response).lang == "en"
    assert response["Content-Language"] == "en"
    assert "Log in to CollabHub" in response.content.decode()


def test_health_check_answers_whatever_the_host(client, settings):
    # Docker compose checks http://localhost:8000/healthz inside the container; a deployment's
    # ALLOWED_HOSTS names its public host only, and production redirects to HTTPS.
    settings.ALLOWED_HOSTS = ["collabhub.example.ca"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="localhost:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    # Every other path still validates the host.
    assert client.get(reverse("login"), HTTP_HOST="localhost:8000").status_code == 400
