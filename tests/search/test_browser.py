"""Global search in a real headless Chromium, keyboard only: from any page, Tab to the header's
box, type, Enter, and Tab to a result; the same form works with JavaScript off; axe finds no
WCAG 2.1 A/AA violation on the results, and no CSP violation is logged."""

import pytest

from tests import factories
from tests.conftest import browser_login
from tests.trust.axe import axe_problems
from tests.trust.test_a11y import tab_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def searchable(db):
    lakeside = factories.OrganisationFactory(name="Town of Lakeside", slug="lakeside")
    factories.staff_user(lakeside, username="sam", first_name="Sam")
    water = factories.CollaborationFactory(title="Lakeside Water Board", lead_organisation=lakeside)
    factories.ParticipationFactory(collaboration=water, organisation=lakeside)
    factories.ContactFactory(organisation=lakeside, name="Lake Contact")
    factories.SharedGoalFactory(collaboration=water, title="Lake water quality")
    factories.AgreementFactory(collaboration=water, title="Lakeside water MOU")
    return water


def test_search_from_the_header_with_the_keyboard_only(page, searchable):
    csp = []
    page.on(
        "console",
        lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None,
    )
    browser_login(page, "sam")
    page.goto("/collaborations/")
    tab_to(page, "Search organisations, contacts, collaborations, agreements and goals")
    page.keyboard.type("lake wat")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=lake+wat")
    page.get_by_role("heading", name="Collaborations").wait_for()
    assert page.get_by_role("status").first.inner_text().startswith("3 matches")
    tab_to(page, "Lakeside Water Board")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Lakeside Water Board").first.wait_for()
    assert page.url.endswith(f"/collaborations/{searchable.slug}/")
    page.goto("/search/?q=lak")
    assert not axe_problems(page)
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert not axe_problems(page)
    assert not csp, csp


def test_search_works_without_javascript(browser, live_server, searchable):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        browser_login(page, "sam")
        page.goto("/search/")
        page.get_by_label(
            "Organisations, contacts, collaborations, agreements and goals", exact=True
        ).fill("lake qual")
        page.get_by_role("main").get_by_role("button", name="Search").click()
        page.get_by_role("link", name="Lake water quality").wait_for()
        assert "1 match" in page.get_by_role("status").first.inner_text()
    finally:
        context.close()
