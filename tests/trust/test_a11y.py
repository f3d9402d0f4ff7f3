"""Accessibility in a real browser: axe-core (from npm, tests/a11y/) finds no WCAG 2.1 A/AA
violation on the main pages, and a person with only a keyboard can log in and move around.

PAGES is the one list of pages checked; add a page there when it lands."""

import re
from pathlib import Path

import pytest

from tests.conftest import browser_login
from tests.factories import (
    PASSWORD,
    AdministratorFactory,
    ContactFactory,
    OrganisationFactory,
    staff_user,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[1] / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# The staff user's organisation, for the pages of one organisation.
ORGANISATION = "a11y-municipality"
# (path, who is signed in: None for nobody, "staff" or "administrator")
PAGES = [
    ("/accounts/login/", None),
    ("/", "staff"),
    ("/", "administrator"),
    ("/accounts/password/change/", "staff"),
    ("/organisations/", "staff"),
    ("/organisations/new/", "staff"),
    (f"/organisations/{ORGANISATION}/", "staff"),
    (f"/organisations/{ORGANISATION}/edit/", "staff"),
    (f"/organisations/{ORGANISATION}/contacts/new/", "staff"),
    (f"/organisations/{ORGANISATION}/tokens/new/", "staff"),
    ("/organisations/people/", "administrator"),
    ("/organisations/people/new/", "administrator"),
]


@pytest.fixture
def axe_page(browser, live_server):
    """A page whose context bypasses the CSP. add_script_tag() injects axe's source as an inline
    <script>, which our policy (rightly) blocks; only this test's context lifts it, so every
    other browser test still runs under the real policy."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs it (npm ci --prefix tests/a11y)")
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def axe_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary),
            }));
        }""",
        WCAG_TAGS,
    )


def readable(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines += [f"    {node}" for node in violation["nodes"][:5]]
    return "\n".join(lines)


def test_axe_runs_and_finds_a_planted_violation(axe_page):
    """The check can fail: an image without alternative text is reported."""
    axe_page.goto("/accounts/login/")
    axe_page.evaluate(
        "() => document.querySelector('main').appendChild(document.createElement('img'))"
    )
    assert "image-alt" in [v["id"] for v in axe_violations(axe_page)]


def test_main_pages_have_no_wcag_violations(axe_page):
    organisation = OrganisationFactory(slug=ORGANISATION, name="Accessible Municipality")
    ContactFactory(organisation=organisation, is_primary=True)
    users = {
        "staff": staff_user(organisation, username="a11y-staff"),
        "administrator": AdministratorFactory(username="a11y-admin"),
    }
    report = []
    signed_in = None
    for path, who in PAGES:
        if who != signed_in:
            axe_page.context.clear_cookies()
            if who is not None:
                browser_login(axe_page, users[who].username)
                axe_page.get_by_role("heading", name=re.compile("^Welcome")).wait_for()
            signed_in = who
        response = axe_page.goto(path)
        assert response.status == 200 and axe_page.url.endswith(path), (path, response.status)
        violations = axe_violations(axe_page)
        if violations:
            report.append(f"{path} as {who or 'nobody'}:\n{readable(violations)}")
    assert not report, "\n\n".join(report)


def test_log_in_and_out_with_the_keyboard_only(page):
    staff_user(username="keyboard-kim", first_name="Kim")
    page.goto("/accounts/login/")
    # The username field has focus on arrival; the skip link is the first stop behind it.
    assert page.evaluate("document.activeElement.id") == "id_username"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_username"
    page.keyboard.type("keyboard-kim")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Log in"
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Welcome, Kim").wait_for()

    # Every link and button of the page can be reached with Tab, and focus is always visible.
    reachable = page.evaluate(
        "() => [...document.querySelectorAll('a[href], button:not([disabled])')]"
        ".filter(e => e.offsetParent !== null).length"
    )
    seen = set()
    for _ in range(reachable + 3):
        page.keyboard.press("Tab")
        info = page.evaluate(
            """() => { const e = document.activeElement;
                const style = getComputedStyle(e);
                return [e.tagName + ':' + (e.getAttribute('href') || e.textContent.trim()),
                        style.outlineStyle !== 'none' || style.boxShadow !== 'none']; }"""
        )
        if info[0].startswith("BODY:"):
            continue  # focus left the page for the browser's own controls, and comes back
        seen.add(info[0])
        assert info[1], f"no visible focus on {info[0]}"
    assert any(item.startswith("BUTTON:Log out") for item in seen), seen

    # Log out with the keyboard: focus the button and press Enter.
    page.get_by_role("button", name="Log out").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Log in to CollabHub").wait_for()


FOCUSED = """() => { const e = document.activeElement;
    const label = e.labels && e.labels.length ? e.labels[0].textContent : '';
    return (label || e.getAttribute('aria-label') || e.textContent || '').trim(); }"""


def tab_to(page, text: str, limit: int = 80) -> None:
    """Press Tab until the focused element's label or text starts with `text`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED).startswith(text):
            return
    raise AssertionError(f"{text!r} cannot be reached with the keyboard on {page.url}")


def test_register_an_organisation_with_the_keyboard_only(page):
    staff_user(username="keyboard-lee", first_name="Lee")
    browser_login(page, "keyboard-lee")
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
