"""The browser-side isolation walk: every page of the URL resolver, as organisation A's staff
user, against organisation B's objects. Each function returns the failures it found.

Forms are harvested from B's pages as the administrator sees them, and a control run proves each
one live: submitted by the administrator (in a savepoint that is rolled back) with the harvested
values, or with another choice in one of its selects, it changes B's data. The same submission
by A's staff must then change nothing, so the walk cannot pass by sending forms that could never
have changed anything."""

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from tests.trust.apiwalk import rolled_back
from tests.trust.html import Control, Form, htmx_actions, post_forms
from tests.trust.pages import all_pages

# The part of a route after its last parameter says what the page does; these words mean it
# changes something (or is an organisation's own administration: its tokens and staff). Pages
# whose words are not here are still candidates when the administrator finds a form on them that
# posts to the page itself (form_pages()).
WRITE_PAGE = re.compile(
    r"\b(edit|update|delete|remove|new|add|create|sign|mark|met|confirm|withdraw|status|"
    r"acknowledge|resolve|record|revoke|issue|deactivate|activate|invite|tokens?|staff|close|"
    r"reopen|upload|check-?in|intervene|interventions?/new|scan|waive|complete|attendance|"
    r"policy|outcome|reset)\b"
)


LOGOUT = "/accounts/logout"
# The language switcher on every page changes only the reader's own language (collabhub/i18n.py).
LANGUAGE = "/language"


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
    return [marker for marker in world.a.markers_hidden_from_staff(world.b) if marker in body]


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
                for term in ("PRIVATE", "FLAG", world.b.marker):
                    searched = staff_a.get(url, {"q": term, "search": term}, **headers)
                    if private_leaks(world, searched):
                        failures.append(f"{url}?q={term}: search shows private rows")
    return failures


def form_pages(world, administrator, pages=None) -> set[str]:
    """Routes of B's pages on which the administrator finds a form that posts to the page
    itself: pages for changing something, whatever their path says."""
    found = set()
    for page in b_pages(pages):
        url = page.url_for(world.b)
        response = administrator.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for form in post_forms(response.content.decode()):
            if urlsplit(urljoin(url, form.action)).path == urlsplit(url).path:
                found.add(page.route)
    return found


def form_page_failures(world, staff_a, pages=None, administrator=None) -> list[str]:
    """A's staff cannot open the edit/create/action pages of B's objects: pages whose path
    says they change something, and (with `administrator`) every page of B's that is a form."""
    failures = []
    forms = form_pages(world, administrator, pages) if administrator is not None else set()
    for page in b_pages(pages):
        if not WRITE_PAGE.search(tail(page.route)) and page.route not in forms:
            continue
        url = page.url_for(world.b)
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = staff_a.get(url, **headers)
            if response.status_code not in (403, 404, 405):
                failures.append(f"{url} ({page.name}): {response.status_code}, expected 403/404")
    return failures


@dataclass
class HarvestedForm:
    page: object  # pages.Page
    url: str  # the page of B's the form was found on
    target: str  # where it posts
    form: Form
    live: dict | None = None  # the data that changed B's data, as the administrator
    note: str = ""  # why no data was live: the last answer
    position: int = 0  # which form of the page


def b_urls(world, page) -> list[str]:
    """B's page of `page`, and (when its last parameter names a row B's partner owns: its
    participation, obligation, signatory...) the same page of the partner's row."""
    urls = [page.url_for(world.b)]
    partner_url = page.url_for(world.b, partner=True)
    if partner_url not in urls:
        urls.append(partner_url)
    return urls


