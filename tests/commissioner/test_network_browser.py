"""The relationship map in a real headless Chromium: a commissioner reaches an organisation's own
map from the drawing with the keyboard only; axe finds no WCAG 2.1 A/AA violation on either map
(the drawing, its legend and its tables); nothing outside the server is loaded and no CSP
violation is logged; a phone's width does not scroll the page sideways."""

import pytest

from commissioner.models import State
from tests import factories
from tests.conftest import browser_login
from tests.trust.axe import axe_problems
from tests.trust.test_a11y import focused

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def portfolio(db):
    factories.CommissionerFactory(username="cora")
    avon = factories.OrganisationFactory(name="Avon Township", short_name="Avon")
    birch = factories.OrganisationFactory(name="Birch Lake First Nation", kind="first_nation")
    cedar = factories.OrganisationFactory(name="Cedar Valley Non-Profit", kind="non_profit")
    roads = factories.CollaborationFactory(title="Roads")
    water = factories.CollaborationFactory(title="Water")
    for collaboration, members in ((roads, (avon, birch, cedar)), (water, (avon, birch))):
        for organisation in members:
            factories.ParticipationFactory(collaboration=collaboration, organisation=organisation)
    factories.FlagFactory(participation=birch.participations.first())
    factories.EngagementSnapshotFactory(
        participation=cedar.participations.first(), band="engaged", state=State.DRIFTING
    )
    return {"avon": avon, "birch": birch}


def test_from_the_map_to_an_organisations_map_with_the_keyboard(page, portfolio):
    csp = []
    page.on(
        "console",
        lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None,
    )
    browser_login(page, "cora")
    page.goto("/commissioner/network/")
    page.get_by_role("heading", name="Relationship map").wait_for()
    assert not axe_problems(page)
    # Tab into the drawing: each organisation is a link that says what it is.
    for _ in range(80):
        page.keyboard.press("Tab")
        if focused(page).startswith("Birch Lake First Nation (First Nation"):
            break
    else:
        raise AssertionError("the drawing's organisations cannot be reached with the keyboard")
    assert "1 open flag" in focused(page)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Who works with Birch Lake First Nation").wait_for()
    table = page.locator("#network-table tbody")
    assert "Avon Township" in table.inner_text() and "Water" in table.inner_text()
    assert "1 drifting" in table.inner_text()  # Cedar, through Roads
    assert not axe_problems(page)
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert not axe_problems(page)
    assert not csp, csp
