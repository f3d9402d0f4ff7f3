"""Pickers in a real headless Chromium, with the keyboard only: the search box is an ARIA
combobox whose suggestions (htmx) are announced, walked with the arrow keys, picked with Enter
(which does not submit the form) and closed with Escape; the picked organisation is saved; a
filter's box is filled with the picked name; axe finds nothing with the suggestions open; and the
strict Content-Security-Policy blocks nothing."""

import re

import pytest

from agreements.models import Collaboration
from tests import factories
from tests.conftest import browser_login
from tests.partners.test_browser import watch_csp
from tests.trust.axe import axe_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def active_option(page, box) -> str:
    descendant = box.get_attribute("aria-activedescendant")
    return page.locator(f"#{descendant}").inner_text() if descendant else ""


def test_pick_the_lead_organisation_with_the_keyboard(page):
    violations = watch_csp(page)
    commissioner = factories.CommissionerFactory(username="cleo", first_name="Cleo")
    lakeside = factories.OrganisationFactory(name="Lakeside Township", short_name="LT")
    factories.OrganisationFactory(name="Lakeview Water", short_name="LW")
    factories.OrganisationFactory(name="City of Riverton", short_name="CR")
    browser_login(page, commissioner.username)
    page.get_by_role("heading", name="Dashboard").wait_for()
    page.goto("/collaborations/new/")
    page.get_by_role("textbox", name="Title (English)").fill("Shared Snow Clearing")
    page.get_by_label("Structure").select_option(label="Consortium")

    box = page.get_by_role("combobox", name=re.compile("^Lead organisation"))
    box.focus()
    page.keyboard.type("lake")
    page.get_by_role("option", name="Lakeside Township (LT)").wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    listbox = page.get_by_role("listbox", name="Suggested organisations")
    assert listbox.get_by_role("option").count() == 2
    status = page.locator("#id_lead_organisation_group [role=status]")
    assert status.inner_text().startswith("2 suggestions")
    assert not axe_problems(page)

    page.keyboard.press("ArrowDown")
    assert active_option(page, box) == "Lakeside Township (LT)"
    page.keyboard.press("ArrowDown")
    assert active_option(page, box) == "Lakeview Water (LW)"
    page.keyboard.press("ArrowUp")
    assert active_option(page, box) == "Lakeside Township (LT)"
    page.keyboard.press("Escape")
    assert box.get_attribute("aria-expanded") == "false"
    page.keyboard.press("ArrowDown")  # opens the list again
    assert box.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Enter")  # picks, does not submit
    assert box.get_attribute("aria-expanded") == "false"
    assert box.input_value() == "Lakeside Township"
    chosen = page.get_by_role("radio", name="Lakeside Township (LT)")
    assert chosen.is_checked() and chosen.get_attribute("value") == str(lakeside.pk)
    assert status.inner_text() == "Chosen: Lakeside Township (LT)"
    assert not Collaboration.objects.exists()

    page.get_by_role("button", name="Set up collaboration").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Shared Snow Clearing").wait_for()
    assert Collaboration.objects.get().lead_organisation == lakeside
    assert not violations, violations


def test_a_filter_box_is_filled_with_the_picked_name(page):
    administrator = factories.AdministratorFactory(username="ada-admin", first_name="Ada")
    ada = factories.CommissionerFactory(first_name="Ada", last_name="Lovelace")
    factories.CollaborationFactory(title="Analytical Water Board", commissioner=ada)
    factories.CollaborationFactory(title="Someone Else's Roads")
    browser_login(page, administrator.username)
    page.locator("h1").first.wait_for()
    page.goto("/collaborations/")
    box = page.get_by_role("combobox", name=re.compile("^Commissioner"))
    box.focus()
    page.keyboard.type("love")
    page.get_by_role("option", name="Ada Lovelace").wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert box.input_value() == "Ada Lovelace"
    page.get_by_role("button", name="Apply filters").click()
    results = page.locator("#collaboration-results")
    results.get_by_text("Someone Else's Roads").wait_for(state="detached")
    assert "Analytical Water Board" in results.inner_text()
