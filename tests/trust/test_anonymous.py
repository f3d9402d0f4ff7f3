"""Nobody signed in. Every page of the URL resolver sends them to the log-in page (full page and
htmx fragment, GET and POST), every admin page to a log-in page, and every API route of the
URL resolver answers 401 to every method; a short allow-list, each with its reason, is public.
And the API routes of the URL resolver are exactly the paths of the OpenAPI schema, so the
walks that start from the schema (test_isolation_api.py, test_schemathesis.py) miss no route.

Routes come from the URL resolver (tests/trust/pages.py), so a route added later is walked
without touching this file."""

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import get_resolver, reverse

from tests.trust.apiwalk import METHODS, fetch_schema
from tests.trust.pages import _walk, admin_urls, all_pages

pytestmark = pytest.mark.django_db

# Pages anyone may open, and why.
PUBLIC_PAGES = {
    "login": "the log-in page itself",
    "api-docs": "the API's documentation (Swagger UI): no data of anyone's, it only loads the "
    "schema, which is public too",
}
# Public POST-only actions (GET is 405), and why: each answers a redirect back, never data.
PUBLIC_ACTIONS = {
    "set_language": "the language switcher on the log-in page: it sets the language cookie and "
    "redirects back to the page (collabhub/i18n.py); it reads and changes nobody's data",
}
# Public pages whose parameter is a secret (a signed personal link) the walk cannot make: filled
# with an id it is a link that does not work, a page saying so (404), never the log-in page.
# test_a_personal_survey_link_opens_for_nobody opens a real one.
PUBLIC_WITH_SECRET = {
    "commissioner:survey_respond": "a partner's contact answers the survey through the link "
    "e-mailed to them, with no account (docs/engagement.md)",
}
# API routes anyone may call, and why.
PUBLIC_API = {
    "api-schema": "the OpenAPI description of the API (drf-spectacular's SERVE_PERMISSIONS is "
    "AllowAny): routes and fields, no data",
}
# Not operations of the API: its description, and its documentation page.
API_DOCUMENTATION = {"api/schema/", "api/docs/"}
GROUP = re.compile(r"\(\?P<[^>]+>[^)]*\)")


def sent_to(response, *logins: str) -> bool:
    location = response.get("Location", "")
    return response.status_code == 302 and urlsplit(location).path in logins


def api_routes() -> dict[str, str | None]:
    """Every API route of the URL resolver as a path with `{}` for each parameter (format
    suffix variants aside) -> its URL name."""
    routes = {}
    for entry in _walk(get_resolver().url_patterns):
        route = entry.route.replace("^", "").replace("$", "")
        if not route.startswith("api/") or "format" in route or route in API_DOCUMENTATION:
            continue
        routes["/" + GROUP.sub("{}", route)] = entry.name
    return routes


def test_every_page_sends_nobody_to_log_in(world):
    client = Client()
    before = world.a.fingerprint(), world.b.fingerprint()
    failures, walked = [], 0
    for page in all_pages():
        if not all(page.param_resources().values()):
            continue  # test_csp.py's meta-test fails on these
        url = page.url_for(world.a)
        public = page.name in PUBLIC_PAGES
        if page.name in PUBLIC_ACTIONS:
            walked += 2
            if client.get(url).status_code != 405:
                failures.append(f"GET {url}: not 405")
            response = client.post(url, {"language": "fr", "next": "/accounts/login/"})
            if response.status_code != 302 or response["Location"] != "/accounts/login/":
                failures.append(f"POST {url}: {response.status_code}")
            continue
        if page.name in PUBLIC_WITH_SECRET:
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                walked += 1
                if response.status_code != 404 or "does not work" not in response.content.decode():
                    failures.append(f"{method.upper()} {url}: {response.status_code}")
            continue
        for method, headers in (("get", {}), ("get", {"HTTP_HX_REQUEST": "true"}), ("post", {})):
            response = getattr(client, method)(url, **headers)
            walked += 1
            if response.status_code >= 500:
                failures.append(f"{method.upper()} {url}: {response.status_code}")
            elif public:
                if method == "get" and response.status_code != 200:
                    failures.append(
                        f"{url} is public ({PUBLIC_PAGES[page.name]}) but answers "
                        f"{response.status_code}"
                    )
            elif not sent_to(response, "/accounts/login/"):
                failures.append(
                    f"{method.upper()} {url} ({page.name}) {headers or ''}: "
                    f"{response.status_code} {response.get('Location', '')}, not the log-in page"
                )
    assert walked > 100
    assert not failures, "\n".join(failures)
    assert (world.a.fingerprint(), world.b.fingerprint()) == before


def test_every_admin_page_sends_nobody_to_log_in(world):
    client = Client()
    failures = []
    urls = admin_urls()
    assert len(urls) > 20
    for url in urls:
        response = client.get(url)
        # (The site's login-required middleware answers before the admin's own check.)
        if not sent_to(response, "/accounts/login/", "/admin/login/"):
            failures.append(f"{url}: {response.status_code} {response.get('Location', '')}")
    assert not failures, "\n".join(failures)


def test_every_api_route_answers_401_to_every_method(world):
    client = Client()
    failures, walked = [], 0
    for path, name in sorted(api_routes().items()):
        url = path.replace("{}", str(world.a.objects["organisations"].pk))
        for method in METHODS:
            response = getattr(client, method)(url, content_type="application/json")
            walked += 1
            if response.status_code != 401 or "detail" not in response.json():
                failures.append(f"{method.upper()} {url} ({name}): {response.status_code}")
            elif not response.has_header("WWW-Authenticate"):
                failures.append(f"{method.upper()} {url}: 401 without WWW-Authenticate")
    assert walked > 100
    assert not failures, "\n".join(failures)
    for name, reason in PUBLIC_API.items():
        assert client.get(f"/{name.replace('api-', 'api/')}/").status_code == 200, reason


def test_the_url_resolver_and_the_schema_have_the_same_api_routes(client, world):
    """A route the schema leaves out (excluded, or a plain Django view under /api/) would escape
    every schema-driven walk; one the schema lists that the resolver lacks is a stale schema."""
    schema = fetch_schema(client, world.administrator)
    documented = {re.sub(r"{[^}]+}", "{}", path) for path in schema["paths"]}
    served = set(api_routes())
    assert served, "no API route found in the URL resolver"
    assert served - documented == set(), "served but not in the schema"
    assert documented - served == set(), "in the schema but not served"


def test_a_personal_survey_link_opens_for_nobody(world):
    from commissioner.models import SurveyRespondent
    from commissioner.survey.services import survey_link_token

    respondent = SurveyRespondent.objects.filter(
        round=world.a.objects["rounds"], contact__isnull=False
    ).first()
    url = reverse("commissioner:survey_respond", kwargs={"token": survey_link_token(respondent)})
    response = Client().get(url)
    assert response.status_code == 200
    assert respondent.organisation.name in response.content.decode()
