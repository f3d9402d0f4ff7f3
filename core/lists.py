"""How every list page sorts, filters and pages: one function for the view (`list_page`) and three
partials for the template (templates/lists/: the filter form, the sortable header, the page
links), shared by the collaboration list, the organisation directory and the people list.

Not django-tables2: its tables render their own cells and rows, and ours are hand-made (links,
badges, translated titles, structure explainers); what the lists share is the sort parameter,
the filterset, the page and the htmx partial, which is this module."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .filters import SharedFilterSet


def sort_of(request: HttpRequest, orderings: Mapping, default: str) -> str:
    """The list's sort as `?sort=` asks, when it is one of `orderings`; `default` otherwise."""
    sort = request.GET.get("sort", "")
    return sort if sort in orderings else default


@dataclass(frozen=True)
class SortableList:
    """A list page's declaration: its filterset, its rows for a sort, its sortable columns
    ((key, label), key None for a column that does not sort), its page size and templates.
    `rows(actor=..., sort=...)` is the app's selector: it scopes and orders."""

    filterset_class: type[SharedFilterSet]
    rows: Callable[..., QuerySet]
    orderings: Mapping[str, tuple[str, ...]]
    default_sort: str
    columns: Callable[[], Iterable[tuple[str | None, str]]]
    page_size: int
    template: str
    results_template: str
    object_name: str

    def sort(self, request: HttpRequest) -> str:
        return sort_of(request, self.orderings, self.default_sort)

    def filterset(self, request: HttpRequest, queryset: QuerySet | None = None) -> SharedFilterSet:
        """The page's filters over `queryset` (the rows in the requested sort by default): the
        page, its CSV export and its htmx partial read the same."""
        if queryset is None:
            queryset = self.rows(actor=request.user, sort=self.sort(request))
        return self.filterset_class(
            request.GET or None, queryset=queryset, request=request, page=True
        )

    def render(self, request: HttpRequest, **extra) -> HttpResponse:
        """The page, or only its results when htmx asks for them (a filter changed)."""
        filterset = self.filterset(request)
        page = Paginator(filterset.qs, self.page_size).get_page(request.GET.get("page"))
        context = {
            "filterset": filterset,
            "page_obj": page,
            self.object_name: page.object_list,
            "sort": self.sort(request),
            "columns": list(self.columns()),
            **extra,
        }
        htmx = getattr(request, "htmx", None)
        if htmx and not htmx.boosted:
            return render(request, self.results_template, context)
        return render(request, self.template, context)
