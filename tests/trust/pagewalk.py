"""The browser-side isolation walk: every page of the URL resolver, as organisation A's staff
user, against organisation B's objects. Each function returns the failures it found."""

import re
from urllib.parse import urljoin

from tests.trust.html import htmx_actions, post_forms
from tests.trust.pages import all_pages

# The part of a route after its last parameter says what the page does; these words mean it
# changes something (or is an organisation's own administration: its tokens and staff).
WRITE_PAGE = re.compile(
    r"\b(edit|update|delete|remove|new|add|create|sign|mark|met|confirm|withdraw|status|"
    r"acknowledge|resolve|record|revoke|issue|deactivate|activate|invite|tokens?|staff|close|"
    r"reopen|upload|check-?in|intervene|interventions?/new|scan)\b"
)


LOGOUT = "/accounts/logout"


def tail(route: str) -> str:
    return route.rsplit(">", 1)[-1].strip("/") if ">" in route else ""


def b_pages(pages=None):
    """Pages with parameters the world can fill (with B's objects)."""
    return [
        page
        for page in (pages or all_pages())
        if page.params and all(page.param_resources().values())
    ]


def private_leaks(world, response) -> list[str]:
    body = response.content.decode(errors="replace")
    return [
        marker
        for marker in (world.b.private_marker, world.a.partner_private_marker)
        if marker in body
    ]


def private_row_failures(world, staff_a, pages=None) -> list[str]:
    """B's private rows (and A's partner's) never reach A's staff, on any page or fragment."""
    urls, lists = [], set()
    for page in pages or all_pages():
        if not all(page.param_resources().values()):
            continue
        urls.append(page.url_for(world.a))
        if page.params:
            urls.append(page.url_for(world.b))
            urls.append(page.url_for(world.a, partner=True))
        else:
            lists.add(page.url_for(world.a))
    failures = []
    for url in dict.fromkeys(urls):
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = staff_a.get(url, **headers)
            if response.status_code >= 500:
                failures.append(f"{url}: {response.status_code}")
            leaks = private_leaks(world, response)
            if leaks:
                failures.append(f"{url}: shows {leaks} to A's staff")
            if url in lists:  # pages without parameters: search them for B's rows
                # Terms that match B's rows but whose echo in a search box is not a leak.
                for term in ("PRIVATE", world.b.marker):
                    searched = staff_a.get(url, {"q": term, "search": term}, **headers)
                    if private_leaks(world, searched):
                        failures.append(f"{url}?q={term}: search shows private rows")
    return failures


def form_page_failures(world, staff_a, pages=None) -> list[str]:
    """A's staff cannot open the edit/create/action pages of B's objects."""
    failures = []
    for page in b_pages(pages):
        if not WRITE_PAGE.search(tail(page.route)):
            continue
        url = page.url_for(world.b)
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = staff_a.get(url, **headers)
            if response.status_code not in (403, 404, 405):
                failures.append(f"{url} ({page.name}): {response.status_code}, expected 403/404")
    return failures


def change_failures(world, staff_a, administrator, pages=None) -> list[str]:
    """Every form an administrator sees on B's pages, submitted by A's staff, edited: nothing
    of B's changes."""
    failures = []
    for page in b_pages(pages):
        url = page.url_for(world.b)
        seen = administrator.get(url)
        html = seen.content.decode() if seen.status_code == 200 else ""
        submissions = [("post", url, {})]
        submissions += [
            ("post", urljoin(url, form.action) if form.action else url, form.data())
            for form in post_forms(html)
            if not form.action.rstrip("/").endswith(LOGOUT)
        ]
        submissions += [(verb, urljoin(url, target), {}) for verb, target in htmx_actions(html)]
        for verb, target, data in submissions:
            for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
                before = world.b.fingerprint()
                response = getattr(staff_a, verb)(target, data, **headers)
                if response.status_code >= 500:
                    failures.append(f"{verb.upper()} {target}: {response.status_code}")
                if world.b.fingerprint() != before:
                    failures.append(
                        f"{verb.upper()} {target} ({page.name}) by A's staff changed B's data: "
                        f"{data}"
                    )
    if staff_a.get("/").status_code != 200:
        failures.append("A's staff user was logged out on the way")
    return failures
