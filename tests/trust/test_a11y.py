"""Accessibility in a real browser: axe-core (from npm, tests/a11y/) finds no WCAG 2.1 A/AA
violation, of any impact, on any page of the URL resolver, and a person with only a keyboard
(Tab, Shift+Tab, Enter, Space and typing; never a click) can log in, reach every control, set up
a collaboration and draft its agreement, and take a flag from the inbox to an intervention and
its resolution.

The pages come from tests/trust/pages.py, filled with the objects of tests/trust/world.py, so a
page added later is checked without touching this file."""

import re

import pytest

from commissioner.models import Flag
from tests.conftest import browser_login
from tests.factories import (
    PASSWORD,
    CollaborationFactory,
    CommissionerFactory,
    FlagFactory,
    OrganisationFactory,
    ParticipationFactory,
    staff_user,
)
from tests.trust.axe import axe_problems, axe_violations, readable
from tests.trust.pages import all_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Routes that are not pages a person reads, and why axe does not look at them.
NOT_PAGES = {
    "agreements:agreement_document": "a file download (404 when there is no document)",
    "agreements:obligation_evidence_file": "a file download (404 when there is no file)",
    "agreements:participation_contact_options": "an htmx fragment, checked inside its page",
    "partners:picker_suggestions": "an htmx fragment (a listbox's options), checked inside its "
    "page by tests/partners/test_pickers_browser.py",
    "commissioner:flag_acknowledge": "POST only (a button on the flag pages)",
    "commissioner:scan_now": "POST only (a button on the dashboard)",
    "set_language": "POST only (the language switcher's button on every page)",
    "partners:import_confirm": "POST only (a button on the import's page)",
    "partners:organisation_export": "a CSV file",
    "agreements:collaboration_export": "a CSV file",
    "agreements:participation_export": "a CSV file",
    "agreements:obligation_export": "a CSV file",
    "agreements:measurement_export": "a CSV file",
    "commissioner:flag_export": "a CSV file",
    "commissioner:survey_export": "a CSV file",
    "commissioner:survey_respond": "a personal link, which the walk cannot fill from the world's "
    "ids: tests/commissioner/test_survey_browser.py opens it through a real link and checks it",
}


def test_axe_reports_violations_of_every_impact(page):
    """The check can fail, and does not stop at serious problems: an image without alternative
    text (critical) and a viewport that forbids zooming (moderate) are both reported."""
    page.goto("/accounts/login/")
    page.evaluate(
        """() => {
            document.querySelector('main').appendChild(document.createElement('img'));
            document.querySelector('meta[name=viewport]').content =
                'width=device-width, user-scalable=no';
        }"""
    )
    found = {v["id"]: v["impact"] for v in axe_violations(page)}
    assert found.get("image-alt") == "critical", found
    assert found.get("meta-viewport") == "moderate", found


def test_every_page_has_no_wcag_violations(page, world):
    """Every page of the URL resolver as the administrator (who may open them all), the login
    page as nobody, the home page as staff, and forms showing their errors."""
    report, checked = [], set()

    def check(label: str) -> None:
        violations = axe_violations(page)
        if violations:
            report.append(f"{label}:\n{readable(violations)}")
        checked.add(label)

    page.goto("/accounts/login/")
    check("/accounts/login/ as nobody")
    browser_login(page, world.a.staff.username)
    page.get_by_role("heading", name=re.compile("^Welcome")).wait_for()
    check("/ as staff")
    page.goto("/organisations/new/")
    page.get_by_role("button", name="Add organisation").click()
    page.get_by_role("alert").first.wait_for()
    check("/organisations/new/ with errors, as staff")
    page.goto("/collaborations/new/")
    page.get_by_role("button", name="Set up collaboration").click()
    page.get_by_role("alert").first.wait_for()
    check("/collaborations/new/ with errors, as staff")

    page.context.clear_cookies()
    browser_login(page, world.administrator.username)
    page.wait_for_url(re.compile(r"/(commissioner/)?$"))
    for entry in all_pages():
        if entry.name in NOT_PAGES:
            continue
        if not all(entry.param_resources().values()):
            continue  # test_csp.py's meta-test fails on these
        url = entry.url_for(world.a)
        response = page.goto(url)
        if response.status != 200 or "text/html" not in response.headers["content-type"]:
            report.append(f"{url} ({entry.name}): {response.status}, not a page to check")
            continue
        if entry.name == "api-docs":
            page.locator(".opblock").first.wait_for()  # Swagger UI renders after the load
        check(url)
    assert not report, "\n\n".join(report)
    for main_page in (
        "/organisations/",
        f"/organisations/{world.a.organisation.slug}/",
        "/collaborations/",
        f"/collaborations/{world.a.objects['collaborations'].slug}/",
        "/commissioner/",
        "/commissioner/flags/",
        f"/commissioner/flags/{world.a.objects['flags'].pk}/",
        f"/commissioner/meetings/{world.a.objects['meetings'].pk}/attendance/",
    ):
        assert main_page in checked, f"{main_page} was not checked"


