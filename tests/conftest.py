"""Shared fixtures: users of each role, API clients, query counting, the browser."""

import os
import shutil

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation
from rest_framework.test import APIClient

from tests import factories

# Playwright's sync API runs an event loop in the main thread; Django would then refuse the
# test's own (synchronous) database calls. The browser tests are synchronous code, so allow it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")


@pytest.fixture(autouse=True)
def _deployment_language():
    """Every test starts in the deployment's language. A request by a French reader leaves
    French active in the test's thread (the test client runs the request in it), and a row
    created then would be written into the French columns of translated fields
    (docs/translations.md), not the English ones the next test expects."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttling and other cached state never leaks from one test into the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def organisation(db):
    return factories.OrganisationFactory()


@pytest.fixture
def staff(db, organisation):
    return factories.staff_user(organisation)


@pytest.fixture
def commissioner(db):
    return factories.CommissionerFactory()


@pytest.fixture
def administrator(db):
    return factories.AdministratorFactory()


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def commissioner_client(client, commissioner):
    client.force_login(commissioner)
    return client


@pytest.fixture
def admin_client_(client, administrator):
    client.force_login(administrator)
    return client


@pytest.fixture
def api_client():
    return APIClient()


def token_client(organisation, *, write=True) -> APIClient:
    """An API client authenticated with a new token of `organisation`."""
    _, raw = factories.api_token(organisation, write=write)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


@pytest.fixture
def partner_api(db, organisation):
    return token_client(organisation)


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright (which cannot download its own here)."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    external_requests = []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((live_server.url, "data:", "about:"))
            else external_requests.append(request.url)
        ),
    )
    yield page
    context.close()
    assert not external_requests, f"page loaded resources from outside: {external_requests}"


# A common phone held portrait.
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, live_server):
    """A page the size of a phone (PHONE)."""
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def browser_login(page, username: str, password: str = factories.PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
