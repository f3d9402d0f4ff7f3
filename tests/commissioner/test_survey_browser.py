"""The partnership survey in a real headless Chromium: a partner's contact answers through the
link e-mailed to them with the keyboard only (saving half-way and coming back), and the
commissioner reads the results, chart drawn under the real CSP with its table; axe finds no
WCAG 2.1 A/AA violation on the survey's pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from commissioner.models import SurveyResponse
from commissioner.survey import services
from tests import factories
from tests.commissioner.survey_helpers import answer, collaboration_with_partners
from tests.conftest import browser_login
from tests.partners.test_browser import watch_csp
from tests.trust.axe import axe_violations, readable

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def invited(db, django_capture_on_commit_callbacks):
    commissioner = factories.CommissionerFactory(username="sofia", first_name="Sofia")
    collaboration, partners = collaboration_with_partners(
        3, commissioner=commissioner, title="Keyboard Library Network", slug="library-network"
    )
    with django_capture_on_commit_callbacks(execute=True):
        survey_round = services.survey_round_open(
            actor=commissioner,
            collaboration=collaboration,
            closes_on=timezone.localdate() + dt.timedelta(days=14),
        )
    # The two other partners have answered already, rating trust low (2 of 5).
    for participation in partners[1:]:
        answer(survey_round, participation, {"trust": 2, "purpose": 4, "commitment": 4})
    message = next(m for m in mail.outbox if m.to == [partners[0].contact.email])
    link = re.search(r"https?://\S+/commissioner/survey/respond/\S+/", message.body).group(0)
    return survey_round, partners, link.split("/commissioner/", 1)[1]


FOCUSED_NAME = "() => document.activeElement && document.activeElement.name"


def tab_to_field(page, name: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED_NAME) == name:
            return
    raise AssertionError(f"{name} cannot be reached with the keyboard")


def tab_to_button(page, text: str, limit: int = 200) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent.trim()") == text:
            return
    raise AssertionError(f"{text!r} cannot be reached with the keyboard")


def test_a_contact_answers_through_the_emailed_link_with_the_keyboard_only(page, invited):
    _survey_round, partners, path = invited
    csp = watch_csp(page)
    page.goto(f"/commissioner/{path}")
    page.get_by_role("heading", name=re.compile("^Partnership survey")).wait_for()
    names = page.eval_on_selector_all(
        "fieldset[id^=id_statement_]", "elements => elements.map(e => e.id.slice(3))"
    )
    assert len(names) >= 18
    half = len(names) // 2

    # The first half: each radio group reached with Tab, "4 - agree" chosen with the arrows.
    for name in names[:half]:
        tab_to_field(page, name)
        for _ in range(3):
            page.keyboard.press("ArrowRight")
    tab_to_button(page, "Save and come back later")
    page.keyboard.press("Enter")
    page.get_by_text("Your answers are saved.").wait_for()
    draft = SurveyResponse.objects.get(respondent__contact=partners[0].contact)
    assert draft.submitted_at is None and draft.answers.count() == half

    # Back through the same link: the saved answers are there; the rest, a comment, submit.
    page.goto(f"/commissioner/{path}")
    assert page.locator(f"input[name={names[0]}][value='4']").is_checked()
    for name in names[half:]:
        tab_to_field(page, name)
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        if name == names[-1]:
            break
    page.locator("body").focus()  # (where a person's focus is does not matter from here)
    tab_to_field(page, "comment_trust", limit=400)
    page.keyboard.type("Meetings feel open and honest.")
    tab_to_button(page, "Submit my answers")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Thank you: your answers are submitted").wait_for()
    response = SurveyResponse.objects.get(respondent__contact=partners[0].contact)
    assert response.is_submitted
    assert response.answers.filter(value=4).count() == len(names)
    assert response.comments == {"trust": "Meetings feel open and honest."}

    # The link is spent: a clear page.
    page.goto(f"/commissioner/{path}")
    page.get_by_role("heading", name="Your answers have been submitted").wait_for()
    assert not csp, csp


def test_the_commissioner_reads_the_results_with_chart_and_table(page, invited):
    survey_round, partners, _path = invited
    answer(survey_round, partners[0], {"trust": 5, "purpose": 4, "commitment": 4})
    csp = watch_csp(page)
    browser_login(page, "sofia")
    page.wait_for_url(re.compile(r"/(commissioner/)?$"))
    page.goto("/commissioner/collaborations/library-network/survey/")
    page.get_by_role("link", name=re.compile("^Results of the round")).click()
    page.get_by_role("heading", name=re.compile("^Survey results")).wait_for()
    table = page.get_by_role("table", name=re.compile("^Each principle's average"))
    trust_row = table.get_by_role("row", name=re.compile("^Trust"))
    # Partner A rated trust 5 where the others rated 2: named as diverging.
    assert partners[0].organisation.name in trust_row.inner_text()
    assert "diverges" in trust_row.inner_text()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('survey-scores'))"
    )
    assert not csp, csp
    violations = axe_violations(page)
    assert not violations, readable(violations)


def test_the_survey_pages_have_no_wcag_violations(page, invited):
    survey_round, _partners, path = invited
    report = []

    def check(label):
        violations = axe_violations(page)
        if violations:
            report.append(f"{label}:\n{readable(violations)}")

    page.goto(f"/commissioner/{path}")
    check("the respondent's form")
    page.get_by_role("button", name="Submit my answers").click()
    page.get_by_role("alert").first.wait_for()
    check("the respondent's form with errors")
    page.goto(f"/commissioner/{path[:-6]}XXXXX/")
    page.get_by_role("heading", name="This link does not work").wait_for()
    check("a tampered link")
    browser_login(page, "sofia")
    page.wait_for_url(re.compile(r"/(commissioner/)?$"))
    page.goto("/commissioner/collaborations/library-network/survey/")
    check("the rounds page")
    page.goto(f"/commissioner/survey/rounds/{survey_round.pk}/")
    check("the results page")
    assert not report, "\n\n".join(report)
