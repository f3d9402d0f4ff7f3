"""A real browser logs in through the login form against a live server."""

import pytest

from tests.conftest import browser_login
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_user_logs_in_through_the_form(page):
    UserFactory(username="dana", first_name="Dana")
    browser_login(page, "dana")
    page.get_by_role("heading", name="Welcome, Dana").wait_for()
    assert page.url.endswith("/")
    # The page is styled by our own Bootstrap copy.
    background = page.evaluate(
        "getComputedStyle(document.querySelector('nav.navbar')).backgroundColor"
    )
    assert background == "rgb(29, 60, 110)"


def test_wrong_password_shows_an_error_in_the_browser(page):
    UserFactory(username="erin")
    browser_login(page, "erin", "not-the-password")
    alert = page.get_by_role("alert")
    assert "correct username and password" in alert.inner_text()


def test_skip_link_is_the_first_keyboard_stop_and_jumps_to_main(page):
    UserFactory(username="frank", first_name="Frank")
    browser_login(page, "frank")
    page.get_by_role("heading", name="Welcome, Frank").wait_for()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
