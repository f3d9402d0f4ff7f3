"""Every browser page of the project, from the URL resolver: routes without parameters as they
are, routes with parameters filled with a side's objects of `tests.trust.world` (the resource of
`<slug:slug>` or `<int:pk>` is the path segment before it; of `<int:obligation_pk>` its name).

A page added later is found without touching this file; one whose parameters name a resource the
world does not know is listed by `unmapped_pages()` so a meta-test can fail on it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

from .world import Side, resource_for

# Not walked as pages here: the API's JSON endpoints (walked from its schema; its HTML docs page,
# api/docs/, is a page like any other), Django's admin (its routes take `<path:object_id>` and
# app labels: `admin_urls()` lists its pages instead), files, the health check, and logout (POST
# only).
EXCLUDED_PREFIXES = (
    "api/v1/",
    "api/schema/",
    "admin/",
    "static/",
    "media/",
    "healthz",
    "accounts/logout/",
)
CONVERTER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Page:
    route: str  # e.g. "collaborations/<slug:slug>/obligations/<int:pk>/edit/"
    name: str | None  # e.g. "agreements:obligation_edit"

    @property
    def params(self) -> list[tuple[str, str]]:
        return [(m["converter"] or "str", m["name"]) for m in CONVERTER.finditer(self.route)]

    def param_resources(self) -> dict[str, str | None]:
        resources = {}
        segments = self.route.strip("/").split("/")
        for index, segment in enumerate(segments):
            for match in CONVERTER.finditer(segment):
                name = match["name"]
                if name in {"pk", "id", "slug"} and index > 0:
                    resources[name] = resource_for(segments[index - 1])
                else:
                    resources[name] = resource_for(name)
        return resources

    def url_for(self, side: Side, *, leaf_side: Side | None = None, partner: bool = False) -> str:
        """The page of `side`'s objects; with `leaf_side`, the last parameter names that side's
        object (another organisation's obligation under your own collaboration); with
        `partner`, the last parameter names the side's partner organisation's object."""
        resources = self.param_resources()
        names = list(resources)

        def value(match):
            name = match["name"]
            resource = resources[name]
            owner = leaf_side if (leaf_side and name == names[-1]) else side
            objects = owner.objects
            if partner and name == names[-1] and resource in owner.partner_objects:
                objects = owner.partner_objects
            obj = objects[resource]
            return str(obj.slug if name.endswith("slug") else obj.pk)

        return "/" + CONVERTER.sub(value, self.route)


def _walk(patterns, prefix: str = "", namespace: str | None = None):
    for entry in patterns:
        route = prefix + _route(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            name = entry.name
            if name and namespace:
                name = f"{namespace}:{name}"
            yield Page(route=route, name=name)


def _route(pattern) -> str:
    text = str(pattern)
    return text.lstrip("^").rstrip("$").replace("\\Z", "")


def all_pages() -> list[Page]:
    pages = {}
    for page in _walk(get_resolver().url_patterns):
        pages.setdefault(page.route, page)  # the first pattern of a route is the one served
    return [
        page for route, page in sorted(pages.items()) if not route.startswith(EXCLUDED_PREFIXES)
    ]


def unmapped_pages() -> list[str]:
    problems = []
    for page in all_pages():
        missing = [name for name, resource in page.param_resources().items() if resource is None]
        if missing:
            problems.append(f"{page.route} ({page.name}): parameters {missing}")
    return problems


def admin_urls() -> list[str]:
    """The admin's pages: its index, and for every registered model its list, its add form and
    the change form of its first row (when it has one), so a model registered later is walked
    too. Actions that change something (delete, logout) are left out."""
    from django.contrib import admin
    from django.urls import NoReverseMatch, reverse

    urls = [reverse("admin:index")]
    for model in sorted(admin.site._registry, key=lambda model: model._meta.label):
        app, name = model._meta.app_label, model._meta.model_name
        urls.append(reverse("admin:app_list", args=[app]))
        urls.append(reverse(f"admin:{app}_{name}_changelist"))
        urls.append(reverse(f"admin:{app}_{name}_add"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            try:
                urls.append(reverse(f"admin:{app}_{name}_change", args=[first.pk]))
                urls.append(reverse(f"admin:{app}_{name}_history", args=[first.pk]))
            except NoReverseMatch:
                pass
    return list(dict.fromkeys(urls))


def page_urls(side: Side) -> list[str]:
    """Every page, parameters filled with `side`'s objects (pages that cannot be filled are
    left to the meta-test)."""
    urls = []
    for page in all_pages():
        if all(page.param_resources().values()):
            urls.append(page.url_for(side))
    return urls