def harvest(world, administrator, pages=None) -> list[HarvestedForm]:
    """Every POST form the administrator sees on B's pages (logout and the language switcher
    aside), each with the first of its variants that, submitted by the administrator, changes
    B's data (rolled back)."""
    harvested = []
    for page in b_pages(pages):
        for url in b_urls(world, page):
            seen = administrator.get(url)
            if seen.status_code != 200 or "html" not in seen.get("Content-Type", ""):
                continue
            for position, form in enumerate(post_forms(seen.content.decode())):
                add_picker_options(form, administrator, url)
                target = urljoin(url, form.action) if form.action else url
                if target.rstrip("/").endswith((LOGOUT, LANGUAGE)):
                    continue
                item = HarvestedForm(page, url, target, form, position=position)
                for data in form.variants():
                    before = world.b.fingerprint()
                    with rolled_back():
                        response = administrator.post(target, data)
                        changed = world.b.fingerprint() != before
                    if changed:
                        item.live = data
                        break
                    item.note = f"{response.status_code} {_form_errors(response)}"
                harvested.append(item)
    return harvested


def add_picker_options(form: Form, client, url: str) -> None:
    """A picker's radio group shows only its chosen value until someone searches: its other
    values are the suggestions its page offers (as `client`), the first ten of them."""
    for name, suggestions in form.pickers.items():
        response = client.get(urljoin(url, suggestions))
        if response.status_code != 200:
            continue
        values = re.findall(r'data-value="([^"]*)"', response.content.decode())
        group = next((c for c in form.controls if c.name == name and c.kind == "radio"), None)
        if group is None:
            if values:
                form.controls.append(Control(name, "radio", values[0], options=values))
            continue
        group.options += [value for value in values if value not in group.options]


def _form_errors(response) -> str:
    """The error messages a refused form shows, for the failure message."""
    body = response.content.decode(errors="replace")
    errors = re.findall(r'class="invalid-feedback[^"]*"[^>]*>(.*?)</', body, re.S)
    errors += re.findall(r'role="alert"[^>]*>(.*?)</div>', body, re.S)
    text = " | ".join(re.sub(r"<[^>]+>|\s+", " ", error).strip() for error in errors)
    return text[:300]


def dead_form_failures(harvested: list[HarvestedForm]) -> list[str]:
    """The control run: a harvested form that cannot change B's data even as the administrator
    proves nothing when A's staff submit it. A page filled with B's own row and with B's
    partner's row (withdrawing the lead is refused, withdrawing the partner is not) counts as
    live when its form is live on either."""
    live = {(item.page.route, item.position) for item in harvested if item.live is not None}
    return [
        f"{item.target} (form on {item.url}, {item.page.name}) changed nothing as the "
        f"administrator with any of its variants: {item.note}; {item.form.data()}"
        for item in harvested
        if (item.page.route, item.position) not in live
    ]


def change_failures(world, staff_a, administrator, pages=None, harvested=None) -> list[str]:
    """Every form an administrator sees on B's pages, submitted by A's staff with the values
    that changed B's data as the administrator (and as harvested), full page and htmx; an empty
    POST to every B page; every htmx action: nothing of B's changes."""
    failures = []
    if harvested is None:
        harvested = harvest(world, administrator, pages)
    submissions = [
        ("post", url, {}, page.name) for page in b_pages(pages) for url in b_urls(world, page)
    ]
    for item in harvested:
        submissions.append(("post", item.target, item.form.data(), item.page.name))
        if item.live is not None and item.live != item.form.data():
            submissions.append(("post", item.target, item.live, item.page.name))
    for page in b_pages(pages):
        for url in b_urls(world, page):
            seen = administrator.get(url)
            html = seen.content.decode() if seen.status_code == 200 else ""
            submissions += [
                (verb, urljoin(url, target), {}, page.name) for verb, target in htmx_actions(html)
            ]
    for verb, target, data, name in submissions:
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            before = world.b.fingerprint()
            response = getattr(staff_a, verb)(target, data, **headers)
            if response.status_code >= 500:
                failures.append(f"{verb.upper()} {target}: {response.status_code}")
            if world.b.fingerprint() != before:
                failures.append(
                    f"{verb.upper()} {target} ({name}) by A's staff changed B's data: {data}"
                )
    if staff_a.get("/").status_code != 200:
        failures.append("A's staff user was logged out on the way")
    return failures
