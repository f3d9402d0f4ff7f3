"""Filters of the flag inbox, its export and the API lists (core/filters.py: one filterset per
model, shared). Foreign keys are filtered by id inside the caller's already-scoped queryset, so a
foreign id only ever finds nothing; an id that is not a whole number in the database's range
(1.5, 10**30) is a 400 naming the filter, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.filters import IdFilter, SharedFilterSet
from core.translated import with_versions

from .models import WARNING_STATES, Band, EngagementSnapshot, Flag, Intervention, Meeting, State

ACTIVE = "active"
ALL = "all"
FLAG_STATUS_CHOICES = [
    (ACTIVE, _("Open or acknowledged")),
    *Flag.Status.choices,
    (ALL, _("All")),
]


# A flag is raised on a warning state: drifting (still engaged, falling), at risk, disengaged.
FLAG_STATE_CHOICES = [(value, label) for value, label in State.choices if value in WARNING_STATES]


class OneChoice(forms.Select):
    """One choice on a page for a filter that takes several in the API: its value is a list of
    the one chosen (or of none)."""

    def value_from_datadict(self, data, files, name):
        getlist = getattr(data, "getlist", None)
        if getlist is not None:
            return getlist(name)
        value = data.get(name)
        return [value] if value else []


class FlagFilterSet(SharedFilterSet):
    """The flag inbox (open and acknowledged flags unless asked otherwise), its CSV export and
    the API's flag list (every status unless asked)."""

    q = django_filters.CharFilter(
        label=_("Partner or collaboration"), method="filter_q", max_length=100
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        choices=FLAG_STATUS_CHOICES,
        method="filter_status",
        help_text=_("One or more: “active” is open or acknowledged, “all” every status."),
    )
    band = django_filters.ChoiceFilter(
        label=_("Band"), choices=Band.choices, empty_label=_("Any band")
    )
    state = django_filters.ChoiceFilter(
        label=_("State"), choices=FLAG_STATE_CHOICES, empty_label=_("Any state")
    )
    mine = django_filters.BooleanFilter(
        label=_("Only my collaborations"),
        method="filter_mine",
        widget=forms.CheckboxInput,
    )
    collaboration = IdFilter(label=_("Collaboration"), field_name="participation__collaboration_id")
    organisation = IdFilter(label=_("Organisation"), field_name="participation__organisation_id")
    raised_after = django_filters.DateFilter(
        label=_("Raised on or after"), field_name="raised_on", lookup_expr="gte"
    )
    raised_before = django_filters.DateFilter(
        label=_("Raised on or before"), field_name="raised_on", lookup_expr="lte"
    )

    hidden_on_page = ("collaboration", "organisation", "raised_after", "raised_before")

    class Meta(SharedFilterSet.Meta):
        model = Flag
        fields = [
            "q",
            "status",
            "band",
            "state",
            "mine",
            "collaboration",
            "organisation",
            "raised_after",
            "raised_before",
        ]

    # The inbox shows the flags to act on unless asked otherwise, one status at a time; its list
    # names every choice in words, so the API's help (about the values "active" and "all") goes.
    page_defaults = {"status": ACTIVE}
    page_widgets = {"status": OneChoice}
    page_help_texts = {"status": ""}

    @property
    def qs(self):
        queryset = super().qs
        if self.page and self.is_bound and not self.is_valid():
            # On the page, filters that were not understood are shown as errors and ignored.
            queryset = self.queryset.filter(status__in=Flag.OPEN_STATUSES)
        return queryset

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        matches = Q(participation__organisation__name__icontains=value) | Q(
            participation__organisation__short_name__icontains=value
        )
        # The collaboration's title in either language (core/translated.py).
        for title in with_versions(Flag, ["participation__collaboration__title"]):
            matches |= Q(**{f"{title}__icontains": value})
        return queryset.filter(matches)

    def filter_status(self, queryset, name, values):
        values = set(values or ())
        if not values or ALL in values:
            return queryset
        statuses = values - {ACTIVE}
        if ACTIVE in values:
            statuses |= set(Flag.OPEN_STATUSES)
        return queryset.filter(status__in=sorted(statuses))

    def filter_mine(self, queryset, name, value):
        if not value:
            return queryset
        user = getattr(self.request, "user", None)
        return queryset.filter(participation__collaboration__commissioner_id=getattr(user, "pk", 0))


# API ------------------------------------------------------------------------------------------


class MeetingFilterSet(django_filters.FilterSet):
    collaboration = IdFilter(field_name="collaboration_id")
    held_after = django_filters.IsoDateTimeFilter(field_name="held_at", lookup_expr="gte")
    held_before = django_filters.IsoDateTimeFilter(field_name="held_at", lookup_expr="lt")

    class Meta:
        model = Meeting
        fields = ["collaboration", "held_after", "held_before"]


class InterventionFilterSet(django_filters.FilterSet):
    flag = IdFilter(field_name="flag_id")
    kind = django_filters.ChoiceFilter(choices=Intervention.Kind.choices)
    completed = django_filters.BooleanFilter(
        field_name="completed_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Intervention
        fields = ["flag", "kind", "completed"]


class SnapshotFilterSet(django_filters.FilterSet):
    collaboration = IdFilter(field_name="participation__collaboration_id")
    organisation = IdFilter(field_name="participation__organisation_id")
    scan_date = django_filters.DateFilter()
    scan_date_after = django_filters.DateFilter(field_name="scan_date", lookup_expr="gte")
    scan_date_before = django_filters.DateFilter(field_name="scan_date", lookup_expr="lte")
    band = django_filters.ChoiceFilter(choices=Band.choices)

    class Meta:
        model = EngagementSnapshot
        fields = [
            "collaboration",
            "organisation",
            "scan_date",
            "scan_date_after",
            "scan_date_before",
            "band",
        ]