# Keyboard only ---------------------------------------------------------------------------------

FOCUSED = """() => { const e = document.activeElement;
    const label = e.labels && e.labels.length ? e.labels[0].textContent : '';
    return (label || e.getAttribute('aria-label') || e.textContent || '').trim()
        .replace(/\\s+/g, ' '); }"""


def focused(page) -> str:
    return page.evaluate(FOCUSED)


def tab_to(page, text: str, limit: int = 120, key: str = "Tab") -> None:
    """Press Tab (or Shift+Tab) until the focused element's label or text is `text` (a field's
    label may go on: "Organisation * (required)")."""
    for _ in range(limit):
        page.keyboard.press(key)
        name = focused(page)
        if name == text or name.startswith(f"{text} "):
            return
    raise AssertionError(f"{text!r} cannot be reached with the keyboard on {page.url}")


def keyboard_login(page, username: str) -> None:
    page.goto("/accounts/login/")
    assert page.evaluate("document.activeElement.id") == "id_username"
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")


def test_log_in_reach_every_control_and_log_out_with_the_keyboard_only(page):
    staff_user(username="keyboard-kim", first_name="Kim")
    page.goto("/accounts/login/")
    # The username field has focus on arrival; behind it the language switcher ("Français"),
    # the brand and the skip link, the first stop.
    assert page.evaluate("document.activeElement.id") == "id_username"
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "Français"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "Skip to main content"
    for _ in range(3):
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_username"
    page.keyboard.type("keyboard-kim")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    assert focused(page) == "Log in"
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Welcome, Kim").wait_for()

    # Every visible link and button is reached with Tab, each with a visible focus indicator.
    controls = page.evaluate(
        """() => [...document.querySelectorAll('a[href], button:not([disabled])')]
            .filter(e => e.getClientRects().length > 0)
            .map((e, i) => { e.dataset.keyboardStop = String(i);
                             return e.tagName + ':' + (e.textContent.trim() || e.href); })"""
    )
    assert len(controls) >= 5, controls
    reached, invisible = set(), []
    for _ in range(len(controls) + 5):
        page.keyboard.press("Tab")
        stop, outlined = page.evaluate(
            """() => { const e = document.activeElement; const style = getComputedStyle(e);
                return [e.dataset ? e.dataset.keyboardStop : undefined,
                        style.outlineStyle !== 'none' || style.boxShadow !== 'none']; }"""
        )
        if stop is None:
            continue  # focus left the page for the browser's own controls, and comes back
        reached.add(int(stop))
        if not outlined:
            invisible.append(controls[int(stop)])
    missed = [control for index, control in enumerate(controls) if index not in reached]
    assert not missed, f"never reached with Tab: {missed}"
    assert not invisible, f"no visible focus on {invisible}"

    # Log out with the keyboard: back to the button with Shift+Tab, then Enter.
    tab_to(page, "Log out", key="Shift+Tab")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Log in to CollabHub").wait_for()


def test_register_an_organisation_with_the_keyboard_only(page):
    staff_user(username="keyboard-lee", first_name="Lee")
    keyboard_login(page, "keyboard-lee")
    page.get_by_role("heading", name="Welcome, Lee").wait_for()

    tab_to(page, "Organisations")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Organisations").wait_for()
    tab_to(page, "New organisation")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="New organisation").wait_for()

    tab_to(page, "Name")
    page.keyboard.type("Keyboard Valley Regional District")
    tab_to(page, "Kind")
    page.keyboard.type("Regional")  # a closed <select> picks the option typed
    tab_to(page, "Add organisation")
    page.keyboard.press("Enter")

    page.get_by_role("heading", name="Keyboard Valley Regional District").wait_for()


