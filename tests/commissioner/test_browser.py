"""The commissioner's dashboard in a real headless Chromium: the journey from the dashboard to a
flag, the score trend chart drawn under the real Content-Security-Policy, and no WCAG 2.1 A/AA
violation (axe-core) on the commissioner's pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from commissioner import demo
from commissioner.models import Flag, Meeting
from tests import factories
from tests.conftest import PHONE, browser_login
from tests.partners.test_browser import watch_csp
from tests.trust.axe import axe_violations, readable, require_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def story(db, monkeypatch):
    """The demo story on two collaborations of one commissioner. Scanned every day of the last
    six weeks only: the pages, not the backtest's agreement with the history (test_demo.py), are
    what is tried here, and each test seeds the story again (the whole span: ~4 minutes of CI)."""
    monkeypatch.setattr(demo, "SCAN_DAYS_AGO", range(42, 0, -1))
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
    """Journey 2 of issue 7 in one go, through the real pages: log in, see the flagged partner
    and its reasons, open the collaboration's health page, log an intervention, resolve the
    flag; what the commissioner sees is asserted at each step."""
    csp_errors = watch_csp(page)
    disengaged = Flag.objects.get(band="disengaged", status__in=Flag.OPEN_STATUSES)
    partner = disengaged.participation.organisation.name
    collaboration = disengaged.participation.collaboration
    reasons = list(disengaged.reasons)
    assert reasons, "the demo scan gave the disengaged partner no reasons"

    # Logs in through the form and lands on the dashboard.
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("claire")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Dashboard").wait_for()
    bands = page.get_by_role("region", name="Partners by state")
    assert re.search(r"Disengaged\s+1\b", bands.inner_text()), bands.inner_text()
    row = page.get_by_role("row", name=re.compile(f"^{collaboration.title} "))
    assert "Disengaged" in row.inner_text(), row.inner_text()

    # The flagged partner, with its reasons, on the dashboard itself.
    flags = page.get_by_role("region", name="Flagged partners")
    on_dashboard = flags.get_by_role("row", name=re.compile(f"^{partner} "))
    assert on_dashboard.is_visible()
    listed = on_dashboard.inner_text()
    assert collaboration.title in listed and "Disengaged" in listed, listed
    for reason in reasons:
        assert reason in listed, (reason, listed)
    assert on_dashboard.get_by_role("link", name=partner).get_attribute("href") == (
        disengaged.get_absolute_url()
    )

    # The same in the flag inbox, filtered by band.
    bands.get_by_role("link", name="See the Disengaged flags").click()
    page.get_by_role("heading", name="Flags").wait_for()
    results = page.locator("#flag-results")
    flagged = results.get_by_role("row", name=re.compile(f"^{partner} "))
    for reason in reasons:
        assert reason in flagged.inner_text(), (reason, flagged.inner_text())
    assert "at risk" not in results.locator("tbody").inner_text().lower()

    # The collaboration's health page: every partner's score, band and reasons.
    flagged.get_by_role("link", name=collaboration.title).click()
    page.get_by_role("heading", name=f"Health: {collaboration.title}").wait_for()
    partners = page.get_by_role("table", name=re.compile("^Each partner's engagement score"))
    health_row = partners.get_by_role("row", name=re.compile(f"^{partner} "))
    assert "Disengaged" in health_row.inner_text()
    for reason in reasons:
        assert reason in health_row.inner_text(), (reason, health_row.inner_text())

    # Logs an intervention on the flag.
    health_row.get_by_role("link").click()
    page.get_by_role("heading", name=f"Flag: {partner}").wait_for()
    page.get_by_label("Kind of intervention").select_option(label="Meeting")
    page.get_by_label("What was done or is planned").fill("Meet the CAO about the arrears.")
    page.get_by_label("Due date").fill("2031-01-15")
    page.get_by_role("button", name="Log intervention").click()
    page.get_by_text("The intervention was logged.").wait_for()
    logged = (
        page.get_by_role("region", name="Interventions")
        .get_by_role("article")
        .filter(has_text="Meet the CAO about the arrears.")
    )
    assert "Due: 2031-01-15" in logged.inner_text()

    # Resolves the flag.
    page.get_by_role("button", name="Resolve flag").click()
    page.get_by_text("This field is required").first.wait_for()  # an empty note is refused
    page.get_by_label("How was it resolved?").fill("Agreed a payment plan with the CAO.")
    page.get_by_role("button", name="Resolve flag").click()
    page.get_by_text("The flag is resolved.").wait_for()
    facts = page.locator("main dl").first.inner_text()
    assert "Resolved" in facts and "Agreed a payment plan with the CAO." in facts
    assert page.get_by_role("button", name="Resolve flag").count() == 0

    # The inbox of open flags no longer lists it.
    page.goto("/commissioner/flags/")
    assert partner not in page.locator("#flag-results tbody").inner_text()

    disengaged.refresh_from_db()
    assert disengaged.status == "resolved"
    assert disengaged.interventions.filter(kind="meeting").exists()
    assert not csp_errors, csp_errors


def test_a_commissioner_acknowledges_a_flag_from_the_inbox(page, story):
    # The demo's second partner: drifting (still engaged, missing meetings and quiet) or at risk.
    at_risk = Flag.objects.exclude(band="disengaged").get(status="open")
    name = at_risk.participation.organisation.name
    browser_login(page, "claire")
    page.get_by_role("heading", name="Dashboard").wait_for()
    page.get_by_role("link", name="Flag inbox").click()
    page.get_by_role("heading", name="Flags").wait_for()
    page.get_by_role("button", name=f"Acknowledge {name}").click()
    page.get_by_text(f"The flag on {name} is acknowledged.").wait_for()
    assert page.get_by_role("button", name=f"Acknowledge {name}").count() == 0
    at_risk.refresh_from_db()
    assert at_risk.status == "acknowledged"


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


def test_the_score_trend_chart_spaces_scans_in_proportion_to_time(page, db):
    """A 14-day gap is drawn twice as wide as a 7-day one, and the ticks are the scan dates."""
    commissioner = factories.CommissionerFactory(username="claire")
    collaboration = factories.CollaborationFactory(commissioner=commissioner, slug="spaced")
    participation = factories.ParticipationFactory(collaboration=collaboration)
    today = timezone.localdate()
    scans = [today - dt.timedelta(days=days) for days in (21, 7, 0)]
    for day, score in zip(scans, (40, 60, 55), strict=True):
        factories.EngagementSnapshotFactory(participation=participation, scan_date=day, score=score)
    browser_login(page, "claire")
    page.get_by_role("heading", name="Dashboard").wait_for()
    page.goto("/commissioner/collaborations/spaced/health/")
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('score-trend'))"
    )
    xs, ticks = page.evaluate(
        """() => {
            const chart = Chart.getChart(document.getElementById('score-trend'));
            return [
                chart.getDatasetMeta(0).data.map((point) => point.x),
                chart.scales.x.ticks.map((tick) => tick.label),
            ];
        }"""
    )
    assert xs[1] - xs[0] == pytest.approx(2 * (xs[2] - xs[1]), rel=0.01)
    assert ticks == [day.isoformat() for day in scans]


@pytest.fixture
def axe_page(browser, live_server):
    """A context that lets axe's injected script run (the suite's own pages keep the CSP)."""
    require_axe()
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


@pytest.fixture
def harbour(db):
    """A collaboration led by Port Ellis (staff "lena" manage it) with Pine Creek as a partner
    (staff "piet" read it)."""
    lead = factories.OrganisationFactory(name="Port Ellis")
    partner = factories.OrganisationFactory(name="Pine Creek")
    collaboration = factories.CollaborationFactory(
        title="Harbour Water", slug="harbour", lead_organisation=lead
    )
    factories.ParticipationFactory(collaboration=collaboration, organisation=lead)
    factories.ParticipationFactory(collaboration=collaboration, organisation=partner)
    factories.staff_user(lead, username="lena")
    factories.staff_user(partner, username="piet")
    factories.MeetingFactory(collaboration=collaboration, title="Spring board meeting")
    return collaboration


def test_staff_reach_meetings_from_the_collaboration_and_managers_record_them(page, harbour):
    """Issue 16: meetings are part of the staff journey. A partner's staff go from the
    collaboration page to its meetings and back; the lead's staff create a meeting there and
    record who came."""
    violations = watch_csp(page)
    browser_login(page, "piet")
    page.goto("/collaborations/harbour/")
    meetings = page.get_by_role("region", name="Meetings")
    assert "Spring board meeting" in meetings.inner_text()
    assert meetings.get_by_role("link", name="New meeting").count() == 0
    meetings.get_by_role("link", name="All meetings and attendance").click()
    page.get_by_role("heading", name="Meetings: Harbour Water").wait_for()
    page.get_by_role("link", name="Spring board meeting").click()
    page.get_by_role("heading", name="Spring board meeting").wait_for()
    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Harbour Water"
    ).click()
    page.get_by_role("heading", name=re.compile("^Harbour Water")).wait_for()

    page.context.clear_cookies()
    browser_login(page, "lena")
    page.goto("/collaborations/harbour/")
    page.get_by_role("region", name="Meetings").get_by_role("link", name="New meeting").click()
    page.get_by_label("Title").fill("Summer working group")
    page.get_by_label("Date and time").fill("2026-06-15T14:30")
    page.get_by_role("button", name="Add meeting").click()
    page.get_by_role("heading", name="Attendance: Summer working group").wait_for()
    page.get_by_label("Port Ellis").select_option("present")
    page.get_by_label("Pine Creek").select_option("apologies")
    page.get_by_role("button", name="Save attendance").click()
    page.get_by_text("Attendance saved").wait_for()
    meeting = Meeting.objects.get(title="Summer working group")
    assert sorted(meeting.attendances.values_list("status", flat=True)) == [
        "apologies",
        "present",
    ]
    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Harbour Water"
    ).click()
    row = page.get_by_role("region", name="Meetings").get_by_role(
        "row", name=re.compile("Summer working group")
    )
    assert row.get_by_role("cell").nth(1).inner_text().strip() == "1"
    assert violations == []


def in_view(locator) -> bool:
    """The element is drawn within the phone's width (not in a box scrolled sideways)."""
    box = locator.bounding_box()
    return bool(box) and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


