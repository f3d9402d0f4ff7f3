"""Issue 21 in a real headless Chromium: the structure advisor answered and followed with the
keyboard only, its explainer pages, and the election-period warnings the collaboration and
health pages load with htmx (and link to without JavaScript); no CSP violation, and axe-core
finds no WCAG 2.1 A/AA violation of any impact."""

import datetime as dt

import pytest
from django.utils import timezone

from agreements.models import Collaboration
from partners.models import ElectionDate, Jurisdiction, Organisation
from tests import factories
from tests.conftest import browser_login
from tests.partners.test_browser import watch_csp
from tests.trust.axe import axe_problems
from tests.trust.test_a11y import focused, keyboard_login, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_advisor_with_the_keyboard_only_to_a_new_collaboration(page):
    violations = watch_csp(page)
    riverton = factories.OrganisationFactory(name="City of Riverton", slug="riverton")
    factories.staff_user(riverton, username="keyboard-kim", first_name="Kim")
    keyboard_login(page, "keyboard-kim")
    page.get_by_role("heading", name="Welcome, Kim").wait_for()
    tab_to(page, "Collaborations")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Collaborations").first.wait_for()
    tab_to(page, "New collaboration")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="New collaboration").wait_for()
    tab_to(page, "Help me choose a structure")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Which structure fits?").wait_for()
    assert not axe_problems(page)

    tab_to(page, "Yes")  # 1. one body funds, others deliver: yes
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # 2. a natural lead: no (the arrow moves and chooses)
    assert focused(page) == "Yes"
    page.keyboard.press("ArrowRight")
    assert page.locator("#id_natural_lead_no").is_checked()
    tab_to(page, "Suggest a structure")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Suggested: Prime contractor").wait_for()
    assert "commissioning bodies" in page.locator("#suggestion").inner_text()
    assert page.locator("#id_funder_delivers_yes").is_checked()  # the answers are kept
    assert not axe_problems(page)

    tab_to(page, "Read about Prime contractor")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Prime contractor", exact=True).wait_for()
    assert not axe_problems(page)
    page.go_back()
    page.get_by_role("heading", name="Suggested: Prime contractor").wait_for()
    tab_to(page, "Use Prime contractor", key="Shift+Tab")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="New collaboration").wait_for()
    assert page.get_by_label("Structure").input_value() == "prime_contractor"
    tab_to(page, "Title")
    page.keyboard.type("Keyboard Youth Employment Service")
    tab_to(page, "Set up collaboration")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Keyboard Youth Employment Service").wait_for()
    collaboration = Collaboration.objects.get(title="Keyboard Youth Employment Service")
    assert collaboration.structure == "prime_contractor"
    tab_to(page, "Prime contractor")  # the structure, linked to its explainer
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Prime contractor", exact=True).wait_for()
    assert not violations, violations


def test_the_advisor_can_be_skipped(page):
    factories.staff_user(factories.OrganisationFactory(), username="skipper")
    browser_login(page, "skipper")
    page.goto("/collaborations/new/structure/")
    page.get_by_role("link", name="Skip the questions and choose a structure myself").click()
    page.get_by_role("heading", name="New collaboration").wait_for()
    page.goto("/collaborations/structures/")
    assert page.get_by_role("row").count() == 7  # a header and the six structures
    assert not axe_problems(page)


@pytest.fixture
def election_story(db):
    today = timezone.localdate()
    municipal = Jurisdiction.objects.create(
        name="Ontario municipalities", kind=Jurisdiction.Kind.MUNICIPAL
    )
    ElectionDate.objects.create(jurisdiction=municipal, date=today + dt.timedelta(days=30))
    lead = factories.OrganisationFactory(
        name="City of Riverton", slug="riverton", municipal_jurisdiction=municipal
    )
    commissioner = factories.CommissionerFactory(username="cora")
    collaboration = factories.CollaborationFactory(
        title="Northern Valley Transit Consortium",
        slug="nv-transit",
        lead_organisation=lead,
        commissioner=commissioner,
        planned_end_date=today + dt.timedelta(days=3000),
    )
    factories.ParticipationFactory(collaboration=collaboration, organisation=lead, role="lead")
    factories.SharedGoalFactory(
        collaboration=collaboration, title="Riders", target_date=today + dt.timedelta(days=45)
    )
    factories.staff_user(lead, username="sam")
    assert Organisation.objects.get(slug="riverton").municipal_jurisdiction == municipal
    return collaboration


def test_the_collaboration_and_health_pages_show_the_election_warnings(page, election_story):
    violations = watch_csp(page)
    browser_login(page, "sam")
    page.goto("/collaborations/nv-transit/")
    warning = page.locator("#election-warnings")
    warning.wait_for()  # loaded by htmx after the page
    assert "Target date of the goal “Riders”" in warning.inner_text()
    assert not axe_problems(page)
    page.get_by_role("link", name="See the whole timeline").click()
    page.get_by_role("heading", name="Timeline: Northern Valley Transit Consortium").wait_for()
    assert page.get_by_role("row").filter(has_text="Ontario municipalities election").count() == 1
    assert not axe_problems(page)
    page.context.clear_cookies()
    browser_login(page, "cora")
    page.goto("/commissioner/collaborations/nv-transit/health/")
    page.locator("#election-warnings").wait_for()
    assert "1 date to plan around elections" in page.locator("#timeline").inner_text()
    assert not axe_problems(page)
    assert not violations, violations


def test_without_javascript_the_pages_link_to_the_timeline(browser, live_server, election_story):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        browser_login(page, "sam")
        page.goto("/collaborations/nv-transit/")
        page.get_by_role("link", name="See the timeline and whether a goal target").click()
        page.get_by_text("1 date to plan around elections").wait_for()
    finally:
        context.close()
