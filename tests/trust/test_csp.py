"""The Content-Security-Policy is sent on every page and nothing in any page needs it relaxed:
no inline script (json_script data blocks aside), no inline style, no event-handler attributes,
nothing loaded from outside. Every page of the URL resolver is visited, as an administrator and
as a staff user, full page and htmx fragment; pages added later are visited without changes."""

import pytest
from django.test import Client

from tests.trust.html import csp_problems, inline_problems
from tests.trust.pages import all_pages, page_urls, unmapped_pages

pytestmark = pytest.mark.django_db


def visit(client: Client, url: str, **headers) -> list[str]:
    problems = []
    response = client.get(url, follow=True, **headers)
    if response.status_code >= 500:
        return [f"{url}: {response.status_code}"]
    for hop, _ in response.redirect_chain:
        if hop.startswith(("http://", "https://")):
            problems.append(f"{url}: redirected outside to {hop}")
    problems += [f"{url}: {p}" for p in csp_problems(response)]
    if "html" in response.get("Content-Type", ""):
        problems += [f"{url}: {p}" for p in inline_problems(response.content.decode())]
    return problems


def test_every_page_has_parameters_the_world_can_fill():
    assert not unmapped_pages(), "\n".join(unmapped_pages())


@pytest.mark.parametrize("role", ["administrator", "staff", "anonymous"])
def test_every_page_is_served_under_a_strict_csp(world, role):
    client = Client()
    if role == "administrator":
        client.force_login(world.administrator)
    elif role == "staff":
        client.force_login(world.a.staff)
    urls = page_urls(world.a)
    assert "/" in urls and "/accounts/login/" in urls
    problems = []
    for url in urls:
        problems += visit(client, url)
        problems += visit(client, url, HTTP_HX_REQUEST="true")
    assert not problems, "\n".join(problems)


def test_error_pages_are_served_under_a_strict_csp(world):
    client = Client()
    client.force_login(world.a.staff)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert not csp_problems(response)
    assert not inline_problems(response.content.decode())


def test_the_checks_catch_what_the_csp_would_block():
    """The page checks can fail."""
    html = (
        '<p style="color:red" onclick="go()">x</p><script>alert(1)</script>'
        '<script type="application/json" id="d">{"a": 1}</script>'
        '<script src="https://cdn.example/x.js"></script><style>p{}</style>'
        '<a href="javascript:void(0)" hx-on:click="x()">y</a>'
    )
    problems = "\n".join(inline_problems(html))
    for expected in (
        "style=",
        "onclick=",
        "inline <script>",
        "outside",
        "<style>",
        "javascript:",
        "hx-on",
    ):
        assert expected in problems, expected
    assert "application/json" not in problems


def test_the_page_list_comes_from_the_url_resolver():
    routes = {page.route for page in all_pages()}
    assert {"", "accounts/login/", "accounts/password/change/"} <= routes
    assert not any(route.startswith(("api/", "admin/")) for route in routes)