# Whether a table's scrolling box has anything to scroll sideways.
SCROLLS_SIDEWAYS = "box => box.scrollWidth > box.clientWidth + 1"
# What the ::before of the first cell with a data-label shows.
FIRST_LABEL = """table => getComputedStyle(table.querySelector('td[data-label]'), '::before')
  .content"""


def accessibility_roles(page) -> set[str]:
    """The roles in Chromium's own accessibility tree (what a screen reader is given)."""
    session = page.context.new_cdp_session(page)
    nodes = session.send("Accessibility.getFullAXTree")["nodes"]
    return {node["role"]["value"].lower() for node in nodes if node.get("role")}


def test_on_a_phone_the_inbox_actions_and_the_health_reasons_are_in_view(phone, story):
    """At 390 px the inbox's and the health page's tables stack, a card per row: a flag's
    Acknowledge and Open buttons, a partner's reasons and flag are on screen without scrolling
    sideways, each cell after its column's name, and the tables are still tables to a screen
    reader."""
    to_acknowledge = Flag.objects.filter(status="open").first()
    name = to_acknowledge.participation.organisation.name
    browser_login(phone, "claire")
    phone.get_by_role("heading", name="Dashboard").wait_for()

    phone.goto("/commissioner/flags/")
    table = phone.get_by_role("table", name="Flags raised on partners, newest first")
    row = table.get_by_role("row", name=re.compile(f"^{name} "))
    assert in_view(row.get_by_role("button", name=f"Acknowledge {name}"))
    assert in_view(row.get_by_role("link", name=f"Open {name}"))
    assert not phone.locator("#flag-results .table-responsive").evaluate(SCROLLS_SIDEWAYS)
    assert table.evaluate(FIRST_LABEL).startswith('"Collaboration"')
    assert {"table", "row", "cell", "columnheader", "rowheader"} <= accessibility_roles(phone)

    disengaged = Flag.objects.get(band="disengaged", status__in=Flag.OPEN_STATUSES)
    partner = disengaged.participation.organisation.name
    phone.goto(
        f"/commissioner/collaborations/{disengaged.participation.collaboration.slug}/health/"
    )
    table = phone.get_by_role("table", name=re.compile("^Each partner's engagement score"))
    row = table.get_by_role("row", name=re.compile(f"^{partner} "))
    reasons = row.get_by_role("cell").filter(has=phone.locator(".reasons"))
    assert reasons.count() == 1 and in_view(reasons)
    for reason in disengaged.reasons:
        assert in_view(reasons.get_by_text(reason))
    assert in_view(row.get_by_role("link", name=disengaged.get_status_display()))
    assert not table.locator("xpath=..").evaluate(SCROLLS_SIDEWAYS)
    assert table.evaluate(FIRST_LABEL).startswith('"Score"')
    assert {"table", "row", "cell", "columnheader", "rowheader"} <= accessibility_roles(phone)
