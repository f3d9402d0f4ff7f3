"""Collaboration pages in a real headless Chromium: goal charts drawn under the strict CSP from
their JSON data blocks, progress reported and an obligation marked met through the forms (also
without JavaScript), and axe-core finding no serious WCAG problems."""

import datetime as dt

import pytest
from django.utils import timezone

from agreements.models import Measurement, Obligation
from tests import factories
from tests.conftest import browser_login
from tests.partners.test_browser import axe_problems, watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def story(db, collaboration, goal, circulating, partner_obligation, partner, lead_staff):
    today = timezone.localdate()
    for months, value in ((3, 150), (2, 220), (1, 260)):
        factories.MeasurementFactory(
            goal=goal,
            value=value,
            period_end=today - dt.timedelta(days=30 * months),
            reported_by_organisation=partner,
        )
    factories.staff_user(partner, username="lee", first_name="Lee")
    return collaboration


def test_the_goal_chart_is_drawn_from_its_data_block(page, story, lead_staff):
    violations = watch_csp(page)
    browser_login(page, lead_staff.username)
    page.goto(f"/collaborations/{story.slug}/")
    page.get_by_role("heading", name="Northern Valley Transit Consortium").wait_for()
    canvas = page.locator("canvas[data-chart-source]").first
    canvas.wait_for()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('canvas[data-chart-source]'))"
    )
    points = page.evaluate(
        "() => Chart.getChart(document.querySelector('canvas[data-chart-source]'))"
        ".data.datasets[0].data"
    )
    assert points == [150, 220, 260]
    assert canvas.get_attribute("role") == "img"
    assert "against the target of 500.00 riders" in canvas.get_attribute("aria-label")
    assert not violations, violations
    assert not axe_problems(page)


def test_a_partner_reports_progress_and_marks_its_obligation_met(page, story, goal):
    violations = watch_csp(page)
    browser_login(page, "lee")
    page.goto(f"/collaborations/{story.slug}/")
    page.get_by_role("link", name="Report progress on Riders per month").click()
    page.get_by_role("heading", name="Report progress on Riders per month").wait_for()
    assert not axe_problems(page)
    page.get_by_label("Value").fill("310")
    page.get_by_label("Period ending").fill(timezone.localdate().isoformat())
    page.get_by_label("Evidence note").fill("Fare-box counts")
    page.get_by_role("button", name="Report").click()
    page.get_by_text("310.00 riders was reported").wait_for()
    assert Measurement.objects.filter(value=310, reported_by_organisation__slug="lakeside").exists()

    page.goto(f"/collaborations/{story.slug}/#obligations")
    page.get_by_role("link", name="Mark met Lakeside's annual contribution").click()
    page.get_by_role("button", name="Mark met").click()
    page.get_by_text("This field is required").first.wait_for()
    page.get_by_label("Evidence").fill("EFT 2025-0412")
    page.get_by_role("button", name="Mark met").click()
    page.get_by_text("was marked met").wait_for()
    assert Obligation.objects.get(description="Lakeside's annual contribution").status == "met"
    assert not violations, violations


def test_forms_work_without_javascript(browser, live_server, story, lead_staff, outsider):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        browser_login(page, lead_staff.username)
        page.goto(f"/collaborations/{story.slug}/participations/new/")
        page.get_by_label("Organisation").select_option(label=outsider.name)
        page.get_by_label("Role").select_option("member")
        page.get_by_role("button", name="Add partner").click()
        page.get_by_text("Village of Elsewhere now takes part as member.").wait_for()
        # The measurements' table is there for readers without the chart.
        page.get_by_text("Show the 3 measurements as a table").click()
        assert page.get_by_role("cell", name="260.00").is_visible()
    finally:
        context.close()


def test_the_list_and_forms_have_no_serious_accessibility_problems(page, story, lead_staff):
    browser_login(page, lead_staff.username)
    for path in (
        "/collaborations/",
        "/collaborations/new/",
        f"/collaborations/{story.slug}/agreements/new/",
        f"/collaborations/{story.slug}/obligations/new/",
        f"/collaborations/{story.slug}/status/",
    ):
        page.goto(path)
        page.locator("h1").wait_for()
        assert not axe_problems(page), path
