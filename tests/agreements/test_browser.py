"""Collaboration pages in a real headless Chromium: goal charts drawn under the strict CSP from
their JSON data blocks, progress reported and an obligation marked met through the forms (also
without JavaScript), axe-core finding no WCAG 2.1 A/AA violation of any impact, and journey 1 of
issue 7: a staff member from a new organisation to an agreement in force and its first
obligation. Content written in French only reads as French (lang, marker) to an English reader."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from agreements.models import Measurement, Obligation
from tests import factories
from tests.conftest import browser_login
from tests.partners.test_browser import watch_csp
from tests.trust.axe import axe_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pick(page, label: str, name: str) -> None:
    """Choose `name` in the picker labelled `label`: type, then click its suggestion."""
    page.get_by_role("combobox", name=re.compile(f"^{label}")).fill(name)
    page.get_by_role("option", name=re.compile(f"^{re.escape(name)}")).click()
    page.get_by_role("radio", name=re.compile(f"^{re.escape(name)}")).wait_for()


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
        ".data.datasets[0].data.map(point => point.y)"
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
        # Without JavaScript the organisation is searched for, then picked from the results.
        page.get_by_role("textbox", name=re.compile("^Organisation")).fill("elsewhere")
        page.get_by_role("button", name="Search organisations").click()
        page.get_by_role("radio", name=re.compile(f"^{outsider.name}")).check()
        page.get_by_label("Role").select_option("member")
        page.get_by_role("button", name="Add partner").click()
        page.get_by_text("Village of Elsewhere now takes part as member.").wait_for()
        # The measurements' table is there for readers without the chart.
        page.get_by_text("Show the 3 measurements as a table").click()
        assert page.get_by_role("cell", name="260.00").is_visible()
    finally:
        context.close()


def test_the_list_and_forms_have_no_wcag_violations(page, story, lead_staff):
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


def test_staff_set_up_a_prime_contract_from_the_organisation_to_its_first_obligation(page, db):
    """Journey 1 of issue 7, through the real pages only: a staff member registers an
    organisation, sets up a prime-contractor collaboration, adds the partners (the structure rule
    is explained until a prime contractor takes part), drafts an agreement, records both
    signatures, sees it come into force and adds an obligation under it."""
    violations = watch_csp(page)
    riverton = factories.OrganisationFactory(name="City of Riverton", slug="riverton")
    factories.OrganisationFactory(name="Town of Lakeside", slug="lakeside")
    factories.staff_user(riverton, username="sam", first_name="Sam")
    browser_login(page, "sam")
    page.get_by_role("heading", name="Welcome, Sam").wait_for()

    # 1. A new organisation in the directory: the firm that will deliver the service.
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Organisations"
    ).click()
    page.get_by_role("link", name="New organisation").click()
    page.get_by_role("heading", name="New organisation").wait_for()
    page.get_by_role("textbox", name="Name (required)").fill("Northshore Paving Ltd")
    page.get_by_label("Kind").select_option(label="Private firm")
    page.get_by_role("button", name="Add organisation").click()
    page.get_by_role("heading", name="Northshore Paving Ltd").wait_for()
    page.get_by_text("Northshore Paving Ltd was added to the directory.").wait_for()

    # 2. A prime-contractor collaboration led by the staff member's own organisation.
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Collaborations"
    ).click()
    page.get_by_role("link", name="New collaboration").click()
    page.get_by_role("heading", name="New collaboration").wait_for()
    page.get_by_role("textbox", name="Title (English)").fill("Regional Roads Contract")
    page.get_by_label("Structure").select_option(label="Prime contractor")
    # Staff lead with their own organisation: already chosen.
    assert page.get_by_role("radio", name=re.compile("^City of Riverton")).is_checked()
    page.get_by_role("button", name="Set up collaboration").click()
    page.get_by_role("heading", name="Regional Roads Contract").wait_for()
    check = page.locator("#structure-check")
    rule = "needs exactly one prime contractor; it has none"
    assert rule in check.inner_text(), check.inner_text()

    # 3. Partners: a second commissioning body, and still no prime contractor...
    page.get_by_role("link", name="Add a partner").click()
    pick(page, "Organisation", "Town of Lakeside")
    page.get_by_label("Role").select_option(label="Commissioning body")
    page.get_by_role("button", name="Add partner").click()
    page.get_by_text("Town of Lakeside now takes part as commissioning body.").wait_for()
    assert rule in check.inner_text(), check.inner_text()
    # ... until the firm joins as the prime contractor.
    page.get_by_role("link", name="Add a partner").click()
    pick(page, "Organisation", "Northshore Paving Ltd")
    page.get_by_label("Role").select_option(label="Prime contractor")
    page.get_by_role("button", name="Add partner").click()
    page.get_by_text("Northshore Paving Ltd now takes part as prime contractor.").wait_for()
    assert rule not in check.inner_text()
    check.get_by_text("Its active participants meet the structure's rules.").wait_for()

    # 4. The prime contract, signed by the lead and the contractor.
    page.get_by_role("link", name="Draft an agreement").click()
    page.get_by_role("textbox", name="Title (required)").fill("Road maintenance prime contract")
    page.get_by_label("Kind").select_option(label="Prime contract")
    page.get_by_label("City of Riverton").check()
    page.get_by_label("Northshore Paving Ltd").check()
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("The draft “Road maintenance prime contract” was saved.").wait_for()
    assert page.get_by_role("link", name="Sign").count() == 0  # a draft is not signed

    page.get_by_role("link", name="Change status").click()
    page.get_by_label("New status").select_option(label="Circulating for signature")
    page.get_by_role("button", name="Change status").click()
    page.get_by_text("is now circulating for signature").wait_for()

    for organisation, signer in (
        ("City of Riverton", "Mayor Ana Ruiz"),
        ("Northshore Paving Ltd", "Dev Patel, CEO"),
    ):
        page.get_by_role("link", name="Sign", exact=True).click()
        page.get_by_label("Signing organisation").select_option(label=organisation)
        page.get_by_label("Signed by").fill(signer)
        page.get_by_role("button", name="Sign").click()
        page.get_by_text(f"{organisation} signed.").wait_for()
        signed = page.get_by_role("table", name="Organisations that must sign, and who signed when")
        row = signed.get_by_role("row", name=organisation)
        assert signer in row.inner_text() and "Not signed" not in row.inner_text()
    page.get_by_text("Every signatory has now signed: the agreement is in force.").wait_for()
    heading = page.get_by_role("heading", name="Road maintenance prime contract")
    assert "In force" in heading.inner_text()
    assert page.get_by_role("link", name="Sign", exact=True).count() == 0

    # 5. What the contractor owes under it.
    page.get_by_role("link", name="Regional Roads Contract").first.click()
    page.get_by_role("link", name="Add an obligation").click()
    page.get_by_label("Owed by").select_option(label="Northshore Paving Ltd")
    page.get_by_label("Kind").select_option(label="Deliverable")
    page.get_by_label("Description").fill("Resurface Main Street")
    page.get_by_label("Due date").fill("2031-06-30")
    page.get_by_label("Under the agreement").select_option(
        label="Road maintenance prime contract v1"
    )
    page.get_by_role("button", name="Add obligation").click()
    page.get_by_text("The obligation was added.").wait_for()
    row = page.locator("#obligations tr", has_text="Resurface Main Street")
    assert "Northshore Paving Ltd" in row.inner_text()
    assert "Pending" in row.inner_text()

    obligation = Obligation.objects.get(description="Resurface Main Street")
    assert obligation.agreement.status == "in_force"
    assert obligation.collaboration.structure == "prime_contractor"
    assert not violations, violations


def test_the_goal_chart_has_a_time_axis_one_line_per_organisation_and_a_combined_line(
    page, story, goal, lead, partner, lead_staff
):
    """Issue 16: dates on a time axis (the same date reported by two organisations is one
    x position), one series per organisation, the combined figure, target and baseline lines,
    and the figures as tables."""
    factories.MeasurementFactory(
        goal=goal,
        value=90,
        period_end=Measurement.objects.filter(goal=goal).order_by("period_end").first().period_end,
        reported_by_organisation=lead,
    )
    violations = watch_csp(page)
    browser_login(page, lead_staff.username)
    page.goto(f"/collaborations/{story.slug}/goals/{goal.pk}/")
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('canvas[data-chart-source]'))"
    )
    chart = page.evaluate(
        """() => {
          const chart = Chart.getChart(document.querySelector('canvas[data-chart-source]'));
          const x = chart.scales.x;
          return {
            axis: x.type,
            labels: chart.data.datasets.map(d => d.label),
            firstX: chart.data.datasets.map(d => d.data[0].x),
            ticks: x.ticks.map(t => t.label),
          };
        }"""
    )
    assert chart["axis"] == "linear"
    assert chart["labels"] == [
        "City of Riverton",
        "Town of Lakeside",
        "Combined (all partners)",
        "Target",
        "Baseline",
    ]
    # Both organisations' first report is the same day: the same x, not two categories.
    assert chart["firstX"][0] == chart["firstX"][1]
    assert all(len(tick) == 10 and tick[4] == "-" for tick in chart["ticks"]), chart["ticks"]
    tables = page.locator("details table")
    assert tables.count() == 2  # the measurements and the combined figures
    assert "Combined figure of all reporting partners" in tables.nth(1).inner_text()
    assert not violations, violations
    assert not axe_problems(page)


def test_a_partner_corrects_a_measurement_from_the_goal_page(page, story, goal):
    """Issue 16: "Correct" on the goal page, a reason required (the error summary says so), the
    corrected figure in the table and the chart's data, no second report."""
    violations = watch_csp(page)
    browser_login(page, "lee")
    page.goto(f"/collaborations/{story.slug}/goals/{goal.pk}/")
    latest = timezone.localdate() - dt.timedelta(days=30)
    page.get_by_role(
        "link",
        name=f"Correct the measurement of Town of Lakeside for the period ending {latest}",
    ).click()
    page.get_by_role("heading", name="Correct a measurement").wait_for()
    assert not axe_problems(page)
    page.get_by_label("Corrected value").fill("275")
    page.get_by_role("button", name="Correct").click()
    page.get_by_text("This field is required").first.wait_for()
    page.get_by_label("Reason for the correction").fill("Counter re-read: 275, not 260")
    page.get_by_role("button", name="Correct").click()
    page.get_by_text("The measurement was corrected to 275.00 riders").wait_for()
    page.get_by_text("Corrected: Counter re-read: 275, not 260").wait_for()
    measurement = Measurement.objects.get(goal=goal, period_end=latest)
    assert measurement.value == 275
    assert measurement.history.count() == 2
    assert Measurement.objects.filter(goal=goal).count() == 3
    assert not violations, violations


def test_french_only_content_reads_as_french_to_an_english_reader(page, lead, lead_staff):
    """A collaboration written in French only: an English reader sees its title, summary,
    vision and goal in French, each in lang="fr" with a visible "(in French)", and the page
    stays clean for axe (WCAG 3.1.2, language of parts)."""
    collaboration = factories.CollaborationFactory(
        title="Entente de sécurité incendie",
        title_en="",
        title_fr="Entente de sécurité incendie",
        summary_en="",
        summary_fr="Trois municipalités mettent en commun leurs casernes.",
        shared_vision_en="",
        shared_vision_fr="Des secours en moins de dix minutes.",
        lead_organisation=lead,
    )
    factories.SharedGoalFactory(
        collaboration=collaboration, title_en="", title_fr="Délai d'intervention"
    )
    browser_login(page, lead_staff.username)
    page.goto(collaboration.get_absolute_url())
    heading = page.get_by_role("heading", level=1)
    assert heading.locator('[lang="fr"]').inner_text() == "Entente de sécurité incendie"
    assert "(in French)" in heading.inner_text()
    assert page.locator('[lang="fr"]').count() >= 4  # title, summary, vision, goal
    assert not axe_problems(page), axe_problems(page)
