"""One filterset per model, shared by its list page, the page's CSV export and its API list (as
NetBox's filtersets serve its pages and its REST API alike): a filter is declared once, with one
meaning, wherever it is used.

Two things differ by where a filterset is used, and only these:
- *how a reference is typed.* The API takes a plain integer id (`IdFilter`): a decimal or an
  out-of-range number is a 400 naming the filter, and an id the caller may not see only ever
  finds nothing, inside its already-scoped queryset. A page's box takes the same id — links from
  other pages send it — or part of a name, with suggestions as one types (`ReferenceFilter`).
- *what a page shows.* Filters other pages link with but nobody types (`organisation`,
  `collaboration`) are hidden inputs on the page, so they survive changing the other filters.
`SharedFilterSet(data, queryset, request=..., page=True)` is the page's; the API's backend
builds it as django-filter does, without `page`."""

from __future__ import annotations

from collections.abc import Callable

import django_filters
from django import forms
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field

from .bounds import MAX_ID
from .forms import FilterForm


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """An integer id (a decimal or an out-of-range number is a 400, not a silent match); the
    schema states the bounds it enforces."""

    field_class: type[forms.Field] = forms.IntegerField
    extra: dict

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


def as_id(value: str) -> int | None:
    """`value` as an id when it is one (digits within the bigint range), else None."""
    value = value.strip()
    return int(value) if value.isdigit() and int(value) <= MAX_ID else None


class ReferenceFilter(IdFilter):
    """Another object (the lead organisation, the commissioner), by id in the API. On a page
    the box also takes text: `search(text)` returns the matching objects' queryset, and the
    widget (`page_widget()`, a picker's suggestions) helps type it. A number is the id there
    too, as the links of other pages send it."""

    def __init__(self, *args, search: Callable[[str], QuerySet], page_widget=None, **kwargs):
        self.search = search
        self.page_widget = page_widget
        self.typed = False
        super().__init__(*args, **kwargs)

    def on_page(self) -> None:
        self.__dict__.pop("_field", None)  # built again with the page's field
        self.typed = True
        self.field_class = forms.CharField
        self.extra = {
            **{k: v for k, v in self.extra.items() if k not in ("min_value", "max_value")},
            "max_length": 200,
        }
        if self.page_widget is not None:
            self.extra["widget"] = self.page_widget()

    def get_max_validator(self):
        # A number's bound, not a text's.
        return None if self.typed else super().get_max_validator()

    def filter(self, qs, value):
        if not isinstance(value, str):
            return super().filter(qs, value)
        if not value.strip():
            return qs
        pk = as_id(value)
        if pk is not None:
            return qs.filter(**{self.field_name: pk})
        return qs.filter(**{f"{self.field_name}__in": self.search(value.strip()).values("pk")})


class SharedFilterSet(django_filters.FilterSet):
    """A model's filters for its page (`page=True`), its export and its API. On a page only:
    `hidden_on_page` names the filters carried as hidden inputs, `page_widgets` other widgets
    by filter, `page_defaults` the values a filter left empty takes, `page_help_texts` the help
    a filter shows on the page instead of the API's (which speaks of the values sent; "" for
    none, when the page's own choices say it all)."""

    hidden_on_page: tuple[str, ...] = ()
    page_widgets: dict[str, type[forms.Widget]] = {}
    page_defaults: dict[str, str] = {}
    page_help_texts: dict[str, str] = {}

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, page=False):
        self.page = page
        if page and self.page_defaults:
            data = data.copy() if data is not None else {}
            for name, default in self.page_defaults.items():
                if not data.get(name):
                    data[name] = default
        super().__init__(data, queryset, request=request, prefix=prefix)
        if page:
            widgets = dict.fromkeys(self.hidden_on_page, forms.HiddenInput)
            widgets |= self.page_widgets
            for name, filter_ in self.filters.items():
                if isinstance(filter_, ReferenceFilter):
                    filter_.on_page()
                if name in widgets:
                    filter_.__dict__.pop("_field", None)  # built again with the page's widget
                    filter_.extra["widget"] = widgets[name]
                if name in self.page_help_texts:
                    filter_.__dict__.pop("_field", None)
                    filter_.extra["help_text"] = self.page_help_texts[name]

    class Meta:
        form = FilterForm
