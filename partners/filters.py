"""Filters of the organisation directory, shared by the browser list, its CSV export and the API.
Every filter is strict: a value it does not know is an error naming the filter, not an empty or
unfiltered list."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.filters import SharedFilterSet
from core.forms import FilterForm

from .models import Organisation, User


def _boolean(queryset, name, value: str):
    if value in ("", None):
        return queryset
    return queryset.filter(**{name: value == "true"})


class OrganisationFilterSet(SharedFilterSet):
    """The organisation directory's filters: the same for the browser list, its CSV export and
    the API (which also has DRF's `search`)."""

    q = django_filters.CharFilter(
        label=_("Search"), method="search", max_length=200, help_text=_("Name or short name")
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=Organisation.Kind.choices, empty_label=_("Any kind")
    )
    jurisdiction = django_filters.CharFilter(
        label=_("Jurisdiction or region"), lookup_expr="icontains", max_length=120
    )
    # "true"/"false" only: anything else is a 400 in the API rather than silently ignored.
    is_active = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[("true", _("Active")), ("false", _("Inactive"))],
        empty_label=_("Active and inactive"),
        method=_boolean,
    )

    class Meta(SharedFilterSet.Meta):
        model = Organisation
        fields = ["q", "kind", "jurisdiction", "is_active"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(short_name__icontains=value))


class PeopleFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search", max_length=150)
    role = django_filters.ChoiceFilter(
        label=_("Role"), choices=User.Role.choices, empty_label=_("Any role")
    )

    class Meta:
        model = User
        fields = ["q", "role"]
        form = FilterForm

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(username__icontains=value)
            | Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
            | Q(email__icontains=value)
            | Q(staff_membership__organisation__name__icontains=value)
        )
