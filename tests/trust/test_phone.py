"""Phones: no page of the URL resolver is wider than a 390 px viewport (a common phone held
portrait). Wide tables scroll inside their own container (`.table-responsive`); the page itself
never scrolls sideways. Pages come from tests/trust/pages.py with the objects of
tests/trust/world.py, so a page added later is checked without touching this file."""

import re

import pytest

from tests.conftest import PHONE, browser_login
from tests.trust.pages import all_pages
from tests.trust.test_a11y import NOT_PAGES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# The page's width, and what sticks out past the viewport outside a scrolling container.
MEASURE = """() => {
  const limit = window.innerWidth;
  const scrolls = (element) => {
    for (let e = element.parentElement; e && e !== document.body; e = e.parentElement) {
      const overflow = getComputedStyle(e).overflowX;
      if (overflow === 'auto' || overflow === 'scroll' || overflow === 'hidden') return true;
    }
    return false;
  };
  const offenders = [];
  for (const element of document.body.querySelectorAll('*')) {
    const box = element.getBoundingClientRect();
    const clips = ['auto', 'scroll', 'hidden'].includes(getComputedStyle(element).overflowX);
    const right = clips ? box.right : Math.max(box.right, box.left + element.scrollWidth);
    if (box.width && right > limit + 1 && !scrolls(element)) {
      const name = element.tagName.toLowerCase() + (element.id ? '#' + element.id : '') +
        (element.className && typeof element.className === 'string'
          ? '.' + element.className.trim().split(/\\s+/).join('.') : '');
      offenders.push(name + ' (' + Math.round(right) + ' px)');
    }
  }
  return {width: document.documentElement.scrollWidth, offenders: offenders.slice(-4)};
}"""


def test_the_measure_finds_a_page_wider_than_a_phone(phone):
    """The check can fail: a wide element outside a scrolling container is found."""
    phone.goto("/accounts/login/")
    assert phone.evaluate(MEASURE)["width"] <= PHONE["width"]
    phone.evaluate(
        """() => {
          const cell = document.createElement('div');
          cell.textContent = 'wide';
          cell.style.minWidth = '900px';  // through the CSSOM: the CSP refuses style attributes
          document.querySelector('main').append(cell);
        }"""
    )
    measured = phone.evaluate(MEASURE)
    assert measured["width"] > PHONE["width"] and measured["offenders"], measured


def test_no_page_is_wider_than_a_phone(phone, world):
    """Every page as the administrator (who may open them all), the login page as nobody and
    the home page as staff (with its due-soon lists)."""
    report, checked = [], []

    def check(label: str) -> None:
        measured = phone.evaluate(MEASURE)
        if measured["width"] > PHONE["width"]:
            report.append(f"{label}: {measured['width']} px wide; {measured['offenders']}")
        checked.append(label)

    phone.goto("/accounts/login/")
    check("/accounts/login/")
    browser_login(phone, world.a.staff.username)
    phone.get_by_role("heading", name=re.compile("^Welcome")).wait_for()
    check("/ as staff")
    phone.context.clear_cookies()
    browser_login(phone, world.administrator.username)
    phone.wait_for_url(re.compile(r"/(commissioner/)?$"))
    for entry in all_pages():
        if entry.name in NOT_PAGES or not all(entry.param_resources().values()):
            continue
        url = entry.url_for(world.a)
        response = phone.goto(url)
        if response.status != 200 or "text/html" not in response.headers["content-type"]:
            continue
        if entry.name == "api-docs":
            phone.locator(".opblock").first.wait_for()
        check(url)
    assert not report, "\n".join(report)
    for main_page in (
        f"/collaborations/{world.a.objects['collaborations'].slug}/",
        f"/organisations/{world.a.organisation.slug}/",
        "/commissioner/",
    ):
        assert main_page in checked