def test_set_up_a_collaboration_and_draft_its_agreement_with_the_keyboard_only(page):
    riverton = OrganisationFactory(name="City of Riverton", slug="riverton")
    OrganisationFactory(name="Town of Lakeside", slug="lakeside")
    staff_user(riverton, username="keyboard-kai", first_name="Kai")
    keyboard_login(page, "keyboard-kai")
    page.get_by_role("heading", name="Welcome, Kai").wait_for()

    tab_to(page, "Collaborations")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Collaborations").first.wait_for()
    tab_to(page, "New collaboration")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="New collaboration").wait_for()
    tab_to(page, "Title")
    page.keyboard.type("Keyboard Transit Consortium")
    tab_to(page, "Structure")
    page.keyboard.type("Consortium")
    tab_to(page, "Set up collaboration")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Keyboard Transit Consortium").wait_for()

    tab_to(page, "Add a partner")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Add a partner").wait_for()
    tab_to(page, "Organisation")
    page.keyboard.type("Town")  # a combobox: its suggestions come as one types
    page.get_by_role("option", name=re.compile("^Town of Lakeside")).wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # picks the suggestion, does not submit the form
    assert page.get_by_role("radio", name=re.compile("^Town of Lakeside")).is_checked()
    tab_to(page, "Role")
    page.keyboard.type("Member")
    tab_to(page, "Add partner")
    page.keyboard.press("Enter")
    page.get_by_text("Town of Lakeside now takes part as member.").wait_for()

    tab_to(page, "Draft an agreement")
    page.keyboard.press("Enter")
    page.wait_for_url("**/agreements/new/")
    tab_to(page, "Title")
    page.keyboard.type("Keyboard MOU")
    tab_to(page, "Kind")
    page.keyboard.type("Memorandum")
    for organisation in ("City of Riverton", "Town of Lakeside"):
        tab_to(page, organisation)
        page.keyboard.press("Space")  # a checkbox is ticked with Space
    tab_to(page, "Save draft")
    page.keyboard.press("Enter")
    page.get_by_text("The draft “Keyboard MOU” was saved.").wait_for()
    signatories = page.get_by_role("table", name=re.compile("^Organisations that must sign"))
    assert "City of Riverton" in signatories.inner_text()
    assert "Town of Lakeside" in signatories.inner_text()


def test_commissioner_takes_a_flag_to_an_intervention_and_resolves_it_with_the_keyboard_only(
    page,
):
    commissioner = CommissionerFactory(username="keyboard-cleo", first_name="Cleo")
    collaboration = CollaborationFactory(title="Keyboard Water Board", commissioner=commissioner)
    participation = ParticipationFactory(
        collaboration=collaboration,
        organisation=OrganisationFactory(name="Village of Quietbrook"),
    )
    flag = FlagFactory(
        participation=participation,
        status=Flag.Status.OPEN,
        band="disengaged",
        reasons=["missed 3 of the last 3 meetings"],
    )
    keyboard_login(page, "keyboard-cleo")
    page.get_by_role("heading", name="Dashboard").wait_for()

    tab_to(page, "Flag inbox")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Flags").wait_for()
    assert "missed 3 of the last 3 meetings" in page.locator("#flag-results").inner_text()
    tab_to(page, "Village of Quietbrook")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Flag: Village of Quietbrook").wait_for()

    tab_to(page, "Kind of intervention")
    page.keyboard.type("Call")
    tab_to(page, "What was done or is planned")
    page.keyboard.type("Call the clerk about the missed meetings.")
    tab_to(page, "Log intervention")
    page.keyboard.press("Enter")
    page.get_by_text("The intervention was logged.").wait_for()
    page.get_by_text("Call the clerk about the missed meetings.").wait_for()

    tab_to(page, "How was it resolved?")
    page.keyboard.type("The clerk will attend from next month.")
    tab_to(page, "Resolve flag")
    page.keyboard.press("Space")  # a button is pressed with Space as well as Enter
    page.get_by_text("The flag is resolved.").wait_for()

    flag.refresh_from_db()
    assert flag.status == Flag.Status.RESOLVED
    assert flag.resolution_note == "The clerk will attend from next month."
    assert flag.interventions.get().description == "Call the clerk about the missed meetings."
    assert not axe_problems(page)
