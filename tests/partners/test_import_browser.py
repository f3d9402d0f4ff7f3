"""The CSV import in a real headless Chromium: an administrator uploads, reads the preview and
imports with the keyboard (the file itself is chosen the way a test can: set on the input); a
file with errors lists them by line; the same without JavaScript; the progress page polled by
htmx reloads itself when the run ends; axe-core finds no WCAG 2.1 A/AA violation."""

import pytest

from partners import imports
from partners.models import ImportRun, Organisation
from tests import factories
from tests.conftest import browser_login
from tests.partners.test_browser import watch_csp
from tests.trust.axe import axe_problems
from tests.trust.test_a11y import keyboard_login, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GOOD = b"name,kind\nCity of Northgate,municipality\nBay Food Bank,non_profit\n"
BAD = b"name,kind\n=HYPERLINK(1),municipality\nTown A,village\n"


def csv_file(name, data):
    return {"name": name, "mimeType": "text/csv", "buffer": data}


@pytest.fixture
def admin(db):
    return factories.AdministratorFactory(username="ada", first_name="Ada")


def test_upload_preview_and_import_with_the_keyboard(page, admin):
    violations = watch_csp(page)
    keyboard_login(page, "ada")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    tab_to(page, "Organisations")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Organisations").first.wait_for()
    tab_to(page, "Import from CSV")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Import from CSV").wait_for()
    assert not axe_problems(page)
    tab_to(page, "The file holds")
    page.keyboard.type("Organisations")
    page.get_by_label("CSV file").set_input_files(csv_file("bad.csv", BAD))
    tab_to(page, "Upload and check")
    page.keyboard.press("Enter")
    page.get_by_text("The file has 2 errors").wait_for()
    errors = page.get_by_role("table", name="Errors, by line").inner_text()
    assert "formula" in errors and "village" in errors
    assert not axe_problems(page)

    page.goto("/organisations/import/")
    page.get_by_label("The file holds").select_option("organisations")
    page.get_by_label("CSV file").set_input_files(csv_file("good.csv", GOOD))
    page.get_by_role("button", name="Upload and check").click()
    page.get_by_text("All 2 rows have no error").wait_for()
    assert not axe_problems(page)
    tab_to(page, "Import 2 rows")
    page.keyboard.press("Enter")
    page.get_by_text("2 rows were imported").first.wait_for()
    assert Organisation.objects.filter(name__in=["City of Northgate", "Bay Food Bank"]).count() == 2
    assert not axe_problems(page)
    assert not violations, violations


def test_the_import_works_without_javascript(browser, live_server, admin):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        browser_login(page, "ada")
        page.goto("/organisations/import/")
        page.get_by_label("The file holds").select_option("organisations")
        page.get_by_label("CSV file").set_input_files(csv_file("good.csv", GOOD))
        page.get_by_role("button", name="Upload and check").click()
        page.get_by_role("button", name="Import 2 rows").click()
        page.get_by_text("2 rows were imported").first.wait_for()
    finally:
        context.close()


def test_the_progress_page_polls_and_reloads_when_the_run_ends(page, admin):
    run = ImportRun.objects.create(
        kind=ImportRun.Kind.ORGANISATIONS, status=ImportRun.Status.IMPORTING, row_count=1000
    )
    imports.progress_set(run.pk, 250, 1000)
    browser_login(page, "ada")
    page.goto(run.get_absolute_url())
    page.get_by_text("Importing: 250 of 1000 rows.").wait_for()
    assert not axe_problems(page)
    imports.progress_set(run.pk, 600, 1000)
    page.get_by_text("Importing: 600 of 1000 rows.").wait_for()  # polled by htmx
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportRun.Status.FAILED, message="Nothing was imported: a test."
    )
    page.get_by_text("Nothing was imported: a test.").wait_for()  # the page reloaded itself
