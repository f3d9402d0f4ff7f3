"""The main journeys once in French, in a real browser whose language is Canadian French: the
anonymous log-in page and its switcher, a staff member logging in and setting up a
collaboration (its errors first), the commissioner's dashboard, flag inbox and a flag, and the
other main pages. Each page is lang="fr", in French, and axe-core finds no WCAG 2.1 A/AA
violation (test_a11y.py checks every page in English)."""

import re

import pytest

from tests import factories
from tests.trust.axe import axe_violations, readable

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def french_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="fr-CA")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def french_login(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Nom d'utilisateur").fill(username)
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Ouvrir une session").click()


def test_the_main_journeys_in_french_have_no_wcag_violations(french_page, world):
    page = french_page
    report, checked = [], []

    def check(label: str) -> None:
        assert page.evaluate("() => document.documentElement.lang") == "fr", label
        violations = axe_violations(page)
        if violations:
            report.append(f"{label}:\n{readable(violations)}")
        checked.append(label)

    # Nobody signed in: the browser's French, and the switcher both ways.
    page.goto("/accounts/login/")
    page.get_by_role("heading", name="Ouvrir une session dans CollabHub").wait_for()
    check("/accounts/login/ as nobody")
    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name="Log in to CollabHub").wait_for()
    page.get_by_role("button", name="Français").click()
    page.get_by_role("heading", name="Ouvrir une session dans CollabHub").wait_for()

    # Staff: home, then setting up a collaboration, its errors first.
    french_login(page, world.a.staff.username)
    page.get_by_role("heading", name=re.compile("^Bienvenue")).wait_for()
    check("/ as staff")
    page.goto("/collaborations/new/")
    page.get_by_role("button", name="Créer la collaboration").click()
    page.get_by_role("alert").first.wait_for()
    assert "Il y a un problème" in page.get_by_role("alert").first.inner_text()
    check("/collaborations/new/ with errors, as staff")
    page.get_by_label("Titre (français)").fill("Transport collectif de la Péninsule acadienne")
    page.get_by_label("Structure").select_option(label="Consortium")
    page.get_by_role("button", name="Créer la collaboration").click()
    page.get_by_role("heading", name="Transport collectif de la Péninsule acadienne").wait_for()
    check("a new collaboration, as staff")

    # The commissioner's side, as the administrator (who may open every page).
    page.context.clear_cookies()
    french_login(page, world.administrator.username)
    page.wait_for_url(re.compile(r"/(commissioner/)?$"))
    for url in (
        "/commissioner/",
        "/commissioner/flags/",
        f"/commissioner/flags/{world.a.objects['flags'].pk}/",
        f"/commissioner/meetings/{world.a.objects['meetings'].pk}/attendance/",
        "/organisations/",
        f"/organisations/{world.a.organisation.slug}/",
        "/collaborations/",
        f"/collaborations/{world.a.objects['collaborations'].slug}/",
        f"/commissioner/collaborations/{world.a.objects['collaborations'].slug}/health/",
    ):
        page.goto(url)
        check(url)
    assert not report, "\n\n".join(report)
    assert len(checked) == 13
