"""Partners pages in a real headless Chromium: the directory's filters, issuing and revoking a
token, the same without JavaScript, no CSP violations, and axe-core finding no WCAG 2.1 A/AA
violation of any impact (tests/trust/axe.py: a missing axe-core fails, never skips)."""

import pytest

from partners.models import ApiToken, Organisation
from tests import factories
from tests.conftest import browser_login
from tests.trust.axe import axe_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch_csp(page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


@pytest.fixture
def riverton(db):
    organisation = factories.OrganisationFactory(name="City of Riverton", slug="riverton")
    factories.OrganisationFactory(
        name="Wolf Lake First Nation", slug="wolf-lake", kind=Organisation.Kind.FIRST_NATION
    )
    factories.ContactFactory(organisation=organisation, name="Amara Okafor", is_primary=True)
    factories.staff_user(organisation, username="sam", first_name="Sam")
    return organisation


def test_staff_filter_the_directory_issue_and_revoke_a_token(page, riverton):
    violations = watch_csp(page)
    page.on("dialog", lambda dialog: dialog.accept())
    browser_login(page, "sam")
    page.get_by_role("link", name="Organisations").first.click()
    page.get_by_role("heading", name="Organisations").wait_for()

    page.get_by_label("Search", exact=True).fill("wolf")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**q=wolf**")
    results = page.locator("#organisation-results tbody")
    results.get_by_role("link", name="Wolf Lake First Nation").wait_for()
    assert "City of Riverton" not in results.inner_text()

    page.goto("/organisations/riverton/")
    page.get_by_role("link", name="Issue an API token").click()
    page.get_by_label("Name").fill("Reporting system")
    page.get_by_label("Read-write").check()
    page.get_by_role("button", name="Issue token").click()
    page.get_by_role("heading", name="API token issued").wait_for()
    raw = page.get_by_label("Token “Reporting system”").input_value()
    token = ApiToken.objects.get()
    assert raw.startswith(f"chb_{token.prefix}_") and token.write_enabled
    # JavaScript revealed the copy button.
    assert page.get_by_role("button", name="Copy").is_visible()

    page.get_by_role("link", name="Back to City of Riverton").click()
    assert raw not in page.content()
    page.get_by_role("link", name="Revoke Reporting system").click()
    page.get_by_role("button", name="Revoke token").click()
    page.get_by_text("was revoked").wait_for()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert violations == []


def test_forms_work_without_javascript(browser, live_server, riverton):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        browser_login(page, "sam")
        page.goto("/organisations/")
        page.get_by_label("Kind").select_option("first_nation")
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url("**kind=first_nation**")
        assert "City of Riverton" not in page.locator("tbody").inner_text()

        page.goto("/organisations/new/")
        name = page.get_by_role("textbox", name="Name (required)")
        name.fill("City of Riverton")
        page.get_by_label("Kind").select_option("municipality")
        page.get_by_role("button", name="Add organisation").click()
        alert = page.get_by_role("alert")
        assert "already exists" in alert.inner_text()
        name = page.get_by_role("textbox", name="Name (required)")
        assert name.get_attribute("aria-invalid") == "true"

        page.goto("/organisations/riverton/tokens/new/")
        page.get_by_label("Name").fill("No-JS token")
        page.get_by_role("button", name="Issue token").click()
        assert page.get_by_label("Token “No-JS token”").input_value().startswith("chb_")
    finally:
        context.close()


def test_partners_pages_pass_axe(page, riverton):
    admin = factories.AdministratorFactory(username="ada")
    factories.api_token(riverton, name="Nightly sync")
    browser_login(page, admin.username)
    page.get_by_role("heading", name="Welcome, " + admin.get_full_name()).wait_for()
    problems = {}
    for url in (
        "/organisations/",
        "/organisations/?kind=planet",
        "/organisations/riverton/",
        "/organisations/riverton/edit/",
        "/organisations/riverton/contacts/new/",
        "/organisations/riverton/tokens/new/",
        "/organisations/riverton/deactivate/",
        "/organisations/new/",
        "/organisations/people/",
        "/organisations/people/new/",
    ):
        page.goto(url)
        found = axe_problems(page)
        if found:
            problems[url] = found
    # A form showing its errors.
    page.goto("/organisations/new/")
    page.get_by_role("button", name="Add organisation").click()
    page.get_by_role("alert").wait_for()
    if found := axe_problems(page):
        problems["/organisations/new/ (errors)"] = found
    assert problems == {}
    # The checker itself can fail: an unlabelled field is found.
    page.evaluate("document.querySelector('main').append(document.createElement('input'))")
    assert any(problem.startswith("label ") for problem in axe_problems(page))


def test_staff_register_an_organisation_and_add_its_first_contact(page, riverton):
    """Issue 16: the registrant used to get a 403 page on "Add a contact"."""
    violations = watch_csp(page)
    browser_login(page, "sam")
    page.goto("/organisations/new/")
    page.get_by_role("textbox", name="Name (required)").fill("Town of Brookfield")
    page.get_by_label("Kind").select_option("municipality")
    page.get_by_role("button", name="Add organisation").click()
    page.get_by_role("heading", name="Town of Brookfield").wait_for()
    assert "You registered Town of Brookfield" in page.locator("#who-manages").inner_text()
    if found := axe_problems(page):
        raise AssertionError(found)
    page.get_by_role("link", name="Add a contact").click()
    page.get_by_role("textbox", name="Name (required)").fill("Ines Clerk")
    page.get_by_role("button", name="Add contact").click()
    page.get_by_role("rowheader", name="Ines Clerk").wait_for()
    assert Organisation.objects.get(name="Town of Brookfield").contacts.count() == 1
    assert violations == []
