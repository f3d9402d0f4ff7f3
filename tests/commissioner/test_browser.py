"""The commissioner's dashboard in a real headless Chromium: the journey from the dashboard to a
flag, the score trend chart drawn under the real Content-Security-Policy, and no WCAG 2.1 A/AA
violation (axe-core) on the commissioner's pages."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from commissioner import demo
from commissioner.models import Flag, Meeting
from tests import factories
from tests.conftest import browser_login
from tests.trust.test_a11y import AXE, axe_violations, readable

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def story(db):
    """The demo story on two collaborations of one commissioner."""
    commissioner = factories.CommissionerFactory(username="claire", first_name="Claire")
    for index in range(2):
        collaboration = factories.CollaborationFactory(
            commissioner=commissioner, slug=f"story-{index}", title=f"Story {index}"
        )
        for number in range(3):
            factories.ParticipationFactory(
                collaboration=collaboration,
                organisation=factories.OrganisationFactory(name=f"Town {index}{number}"),
                joined_on=timezone.localdate().replace(year=timezone.localdate().year - 1),
            )
    demo.seed()
    return commissioner


def test_a_commissioner_goes_from_the_dashboard_to_a_flag_and_acts(page, story):
    csp_errors = []
    page.on(
        "console",
        lambda message: (
            csp_errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    browser_login(page, "claire")
    page.get_by_role("heading", name="Dashboard").wait_for()
    page.get_by_role("link", name="Flag inbox").click()
    page.get_by_role("heading", name="Flags").wait_for()
    disengaged = Flag.objects.get(band="disengaged", status__in=Flag.OPEN_STATUSES)
    at_risk = Flag.objects.get(band="at_risk", status="open")
    name = at_risk.participation.organisation.name
    page.get_by_role("button", name=f"Acknowledge {name}").click()
    page.get_by_text(f"The flag on {name} is acknowledged.").wait_for()
    at_risk.refresh_from_db()
    assert at_risk.status == "acknowledged"

    page.get_by_role("link", name=disengaged.participation.organisation.name).first.click()
    page.get_by_role("heading", name=re.compile("^Flag: ")).wait_for()
    assert page.get_by_text("missed 3 of the last 3 meetings").is_visible()
    page.get_by_label("How was it resolved?").fill("Agreed a payment plan with the CAO.")
    page.get_by_role("button", name="Resolve flag").click()
    page.get_by_text("The flag is resolved.").wait_for()
    disengaged.refresh_from_db()
    assert disengaged.status == "resolved"
    assert not csp_errors, csp_errors


def test_the_score_trend_chart_is_drawn_with_its_table(page, story):
    browser_login(page, "claire")
    page.get_by_role("heading", name="Dashboard").wait_for()
    page.goto("/commissioner/collaborations/story-0/health/")
    page.get_by_role("heading", name="Score trend").wait_for()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('score-trend'))"
    )
    datasets = page.evaluate(
        "() => Chart.getChart(document.getElementById('score-trend')).data.datasets.length"
    )
    assert datasets == 3
    page.get_by_text("Score trend as a table").click()
    assert page.get_by_role("table").filter(has_text="Town 00").first.is_visible()


@pytest.fixture
def axe_page(browser, live_server):
    """A context that lets axe's injected script run (the suite's own pages keep the CSP)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs it (npm ci --prefix tests/a11y)")
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_the_commissioner_pages_have_no_wcag_violations(axe_page, story):
    flag = Flag.objects.filter(status__in=Flag.OPEN_STATUSES).first()
    meeting = Meeting.objects.filter(collaboration__slug="story-0").first()
    paths = [
        "/commissioner/",
        "/commissioner/flags/",
        f"/commissioner/flags/{flag.pk}/",
        f"/commissioner/flags/{flag.pk}/resolve/",
        f"/commissioner/flags/{flag.pk}/interventions/new/",
        "/commissioner/collaborations/story-0/health/",
        "/commissioner/collaborations/story-0/check-in/",
        "/commissioner/collaborations/story-0/policy/",
        "/commissioner/collaborations/story-0/meetings/",
        "/commissioner/collaborations/story-0/meetings/new/",
        f"/commissioner/meetings/{meeting.pk}/",
        f"/commissioner/meetings/{meeting.pk}/attendance/",
    ]
    browser_login(axe_page, "claire")
    axe_page.get_by_role("heading", name="Dashboard").wait_for()
    report = []
    for path in paths:
        response = axe_page.goto(path)
        assert response.status == 200, (path, response.status)
        violations = axe_violations(axe_page)
        if violations:
            report.append(f"{path}:\n{readable(violations)}")
    assert not report, "\n\n".join(report)
